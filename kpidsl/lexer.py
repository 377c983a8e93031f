"""The fast parse path: one regex scan of the whole text, driving lark's LALR table directly.

``grammar/kpi.lark`` stays the one grammar: its LALR parse table (from the same cached ``lark.Lark``
that the plain path uses) decides every shift and reduce. What this module replaces is lark's
per-token machinery: its contextual lexer, ``Token`` objects, and the parse-tree builder's wrappers.

* The lexer is one compiled regex, ``TOKENS``, whose ``findall`` splits the text into (ignored
  text, token) pairs, a chunk at a time. Where the grammar's terminals overlap, the token's type is
  chosen as lark's contextual lexer would choose it, from what the current parser state accepts: a
  keyword is a keyword only where the state accepts it (else a ``NAME``, reported as a reserved word
  when it is shifted, as lark's ``NAME`` callback does), ``>=``/``<=``/``==`` is ``CMP_OP`` where a
  comparison fits and ``THRESHOLD_OP`` otherwise, and ``-`` is the unary minus where it is accepted,
  else ``ADD_OP``.
* Each grammar rule has a reducer that builds the ``kpidsl.syntax`` node from the popped values,
  with the same children, spans and findings as ``kpidsl.parser``'s lark callbacks; positions come
  from the scan. Chains of identity rules (``?expr: or_expr``, ``_item: entry``, …) are taken in
  one step, remembered per (state below, state on top, terminal).
* Anything unusual — a token the state does not accept, a character no terminal matches, brackets
  nested deeper than ``MAX_DEPTH``, a grammar that no longer matches the reducers here — raises
  ``Fallback``: the caller then parses with lark's own contextual lexer and parser, which gives the
  exact E001 message (a file with a syntax error is parsed twice; a valid file once). The findings
  of a fast attempt are kept aside and only reported when it succeeds, so they never appear twice.

Invariant: whenever the fast path finishes, every token it produced was accepted by the parser
state it was fed in, so lark's contextual lexer (whose per-state terminal set contains that
terminal, tried in the same order) would have produced the same token; ``tests/test_fast_paths.py``
checks trees and findings against the plain path.
"""

from __future__ import annotations

import functools
import os
import re
import threading

from . import syntax
from .findings import Span

Ident, Number, String, Date, Boolean = syntax.Ident, syntax.Number, syntax.String, syntax.Date, syntax.Boolean


class Fallback(Exception):
    """The fast path cannot (or must not) decide this text: parse it with lark instead."""


#: The grammar's terminals as this module reads them; a grammar whose terminals differ disables
#: the fast path (see ``tables``).
EXPECTED_TERMINALS = {
    "MODEL": "model", "SCENARIO": "scenario", "KGI": "kgi", "KPI": "kpi", "VETO": "veto",
    "METRIC": "metric", "INPUT": "input", "TRUE": "true", "FALSE": "false", "EXTENDS": "extends",
    "OR": "or", "AND": "and", "NOT": "not",
    "THRESHOLD_OP": "(?:>=|<=|==)", "CMP_OP": "(?:>=|<=|==|!=|<|>)", "ADD_OP": "(?:\\+|\\-)",
    "MUL_OP": "(?:\\*|/)", "POW_OP": "^", "LBRACE": "{", "RBRACE": "}",
    "NAME": "[^\\W\\d]\\w*", "NUMBER": "\\d[\\d_]*(\\.\\d[\\d_]*)?([eE][+-]?\\d[\\d_]*)?\\w*%?",
    "DATE": "\\d{4}-\\d\\d-\\d\\d(?![\\w.])", "STRING": '"([^"\\\\\r\n]|\\\\[^\r\n])*"',
    "COMMENT": "#[^\n]*", "__IGNORE_0": "[ \t\r\n\x0c\ufeff]+",
    "SEMICOLON": ";", "COLON": ":", "__ANON_0": "..", "MINUS": "-", "DOT": ".",
    "LPAR": "(", "RPAR": ")", "COMMA": ",",
}

#: (ignored text before, token) pairs that cover the whole text: whitespace and comments, then one
#: token in the order lark's lexer tries the terminals (DATE has priority 2, `..` before `.`,
#: two-character comparisons first), or any other single character (which no terminal matches), or
#: the empty string at the end.
TOKENS = re.compile(
    r"((?:[ \t\r\n\f\ufeff]++|#[^\n]*+)*+)"
    r"(\d{4}-\d\d-\d\d(?![\w.])"
    r"|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?\w*%?"
    r"|[^\W\d]\w*"
    r'|"(?:[^"\\\r\n]|\\[^\r\n])*"'
    r"|>=|<=|==|!=|\.\.|[\s\S]|\Z)"
)
_NAME_RE = re.compile(r"[^\W\d]\w*")
K_NAME, K_NUMBER, K_STRING, K_PUNCT = 1, 2, 3, 4
_FIRST = {**{c: K_NAME for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"},
          **{c: K_NUMBER for c in "0123456789"}, '"': K_STRING,
          **{c: K_PUNCT for c in "<>=!+-*/^.{}(),;:"}}
_PUNCT = {">=": "CMP2", "<=": "CMP2", "==": "CMP2", "!=": "CMP_OP", "<": "CMP_OP", ">": "CMP_OP",
          "+": "ADD_OP", "-": "MINUS", "*": "MUL_OP", "/": "MUL_OP", "^": "POW_OP", "..": "__ANON_0",
          ".": "DOT", "{": "LBRACE", "}": "RBRACE", "(": "LPAR", ")": "RPAR", ",": "COMMA",
          ";": "SEMICOLON", ":": "COLON"}
_OPS = {"CMP_OP", "ADD_OP", "MUL_OP", "POW_OP"}
KEYWORDS = {"model": "MODEL", "scenario": "SCENARIO", "kgi": "KGI", "kpi": "KPI", "veto": "VETO",
            "metric": "METRIC", "input": "INPUT", "true": "TRUE", "false": "FALSE", "extends": "EXTENDS",
            "and": "AND", "or": "OR", "not": "NOT"}

_ONE = Span(1, 1, 1, 1)


# ---------------------------------------------------------------------------------------------
# Reducers: one per grammar rule, keyed by (origin, alias, expansion). Values on the stack:
# NAME an Ident; NUMBER/STRING/DATE/TRUE/FALSE their syntax node (its problem is reported when
# the rule that holds it is reduced, as lark's callbacks do); keywords, braces and THRESHOLD_OP a
# tuple (text, line, column, end_column) — tokens never span lines; CMP/ADD/MUL/POW_OP their text;
# anonymous punctuation None. Helper rules starting with "_" yield one item (or _NOTHING), the
# star rules a list. None is a missing optional part.

_NOTHING = object()


class _Reports(threading.local):
    """Where the reducers of the parse running in this thread report findings."""

    report = None


_reports = _Reports()


def _make_reducers():
    """The reducer of every rule, by (origin, alias, expansion); None for an identity rule."""
    S, File, Block, Entry, Expect = Span, syntax.File, syntax.Block, syntax.Entry, syntax.Expect
    Threshold, Band, Args, Call, Ref = syntax.Threshold, syntax.Band, syntax.Args, syntax.Call, syntax.Ref
    Binary, Compare, NotOp, AndOp, OrOp = syntax.Binary, syntax.Compare, syntax.NotOp, syntax.AndOp, syntax.OrOp
    Neg, Attribute = syntax.Neg, syntax.Attribute
    ModelDecl, IndicatorDecl, ScenarioDecl = syntax.ModelDecl, syntax.IndicatorDecl, syntax.ScenarioDecl
    reports = _reports

    def literal(node):
        if node.problem:
            reports.report("E002", node.span, node.problem)
        return node

    def file_(items):
        if not items:
            return File((), span=_ONE)
        a, b = items[0].span, items[-1].span
        return File(tuple(items), span=S(a.line, a.column, b.end_line, b.end_column))

    def model_decl(kw, label, body):
        b = body.span
        return ModelDecl("model", label, body, span=S(kw[1], kw[2], b.end_line, b.end_column))

    def indicator_decl(kind, name, label, body):
        b = body.span
        return IndicatorDecl(kind[0], name, label, body, span=S(kind[1], kind[2], b.end_line, b.end_column))

    def scenario_decl(kw, name, label, ext, body):
        b = body.span
        return ScenarioDecl("scenario", name, label, ext, body, span=S(kw[1], kw[2], b.end_line, b.end_column))

    def block(lb, items, rb):
        return Block(tuple(x for x in items if x is not _NOTHING) if _NOTHING in items else tuple(items),
                     span=S(lb[1], lb[2], rb[1], rb[3]))

    def entry(key, _c, value):
        a, b = key.span, value.span
        return Entry(key, value, span=S(a.line, a.column, b.end_line, b.end_column))

    def expect(keyword, cond):
        a, b = keyword.span, cond.span
        node = Expect(keyword, cond, span=S(a.line, a.column, b.end_line, b.end_column))
        problem = node.problem
        if problem:
            reports.report("E001", node.span, problem)
        return node

    def binary(left, op, right):
        a, b = left.span, right.span
        return Binary(left, op, right, span=S(a.line, a.column, b.end_line, b.end_column))

    def compare(left, op, right):
        a, b = left.span, right.span
        return Compare(left, op, right, span=S(a.line, a.column, b.end_line, b.end_column))

    def or_op(left, _o, right):
        a, b = left.span, right.span
        return OrOp(left, right, span=S(a.line, a.column, b.end_line, b.end_column))

    def and_op(left, _o, right):
        a, b = left.span, right.span
        return AndOp(left, right, span=S(a.line, a.column, b.end_line, b.end_column))

    def band(low, _d, high):
        a, b = low.span, high.span
        return Band(low, high, span=S(a.line, a.column, b.end_line, b.end_column))

    def threshold(op, x):
        b = x.span
        return Threshold(op[0], x, span=S(op[1], op[2], b.end_line, b.end_column))

    def append(lst, x):
        lst.append(x)
        return lst

    def call(name, _l, args, _r):
        a, b = name.span, args.span
        return Call(name, args, span=S(a.line, a.column, b.end_line, b.end_column))

    def args2(first, rest):
        rest.insert(0, first)
        a, b = first.span, rest[-1].span
        return Args(tuple(rest), span=S(a.line, a.column, b.end_line, b.end_column))

    def attribute(target, _dot, name):
        a, b = target.span, name.span
        return Attribute(target, name, span=S(a.line, a.column, b.end_line, b.end_column))

    E = "EXTENDS"
    return {
        ("file", None, ("__file_star_0",)): file_,
        ("file", None, ()): lambda: File((), span=_ONE),
        ("_decl", None, ("model_decl",)): None,
        ("_decl", None, ("indicator_decl",)): None,
        ("_decl", None, ("scenario_decl",)): None,
        ("model_decl", None, ("MODEL", "string", "block")): model_decl,
        ("model_decl", None, ("MODEL", "block")): lambda kw, body: model_decl(kw, None, body),
        ("indicator_decl", None, ("_kind", "NAME", "string", "block")): indicator_decl,
        ("indicator_decl", None, ("_kind", "NAME", "block")):
            lambda kind, name, body: indicator_decl(kind, name, None, body),
        **{("_kind", None, (k,)): None for k in ("KGI", "KPI", "VETO", "METRIC", "INPUT")},
        ("scenario_decl", None, ("SCENARIO", "NAME", "string", E, "NAME", "block")):
            lambda kw, name, label, _e, ext, body: scenario_decl(kw, name, label, ext, body),
        ("scenario_decl", None, ("SCENARIO", "NAME", "string", "block")):
            lambda kw, name, label, body: scenario_decl(kw, name, label, None, body),
        ("scenario_decl", None, ("SCENARIO", "NAME", E, "NAME", "block")):
            lambda kw, name, _e, ext, body: scenario_decl(kw, name, None, ext, body),
        ("scenario_decl", None, ("SCENARIO", "NAME", "block")):
            lambda kw, name, body: scenario_decl(kw, name, None, None, body),
        ("block", None, ("LBRACE", "__block_star_1", "RBRACE")): block,
        ("block", None, ("LBRACE", "RBRACE")): lambda lb, rb: block(lb, (), rb),
        ("_item", None, ("entry",)): None,
        ("_item", None, ("expect",)): None,
        ("_item", None, ("indicator_decl",)): None,
        ("_item", None, ("SEMICOLON",)): lambda _s: _NOTHING,
        ("entry", None, ("NAME", "COLON", "_entry_value")): entry,
        ("expect", None, ("NAME", "expr")): expect,
        **{("_entry_value", None, (k,)): None for k in ("expr", "threshold", "band", "string", "date")},
        ("threshold", None, ("THRESHOLD_OP", "expr")): threshold,
        ("band", None, ("expr", "__ANON_0", "expr")): band,
        ("string", None, ("STRING",)): literal,
        ("date", None, ("DATE",)): literal,
        ("number", None, ("NUMBER",)): literal,
        ("expr", None, ("or_expr",)): None,
        ("or_expr", None, ("and_expr",)): None,
        ("or_expr", "or_op", ("or_expr", "OR", "and_expr")): or_op,
        ("and_expr", None, ("not_expr",)): None,
        ("and_expr", "and_op", ("and_expr", "AND", "not_expr")): and_op,
        ("not_expr", None, ("cmp_expr",)): None,
        ("not_expr", "not_op", ("NOT", "not_expr")): lambda _n, x: NotOp(x, span=x.span),
        ("cmp_expr", None, ("sum",)): None,
        ("cmp_expr", "compare", ("sum", "CMP_OP", "sum")): compare,
        ("sum", None, ("product",)): None,
        ("sum", "binary", ("sum", "ADD_OP", "product")): binary,
        ("product", None, ("unary",)): None,
        ("product", "binary", ("product", "MUL_OP", "unary")): binary,
        ("unary", None, ("power",)): None,
        ("unary", "neg", ("MINUS", "unary")): lambda _m, x: Neg(x, span=x.span),
        ("power", None, ("postfix",)): None,
        ("power", "binary", ("postfix", "POW_OP", "unary")): binary,
        ("postfix", None, ("atom",)): None,
        ("postfix", "attribute", ("postfix", "DOT", "NAME")): attribute,
        ("atom", None, ("number",)): None,
        ("atom", "boolean", ("TRUE",)): lambda b: b,
        ("atom", "boolean", ("FALSE",)): lambda b: b,
        ("atom", "ref", ("NAME",)): lambda name: Ref(name, span=name.span),
        ("atom", "call", ("NAME", "LPAR", "args", "RPAR")): call,
        ("atom", None, ("LPAR", "expr", "RPAR")): lambda _l, x, _r: x,
        ("args", None, ("expr", "__args_star_2")): args2,
        ("args", None, ("expr",)): lambda x: Args((x,), span=x.span),
        ("__file_star_0", None, ("_decl",)): lambda x: [x],
        ("__file_star_0", None, ("__file_star_0", "_decl")): append,
        ("__block_star_1", None, ("_item",)): lambda x: [x],
        ("__block_star_1", None, ("__block_star_1", "_item")): append,
        ("__args_star_2", None, ("COMMA", "expr")): lambda _c, x: [x],
        ("__args_star_2", None, ("__args_star_2", "COMMA", "expr")): lambda lst, _c, x: append(lst, x),
    }


def _rule_key(rule) -> tuple:
    return (rule.origin.name, rule.alias, tuple(s.name for s in rule.expansion))


def table_data(lark_parser) -> tuple:
    """The LALR table of a ``lark.Lark`` parser as plain data (kept in a cache file between runs):
    ``(terminals, start, end, columns, rules)`` with ``rules[i] = (arity, goto, key)``."""
    from lark.parsers.lalr_analysis import Shift

    terminals = {t.name: t.pattern.value for t in lark_parser.terminals}
    pt = lark_parser.parser.parser.parser.parse_table
    rules = list(lark_parser.rules)
    n_states = max(pt.states) + 1
    rule_id = {id(r): i for i, r in enumerate(rules)}
    columns: dict[str, list] = {t: [None] * n_states for t in [*terminals, "$END"]}
    gotos: dict[str, list] = {r.origin.name: [None] * n_states for r in rules}
    for s, row in pt.states.items():
        for sym, (action, arg) in row.items():
            if sym in gotos and action is Shift:
                gotos[sym][s] = arg
            elif sym in columns:
                columns[sym][s] = arg if action is Shift else ~rule_id[id(arg)]
            else:
                raise Fallback(f"unknown symbol {sym}")
    rule_rows = [(len(r.expansion), gotos[r.origin.name], _rule_key(r)) for r in rules]
    return terminals, pt.start_states["file"], pt.end_states["file"], columns, rule_rows


class Tables:
    """The LALR table of the grammar, encoded for the driver loop.

    ``columns[terminal][state]`` is the action: a shift to a state (>= 0), ``~i`` to reduce by
    rule ``i``, or None (a syntax error). ``rules[i]`` is ``(arity, goto, reducer)`` where
    ``goto[state]`` is the state after the rule's nonterminal, and the reducer None for an identity
    rule (one symbol, its value kept: ``?expr: or_expr``, ``_item: entry``)."""

    def __init__(self, data: tuple):
        terminals, self.start, self.end, self.columns, rule_rows = data
        if terminals != EXPECTED_TERMINALS:
            raise Fallback("the grammar's terminals changed")
        reducers = _make_reducers()
        keys = [(k[0], k[1], tuple(k[2])) for _, _, k in rule_rows]
        if set(keys) != set(reducers) or len(keys) != len(reducers):
            raise Fallback("the grammar's rules changed")
        if len(next(iter(self.columns.values()))) >= 1 << 12:
            raise Fallback("too many states")
        self.rules = [(n, goto, reducers[k]) for (n, goto, _), k in zip(rule_rows, keys)]
        #: per terminal: (below << 12 | top) -> the top state after the identity reductions it triggers
        self.chains: dict[str, dict[int, int]] = {t: {} for t in self.columns}

    def chain(self, ttype: str, below: int, top: int) -> int:
        """The top state after every identity reduction that ``ttype`` triggers over ``top``, with
        ``below`` beneath (each such reduction replaces only the top state)."""
        column, start = self.columns[ttype], top
        while True:
            act = column[top]
            if act is None or act >= 0:
                break
            n, goto, fn = self.rules[~act]
            if fn is not None:
                break
            top = goto[below]
            if top is None:
                raise Fallback("no goto")
        self.chains[ttype][below << 12 | start] = top
        return top


def _cache_file() -> str:
    """Where the table data of this grammar and version is kept (in the temporary folder, like lark's
    own cache), so that a run needs neither lark nor the grammar's analysis."""
    import hashlib
    import marshal
    import tempfile

    from . import __version__
    from .parser import grammar_text

    digest = hashlib.sha256(f"{__version__}\0{marshal.version}\0{grammar_text()}".encode()).hexdigest()[:20]
    return os.path.join(tempfile.gettempdir(), f"kpidsl-lalr-{digest}.marshal")


def _load_data() -> tuple:
    import marshal

    path = _cache_file()
    try:
        with open(path, "rb") as fh:
            return marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    from .lark_parser import _parser

    data = table_data(_parser())
    try:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            marshal.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        pass
    return data


@functools.cache
def tables() -> Tables | None:
    """The driver's tables, or None when this grammar cannot use the fast path."""
    try:
        return Tables(_load_data())
    except (Fallback, ValueError, TypeError, KeyError, IndexError, StopIteration):  # a stale or odd cache
        return None


#: Characters per chunk of the token scan (bounded memory: a list of pairs per chunk, not per file).
CHUNK = 1 << 16


def _tokens(text: str):
    """``TOKENS.findall`` over the whole text, a chunk at a time. Each chunk ends just after a
    newline, where no token can continue (strings and comments stop before a newline, and nothing
    looks past one), so the pairs are the same as one scan's, except that whitespace running over
    a chunk's end comes as two pairs, the first with an empty token."""
    findall, find, n = TOKENS.findall, text.find, len(text)
    pos = 0
    while True:
        cut = find("\n", pos + CHUNK) + 1
        if cut == 0 or cut >= n:
            yield from findall(text, pos)
            return
        yield from findall(text, pos, cut)
        pos = cut


def _classify_rare(tok: str):
    """The kind of a token whose first character is not ASCII (names and digits in any script)."""
    if _NAME_RE.fullmatch(tok):
        return K_NAME
    if tok[0].isdecimal():  # `\d` in a str pattern: a decimal digit of any script
        return K_NUMBER
    return None


def parse(text: str, report, max_depth: int, reserved, reserved_message) -> syntax.File:
    """Parse ``text`` (no BOM, no NUL) into a syntax tree; findings go to ``report``. Raises
    ``Fallback`` for anything the plain lark path must decide."""
    tb = tables()
    if tb is None:
        raise Fallback("no tables")
    saved = _reports.report
    _reports.report = report
    try:
        return _parse(tb, text, report, max_depth, reserved, reserved_message)
    finally:
        _reports.report = saved


def _parse(tb: Tables, text: str, report, max_depth, reserved, reserved_message) -> syntax.File:
    columns, rules, all_chains, end = tb.columns, tb.rules, tb.chains, tb.end
    top = tb.start
    states = [top]
    values: list = []
    push_state, push_value = states.append, values.append
    keywords, first_kind, punct, ops = KEYWORDS, _FIRST, _PUNCT, _OPS
    cmp_column, minus_column = columns["CMP_OP"], columns["MINUS"]
    pos = line_start = depth = 0
    line = 1
    pending_reserved = False
    S = Span
    for ws, tok in _tokens(text):
        if ws:
            if "\n" in ws:
                line += ws.count("\n")
                line_start = pos + ws.rfind("\n") + 1
            pos += len(ws)
        if not tok:
            if pos < len(text):  # the end of a chunk, not of the text
                continue
            ttype, value = "$END", None
        else:
            col = pos - line_start + 1
            pos += len(tok)
            k = first_kind.get(tok[0])
            if k is None:
                k = _classify_rare(tok)
            if k == K_NAME:
                kw = keywords.get(tok)
                if kw is None or columns[kw][top] is None:
                    ttype = "NAME"  # a NAME the state does not accept fails below
                    value = Ident(tok, span=S(line, col, line, col + len(tok)))
                    if kw is not None:
                        pending_reserved = tok in reserved  # reported when shifted, as lark's callback is
                elif kw == "TRUE" or kw == "FALSE":
                    ttype = kw
                    value = Boolean(tok, span=S(line, col, line, col + len(tok)))
                else:
                    ttype = kw
                    value = (tok, line, col, col + len(tok))
            elif k == K_PUNCT:
                ttype = punct.get(tok)
                if ttype is None:
                    raise Fallback("a character no terminal matches")
                if ttype in ops:
                    value = tok
                elif ttype == "LBRACE" or ttype == "LPAR":
                    depth += 1
                    if depth > max_depth:
                        raise Fallback("too deep")
                    value = (tok, line, col, col + 1)
                elif ttype == "RBRACE" or ttype == "RPAR":
                    if depth:
                        depth -= 1
                    value = (tok, line, col, col + 1)
                elif ttype == "CMP2":
                    if cmp_column[top] is not None:
                        ttype, value = "CMP_OP", tok
                    else:
                        ttype, value = "THRESHOLD_OP", (tok, line, col, col + 2)
                elif ttype == "MINUS":
                    if minus_column[top] is not None:
                        value = None
                    else:
                        ttype, value = "ADD_OP", tok
                else:
                    value = None
            elif k == K_NUMBER:
                if tok[4:5] == "-" and tok[7:8] == "-":  # a number has at most one `-`, after its `e`
                    ttype = "DATE"
                    value = Date(tok, span=S(line, col, line, col + len(tok)))
                else:
                    ttype = "NUMBER"
                    value = Number(tok, span=S(line, col, line, col + len(tok)))
            elif k == K_STRING and len(tok) > 1:
                ttype = "STRING"
                value = String(tok, span=S(line, col, line, col + len(tok)))
            else:
                raise Fallback("a character no terminal matches")
        # the LALR loop for this token
        column = columns[ttype]
        chains = all_chains[ttype]
        while True:
            act = column[top]
            if act is None:
                raise Fallback("unexpected token")
            if act >= 0:
                push_state(act)
                top = act
                push_value(value)
                if pending_reserved:
                    report("E001", value.span, reserved_message(value.text))
                    pending_reserved = False
                break
            n, goto, fn = rules[~act]
            if fn is None:  # identity rules of one symbol: the value stays, only the top state changes
                below = states[-2]
                t = chains.get(below << 12 | top)
                if t is None:
                    t = tb.chain(ttype, below, top)
                states[-1] = top = t
                continue
            if n == 1:
                values[-1] = fn(values[-1])
                del states[-1]
            elif n:
                args = values[-n:]
                del values[-n:]
                del states[-n:]
                push_value(fn(*args))
            else:
                push_value(fn())
            top = goto[states[-1]]
            if top is None:
                raise Fallback("no goto")
            push_state(top)
            if top == end:  # only `file` leads here, and only with `$END` as the lookahead
                return values[-1]
        if not tok:
            break
    raise Fallback("end without accept")
