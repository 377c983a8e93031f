"""The fast parse path: a recursive-descent parser of the language of ``grammar/kpi.lark``.

``grammar/kpi.lark`` stays the language's definition, and lark's contextual lexer and LALR parser
(``kpidsl.parsing.lark_backend``) its reference implementation. This module parses the same language with
a scan of its own (``str.split`` for most lines, the ``TOKENS`` regex for the rest) and a function
per level of the grammar, building the ``kpidsl.parsing.syntax`` nodes directly as tuples, a batch of lines
at a time; it is what a valid file goes through.

It only ever says yes when the reference would say the same: anything it is not sure of — a
keyword where a name stands, a token the grammar does not allow at that place, a character no
terminal matches, brackets nested deeper than ``MAX_DEPTH`` — raises ``Fallback``, and the caller
parses with lark instead (which words every E001). Where the grammar's terminals overlap, a token is
accepted only in the form that lark's contextual lexer would choose at that place: a keyword only
where the grammar accepts that keyword, ``>=``/``<=``/``==`` as a threshold only at the start of an
entry's value, ``-`` as unary minus only before an operand, a date only as an entry's whole value.

``tests/test_fast_paths.py`` checks trees (with every span), findings and their order against the
plain path, and ``GRAMMAR_SHA256`` pins the grammar this parser implements: a changed grammar fails
that test until this module follows it.
"""

from __future__ import annotations

import re
import sys
from itertools import repeat

from . import grammar, syntax
from ..errors import Span
from .scanning import pattern
from .sources import lines_of

#: sha256 of ``grammar/kpi.lark`` as this module implements it.
GRAMMAR_SHA256 = "f20ed616c2adcd4cafbc5530e3bc67b67813a4f42f7419c9a219727d82477bb3"


class Fallback(Exception):
    """This parser cannot (or must not) decide this text: parse it with lark instead.

    ``resume``, when ``parse`` sets it, says how much was decided: ``(line, column, decls, found)``,
    where lark is to start reading, the declarations before that place and their findings (``(code,
    span, message)``). Those are what lark would make of them, so lark need only read the text from
    that place on. The place is the start of the declaration before the first one this parser
    could not decide (or of that one when it is the first): lark's contextual lexer reads a token
    in the parser state after the tokens before, and after a declaration's ``}`` that state is the
    same wherever the declaration stands, while at the start of the text it is not."""

    resume: tuple[int, int, tuple, list] | None = None


#: (ignored text before, token) pairs that cover a line: whitespace and comments, then one token as
#: lark's lexer reads it, or any other single character (which no terminal matches), or the empty
#: string at the end. DATE comes before NUMBER (its priority is 2), `..` before `.`, two-character
#: comparisons before one; the other terminals start with characters of their own. One token here is
#: two of lark's: an entry's key with the colon right after it (`value:`), as `:` follows only a key.
#: A quote that opens no string takes the rest of its line (``_open``): lark stops there, and a scan
#: that tried a string again from each quote after it would take time quadratic in the line.
#: The patterns are the grammar's (``kpidsl.parsing.grammar``).
TOKENS = re.compile(
    f"((?:(?>{pattern('__IGNORE_0')})|(?>{pattern('COMMENT')}))*+)"
    f"([A-Za-z_]\\w*:?|{pattern('NAME')}:?"  # names (the ASCII ones first: most are), keys with their colon
    f"|{pattern('DATE')}|{pattern('NUMBER')}|{pattern('STRING')}|\"[^\\n]*"
    + "".join(f"|{re.escape(w)}" for w in sorted(  # operators of two characters, before those of one
        {w for words in grammar.TERMINALS.values() for w in words if len(w) > 1 and w not in grammar.RESERVED},
        key=lambda w: (-len(w), w)))
    + r"|[\s\S]|\Z)"
)
_NAME_RE = re.compile(grammar.PATTERNS["NAME"])
_STRING_RE = re.compile(pattern("STRING"))


def _open(tok: str) -> bool:
    """Whether ``tok``, a token of ``TOKENS`` that starts with a quote, is a quote that opens no
    string (with the rest of its line): the parser reads it as a lone ``"``, which no rule accepts."""
    return _STRING_RE.fullmatch(tok) is None


#: Brackets, braces and prefix operators nested deeper than this go to lark (and its limits).
MAX_DEPTH = 100
#: The token after the end of the text (the text has no NUL: ``parse_text`` reports one first).
END = "\x00"

K_NAME, K_NUMBER = 1, 2
_NAME_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGITS = frozenset("0123456789")
#: Each word or operator that a node keeps mapped to one string of it: a node keeps that string, not
#: the token read (a file of 10,000 declarations holds about 19,000 of these tokens: 1 MB).
KINDS = {k: k for k in grammar.KINDS}
THRESHOLD_OPS = {op: op for op in grammar.TERMINALS["THRESHOLD_OP"]}
CMP_OPS = frozenset(grammar.TERMINALS["CMP_OP"])
#: Operators written between two operands, and the levels they stand at.
_INFIX = {op: level for (_, op), (level, left, _) in grammar.OPERATORS.items() if left is not None}
#: Tokens that can continue an expression after an operand (a band's `..`, a call's `(` after a name).
CONTINUES = frozenset(_INFIX) | {"..", "("}
#: Tokens that make more of an operand than its first token: a call, those above unary minus (`.NAME`, `^`).
_POSTFIX = frozenset(op for op, level in _INFIX.items() if level > grammar.LEVELS["unary"]) | {"("}
#: Tokens that continue an expression above the level of a sum.
_LOGIC = frozenset(op for op, level in _INFIX.items() if level < grammar.LEVELS["sum"])


def _kind(tok: str) -> int | None:
    """K_NAME or K_NUMBER for a token that starts with a character beyond ASCII, else None."""
    if _NAME_RE.fullmatch(tok):  # names and digits in any script
        return K_NAME
    if tok[0].isdecimal():  # `\d` in a str pattern: a decimal digit of any script
        return K_NUMBER
    return None


#: Chunks known to be one token each before any line is read: those a model is mostly made of.
_PLAIN_SEED = frozenset(("", "{", "}", "(", ")", ",", ";", ":", "+", "-", "*", "/", "^", ".", "..", "<", ">",
                         ">=", "<=", "==", "!=", "value:", "target:", "weight:", "baseline:", "stretch:",
                         "owner:", "due:", "period:", "unit:", "source:", "parent:", "expect"))
#: Ignored at the ends of a line (CR of a CRLF line end among them).
_EDGE = " \t\r"


#: Lines scanned at a time: the parser reads a file a batch of lines after another, so that the
#: tokens of a large file are never all held at once (their memory is reused batch after batch).
BATCH_LINES = 1000


def scan(text: str) -> tuple[list[str], list[int], list[int]]:
    """The tokens of ``text`` and the line and column where each starts, then three ``END`` tokens
    (so that the parser may look two tokens ahead)."""
    toks: list[str] = []
    lines: list[int] = []
    cols: list[int] = []
    scanner(text)(toks, lines, cols, None)
    return toks, lines, cols


def scanner(text: str):
    """``more(toks, lines, cols, count)``, which appends the tokens of the next ``count`` lines of
    ``text`` (all that are left when ``count`` is None) and where each starts to the three lists,
    then three ``END`` tokens, and says whether lines are left. ``toks`` must end with the ``END``
    tokens of the batch before, if any: ``more`` replaces them.

    No token spans lines, and lines are what lark counts (``\\n`` only), so the text is scanned a
    line at a time. ``TOKENS`` defines the tokens; most lines need no regex, though: a line whose
    space-separated chunks are each one token (as ``TOKENS`` reads the chunk alone) has exactly
    those tokens, as no token but a string or a comment holds a space. Splitting is done in C, and
    a chunk is matched once per file (``plain`` keeps those that are one token; an ASCII name, the
    commonest new chunk, is known without the regex). A line is read in one pass over its chunks,
    and read again another way from the first chunk that is not one token: quoted strings without
    a backslash are cut out of the line by its quotes first; any other line goes through ``TOKENS``."""
    source = lines_of(text)
    end_col = len(text) - text.rfind("\n")
    match = TOKENS.match
    plain = {chunk: chunk for chunk in _PLAIN_SEED}  # each as its first string: a spelling's tokens share one
    known = plain.get
    edge = _EDGE
    done = 0  # lines scanned

    def one_token(chunk: str) -> bool:
        """Whether ``chunk``, not yet in ``plain``, is one token (then it is kept there)."""
        # an ASCII name, or a key with its colon, is one token: what TOKENS's first choice reads
        if not (chunk.isascii() and (chunk.isidentifier() or chunk[-1] == ":" and chunk[:-1].isidentifier())):
            m = match(chunk)
            if m[1] or m[2] != chunk or chunk[0] == '"' and _open(chunk):
                return False
        plain[chunk] = chunk
        return True

    def one_token_each(chunks: list[str]) -> bool:
        for chunk in chunks:
            if chunk not in plain and not one_token(chunk):
                return False
        return True

    def more(toks: list[str], lines: list[int], cols: list[int], count: int | None) -> bool:
        nonlocal done
        if toks and toks[-1] is END:
            del toks[-3:], lines[-3:], cols[-3:]
        add_tok, add_col = toks.append, cols.append
        stop = len(source) if count is None else min(len(source), done + count)
        line = done
        for line, text_of_line in enumerate(source[done:stop], done + 1):
            body = text_of_line.lstrip(edge)
            if not body:
                continue
            first = col = len(text_of_line) - len(body) + 1
            body = body.rstrip(edge)
            n = len(toks)
            for chunk in body.split(" "):  # most lines: each chunk one token, most of them seen before
                if chunk:
                    tok = known(chunk)
                    if tok is None:
                        if not one_token(chunk):
                            break
                        tok = chunk
                    add_tok(tok)
                    add_col(col)
                    col += len(chunk) + 1
                else:
                    col += 1
            else:
                lines += repeat(line, len(toks) - n)
                continue
            del toks[n:], cols[n:]  # a chunk of more than one token: the line is read another way
            if not ('"' in body and _quoted(body, first, one_token_each, add_tok, add_col, plain)):
                _regex_line(text_of_line, add_tok, add_col)
            lines += repeat(line, len(toks) - n)
        done = stop
        for _ in range(3):
            add_tok(END)
            lines.append(max(line, 1))
            add_col(end_col)
        if done < len(source):
            return True
        plain.clear()  # the text is read: what it holds would otherwise wait for the collector
        return False

    return more


def _quoted(body: str, col: int, one_token_each, add_tok, add_col, plain: dict[str, str]) -> bool:
    """The tokens of a line (``body``, from column ``col``) whose strings hold no backslash and
    whose other parts are plain chunks; False (and nothing added) for any other line. Tokens are
    taken from ``plain`` (and short strings kept there), so that those of one spelling share one string."""
    pieces = body.split('"')
    if not len(pieces) & 1 or "\\" in body or "\r" in body:  # a string left open, an escape, a CR
        return False
    code = [piece.split(" ") for piece in pieces[::2]]
    if not all(map(one_token_each, code)):
        return False
    strings = pieces[1::2]
    for k, chunks in enumerate(code):
        for chunk in chunks:
            if chunk:
                add_tok(plain[chunk])
                add_col(col)
            col += len(chunk) + 1
        col -= 1  # no space after the last chunk: a quote
        if k < len(strings):
            string = '"' + strings[k] + '"'
            add_tok(plain.setdefault(string, string) if len(string) <= 34 else string)
            add_col(col)
            col += len(string)
    return True


def _regex_line(text_of_line: str, add_tok, add_col) -> None:
    """The tokens of one line as ``TOKENS`` reads them."""
    pairs = TOKENS.findall(text_of_line)
    pairs.pop()  # the empty token at the end of the line
    if pairs and not pairs[-1][1]:  # and one after trailing whitespace or a comment
        pairs.pop()
    if pairs and pairs[-1][1][0] == '"' and _open(pairs[-1][1]):  # a quote that opens no string
        pairs[-1] = (pairs[-1][0], '"')
    col = 1
    for ws, tok in pairs:
        col += len(ws)
        add_tok(tok)
        add_col(col)
        col += len(tok)


def parse(text: str, report) -> syntax.File:
    """Parse ``text`` (no BOM, no NUL) into a syntax tree; E001/E002 findings of a tree that parses
    go to ``report(code, span, message)`` in the order the plain path reports them. Raises
    ``Fallback`` for anything the plain path must decide."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 12 * MAX_DEPTH + 200))  # each nesting level is a few frames
    try:
        tree, found = _parse(text)
    finally:
        sys.setrecursionlimit(limit)
    for code, span, message in found:
        report(code, span, message)
    return tree


def _parse(text: str) -> tuple[syntax.File, list]:  # noqa: C901 - one grammar
    """The tree of ``text`` and the E001/E002 findings (code, span, message) of reading it.

    The parser: closures over the token lists and a position (local names are the fastest Python
    has), one function per level of the grammar, each node built as a tuple in its field order, its
    position (line, column, end line, end column) as its last four items: a node spans from
    ``node[-4], node[-3]`` to ``node[-2], node[-1]``. A node of one token (``syntax.Token``) and one
    that ends with its last field (``syntax.EndsWithLast``) keep only their line and column;
    ``_from_to`` reads where a formula's parts start and end.

    The tokens come a batch of lines at a time (``scanner``): the top level drops the tokens it has
    read and scans the next batch when it reaches the end of one. A declaration cut by the end of a
    batch runs into ``END`` and raises ``Fallback``; it is read again, its findings too, with twice
    as many lines more (so that one long declaration is read about twice, not once per batch).
    Any other ``Fallback`` is the caller's, with its ``resume`` set: the parser looks at most two
    tokens past its position, so one raised before it saw the batch's ``END`` is decided."""
    T: list[str] = []
    L: list[int] = []
    C: list[int] = []
    more = scanner(text)
    left = more(T, L, C, BATCH_LINES)
    found: list[tuple[str, Span, str]] = []

    def report(code: str, span: Span, message: str) -> None:
        found.append((code, span, message))

    new = tuple.__new__
    Ident, Ref, Number, String, Date, Boolean = (
        syntax.Ident, syntax.Ref, syntax.Number, syntax.String, syntax.Date, syntax.Boolean)
    Binary, Compare, NotOp, AndOp, OrOp, Neg = (
        syntax.Binary, syntax.Compare, syntax.NotOp, syntax.AndOp, syntax.OrOp, syntax.Neg)
    Attribute, Call, Args, Threshold, Band, Entry, Expect, Block = (
        syntax.Attribute, syntax.Call, syntax.Args, syntax.Threshold, syntax.Band, syntax.Entry,
        syntax.Expect, syntax.Block)
    read_number, read_date, read_string = Number._read, Date._read, String._read
    numbers = read_number.cache  # spelling -> (value, problem, spelling), filled by read_number
    keywords, kinds, continues, cmp_ops, threshold_ops = grammar.RESERVED, KINDS, CONTINUES, CMP_OPS, THRESHOLD_OPS
    postfix, logic = _POSTFIX, _LOGIC
    name_first, digits = _NAME_FIRST, _DIGITS
    keys: dict[str, str] = {}  # `key:` token -> its key (an entry's key is kept as a string)
    i = 0
    depth = 0

    def deeper() -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise Fallback("too deep")

    def number(t: str):
        """The NUMBER token ``t`` at ``i`` (E002 when it reads badly); moves past it."""
        nonlocal i
        got = numbers.get(t) or read_number(t)
        line, col = L[i], C[i]
        i += 1
        if got[1]:
            report("E002", Span(line, col, line, col + len(t)), got[1])
        return new(Number, (got[2], got[0], got[1], line, col))  # one string a spelling

    def literal(cls, read, t: str):
        """The literal token ``t`` at ``i`` (E002 when it reads badly); moves past it."""
        nonlocal i
        got = read(t)
        problem = got[1]
        line, col = L[i], C[i]
        i += 1
        node = new(cls, (got[2], got[0], problem, line, col))  # one string a spelling
        if problem:
            report("E002", node.span, problem)
        return node

    def name() -> syntax.Ident:
        """The NAME at ``i`` (a keyword there is lark's to decide); moves past it."""
        nonlocal i
        t = T[i]
        c = t[0]
        if not (c in name_first and t[-1] != ":" and t not in keywords or c >= "\x80" and _kind(t) == K_NAME):
            raise Fallback("a name expected")
        line, col = L[i], C[i]
        i += 1
        return new(Ident, (t, line, col))

    def atom():
        nonlocal i, depth
        t = T[i]
        c = t[0]
        if c in name_first and t[-1] != ":" and t not in keywords or c >= "\x80" and _kind(t) == K_NAME:
            ident = name()
            if T[i] == "(":
                i += 1
                deeper()
                items = [expr()]
                while T[i] == ",":
                    i += 1
                    items.append(expr())
                if T[i] != ")":
                    raise Fallback("`)` expected")
                i += 1
                depth -= 1
                args = new(Args, (tuple(items),) + _from_to(items[0], items[-1]))
                node = new(Call, (ident, args, ident[-2], ident[-1], args[-2], args[-1]))
            else:
                node = new(Ref, ident)  # the same items
        elif c in digits or c >= "\x80" and _kind(t) == K_NUMBER:
            if len(t) == 10 and t[4] == "-" and t[7] == "-":
                raise Fallback("a date inside a formula")  # lark reads it as arithmetic there
            node = number(t)
        elif t == "true" or t == "false":
            line, col = L[i], C[i]
            i += 1
            node = new(Boolean, (t == "true", line, col, line, col + len(t)))
        elif t == "(":
            i += 1
            deeper()
            node = or_expr()
            if T[i] != ")":
                raise Fallback("`)` expected")
            i += 1
            depth -= 1
        else:
            raise Fallback("an operand expected")
        while T[i] == ".":  # postfix: NAME.score
            i += 1
            if T[i] == "grade":  # the one keyword that is also a result's name
                attr = new(Ident, ("grade", L[i], C[i]))
                i += 1
            else:
                attr = name()
            node = new(Attribute, (node, attr) + _from_to(node, attr))
        return node

    def unary():
        """``unary``: ``-`` unary, or a power; names and numbers that stand alone are taken here."""
        nonlocal i, depth
        t = T[i]
        if T[i + 1] not in postfix:
            c = t[0]
            if c in name_first and t[-1] != ":" and t not in keywords:
                line, col = L[i], C[i]
                i += 1
                return new(Ref, (t, line, col))
            if c in digits and not (len(t) == 10 and t[4] == "-" and t[7] == "-"):
                return number(t)
        if t == "-":
            i += 1
            deeper()
            x = unary()
            depth -= 1
            return new(Neg, (x,) + _from_to(x, x))
        base = atom()
        if T[i] == "^":  # power: postfix "^" unary (right-associative)
            i += 1
            deeper()
            right = unary()
            depth -= 1
            return new(Binary, (base, "^", right) + _from_to(base, right))
        return base

    def product():
        nonlocal i
        left = unary()
        op = T[i]
        while op == "*" or op == "/":
            i += 1
            right = unary()
            left = new(Binary, (left, op, right) + _from_to(left, right))
            op = T[i]
        return left

    def sum_():
        nonlocal i
        left = product()
        op = T[i]
        while op == "+" or op == "-":
            i += 1
            right = product()
            left = new(Binary, (left, op, right) + _from_to(left, right))
            op = T[i]
        return left

    def not_expr(left=None):
        """``not_expr`` (``left``, when given, is its first ``sum``, already read)."""
        nonlocal i, depth
        if left is None:
            if T[i] == "not":
                i += 1
                deeper()
                x = not_expr()
                depth -= 1
                return new(NotOp, (x,) + _from_to(x, x))
            left = sum_()
        op = T[i]
        if op in cmp_ops:  # non-associative: `a < b < c` is lark's to reject
            i += 1
            r = T[i]
            if r[0] == '"':  # a grade's name: `x.grade == "A"`
                if len(r) < 2:
                    raise Fallback("an unterminated string")
                right = literal(String, read_string, r)
            else:
                right = sum_()
            if T[i] in cmp_ops:
                raise Fallback("chained comparison")
            return new(Compare, (left, op, right) + _from_to(left, right))
        return left

    def and_expr(left=None):
        nonlocal i
        left = not_expr(left)
        while T[i] == "and":
            i += 1
            right = not_expr()
            left = new(AndOp, (left, right) + _from_to(left, right))
        return left

    def or_expr(left=None):
        nonlocal i
        left = and_expr(left)
        while T[i] == "or":
            i += 1
            right = and_expr()
            left = new(OrOp, (left, right) + _from_to(left, right))
        return left

    def expr():
        """``expr``: the levels above ``sum`` are entered only when a comparison, ``and``, ``or``
        or ``not`` is there (most formulas are arithmetic); a lone operand is taken at once."""
        t = T[i]
        if t == "not":
            return or_expr()
        if T[i + 1] not in continues and (t[0] in name_first or t[0] in digits):
            return unary()  # a name or a number alone (a keyword or a date there goes to atom())
        left = sum_()
        if T[i] in logic:
            return or_expr(left)
        return left

    def entry_value():
        """``_entry_value``: a formula, a threshold, a band, a string or a date."""
        nonlocal i
        t = T[i]
        c = t[0]
        if c in digits:
            if len(t) == 10 and t[4] == "-" and t[7] == "-":  # DATE: a NUMBER has one `-` at most
                return literal(Date, read_date, t)  # a date is an entry's whole value
            if T[i + 1] not in continues:  # a lone number (block() reads most of these itself)
                return number(t)
        elif c == '"':
            if len(t) < 2:
                raise Fallback("an unterminated string")
            return literal(String, read_string, t)
        elif t in threshold_ops:
            line, col = L[i], C[i]
            i += 1
            x = expr()
            return new(Threshold, (threshold_ops[t], x, line, col))
        x = expr()
        if T[i] == "..":
            i += 1
            y = expr()
            return new(Band, (x, y) + _from_to(x, y))
        return x

    def label():
        """An optional string after a declaration's name."""
        t = T[i]
        if t[0] != '"':
            return None
        if len(t) < 2:
            raise Fallback("an unterminated string")
        return literal(String, read_string, t)

    def block():
        nonlocal i, depth
        if T[i] != "{":
            raise Fallback("`{` expected")
        lb_line, lb_col = L[i], C[i]
        i += 1
        deeper()
        items = []
        add = items.append
        while True:
            t = T[i]
            if t == "}":
                break
            c = t[0]
            if t[-1] == ":" and (c in name_first or c >= "\x80"):  # `key:`, one token
                key = keys.get(t)
                if key is None:
                    key = t[:-1]
                    if key in keywords or c >= "\x80" and _kind(key) != K_NAME:
                        raise Fallback("a keyword as an entry's key")
                    keys[t] = key
                line, col = L[i], C[i]
                i += 1
                v = T[i]
                if v[0] in digits and T[i + 1] not in continues and not (len(v) == 10 and v[4] == "-"):
                    # a lone number, the commonest value: entry_value() and number(), inline
                    got = numbers.get(v) or read_number(v)
                    v_line, v_col = L[i], C[i]
                    i += 1
                    if got[1]:
                        report("E002", Span(v_line, v_col, v_line, v_col + len(v)), got[1])
                    add(new(Entry, (key, new(Number, (got[2], got[0], got[1], v_line, v_col)), line, col)))
                    continue
                if v in threshold_ops:
                    n = T[i + 1]
                    if n[0] in digits and T[i + 2] not in continues and not (len(n) == 10 and n[4] == "-"):
                        # `>= N`, the commonest target: entry_value()'s threshold, inline
                        op_line, op_col = L[i], C[i]
                        i += 1
                        threshold = new(Threshold, (threshold_ops[v], number(n), op_line, op_col))
                        add(new(Entry, (key, threshold, line, col)))
                        continue
                value = entry_value()
                add(new(Entry, (key, value, line, col)))
            elif c in name_first and t not in keywords or c >= "\x80" and _kind(t) == K_NAME:
                line, col = L[i], C[i]
                i += 1
                if T[i] == ":":  # a key and its colon apart (`value : 1`)
                    i += 1
                    value = entry_value()
                    add(new(Entry, (t, value, line, col)))
                elif T[i][0] == '"':  # `period "2025-07" { … }` (another word there is an E001 of its own)
                    key = new(Ident, (t, line, col))
                    if len(T[i]) < 2:
                        raise Fallback("an unterminated string")
                    when = literal(String, read_string, T[i])
                    body = block()
                    node = new(syntax.PeriodBlock, (key, when, body, line, col))
                    if t != "period" and t != "to_date":
                        report("E001", node.span, node.problem)
                    add(node)
                else:  # `expect CONDITION` (another word there is an E001 of its own)
                    key = new(Ident, (t, line, col))
                    cond = expr()
                    node = new(Expect, (key, cond, line, col))
                    if t != "expect":
                        report("E001", node.span, node.problem)
                    add(node)
            elif t in kinds:
                add(indicator_decl(t))
            elif t == ";":
                i += 1
            else:
                raise Fallback("an item expected")
        depth -= 1
        line, col = L[i], C[i]
        i += 1
        items += (lb_line, lb_col, line, col + 1)
        return new(Block, items)  # the items, then the positions

    def indicator_decl(kind: str):
        nonlocal i
        line, col = L[i], C[i]
        i += 1
        ident = name()
        lab = label()
        body = block()
        return new(syntax.IndicatorDecl, (kinds[kind], ident, lab, body, line, col))

    def next_batch(keep: int, count: int) -> bool:
        """Drop the tokens before ``keep``, scan ``count`` more lines after the rest; whether lines
        are left."""
        nonlocal i, depth
        del T[:keep], L[:keep], C[:keep]
        i = depth = 0
        return more(T, L, C, count)

    decls = []
    last_reported = 0  # the findings before the last declaration read
    count = BATCH_LINES  # doubled each time one declaration is read again: a long one costs twice
    while True:
        start, reported = i, len(found)
        try:
            t = T[i]
            if t in kinds:
                decl = indicator_decl(t)
            elif t == "model":
                line, col = L[i], C[i]
                i += 1
                lab = label()
                body = block()
                decl = new(syntax.ModelDecl, ("model", lab, body, line, col))
            elif t == "scenario":
                line, col = L[i], C[i]
                i += 1
                ident = name()
                lab = label()
                ext = None
                if T[i] == "extends":
                    i += 1
                    ext = name()
                body = block()
                decl = new(syntax.ScenarioDecl, ("scenario", ident, lab, ext, body, line, col))
            elif t == END:
                if not left:
                    break
                left = next_batch(i, BATCH_LINES)
                continue
            else:
                raise Fallback("a declaration expected")
        except Fallback as exc:
            if left and i + 2 >= len(T) - 3:  # it may have seen the batch's END: read again, with more lines
                del found[reported:]
                count *= 2
                left = next_batch(start, count)
                continue
            if decls:  # lark reads the last declaration again: its state after it is that of the whole text
                last = decls.pop()
                exc.resume = (last[-2], last[-1], tuple(decls), found[:last_reported])
            else:
                exc.resume = (L[start], C[start], (), found[:reported])
            _drop(T, L, C)
            raise
        decls.append(decl)
        last_reported = reported
        count = BATCH_LINES
    _drop(T, L, C)
    if not decls:
        return new(syntax.File, ((), 1, 1, 1, 1)), found
    first, end = decls[0], decls[-1].span  # a declaration keeps where it starts
    return new(syntax.File, (tuple(decls), first[-2], first[-1], end[2], end[3])), found


def _from_to(first, last) -> tuple:
    """The four positions of a node that spans from the start of ``first`` to the end of ``last``, two
    formula nodes (a ``syntax.Token`` keeps only its start: it ends ``len(text)`` columns on)."""
    k = first._kept  # its line and column are its items -k and 1 - k
    end = last[-1] if last._kept == 4 else last[-1] + len(last[0])
    return first[-k], first[1 - k], last[-2], end


def _drop(*token_lists: list) -> None:
    """Empty the token lists of a parse: the parser's closures refer to one another, so the lists
    would otherwise be freed only when the cyclic collector next runs (a batch's tokens are several
    times the size of its text)."""
    for items in token_lists:
        items.clear()
