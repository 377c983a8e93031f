"""Source text to syntax tree: decoding, the cached LALR parser, and E000–E002 findings.

The lark parser is built once per process (from lark's on-disk cache when it can) and calls the
classes of ``kpidsl.syntax`` directly while it parses, so no intermediate parse tree is built.
"""

from __future__ import annotations

import contextvars
import functools
import gc
import re
from importlib import resources
from pathlib import Path

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import syntax
from .findings import FindingSink, Span
from .sources import decode  # noqa: F401 - part of this module's interface
from .syntax import Ident

_sink: contextvars.ContextVar[FindingSink] = contextvars.ContextVar("kpidsl_literal_sink")
#: Tokens used only for the span of the node that holds them.
_PUNCTUATION = {"LBRACE", "RBRACE"}
RESERVED = frozenset("model kgi kpi veto metric input scenario extends and or not true false".split())
#: Deeper nesting than this is reported instead of risking Python's recursion limit.
MAX_DEPTH = 500


def grammar_text() -> str:
    """The text of ``grammar/kpi.lark`` (inside the installed package, or beside the source)."""
    try:
        return resources.files("kpidsl.grammar").joinpath("kpi.lark").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return (Path(__file__).resolve().parent.parent / "grammar" / "kpi.lark").read_text(encoding="utf-8")


def _span_of(children) -> Span | None:
    first = last = None
    for c in children:
        s = _child_span(c)
        if s is not None:
            first = first or s
            last = s
    return first.to(last) if first else None


def _child_span(c) -> Span | None:
    if c is None:
        return None
    if isinstance(c, lark.Token):
        return Span.of_token(c)
    if isinstance(c, tuple):
        return _span_of(c)
    return getattr(c, "span", None)


def _builder(cls, as_list: bool):
    def build(children):
        span = _span_of(children) or Span(1, 1, 1, 1)
        args = [c for c in children if not (isinstance(c, lark.Token) and c.type in _PUNCTUATION)]
        node = cls(tuple(args), span=span) if as_list else cls(*args, span=span)
        problem = getattr(node, "problem", None)
        if problem:
            _sink.get().add(getattr(node, "problem_code", "E002"), span, problem)
        return node

    return build


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Callbacks(lark.Transformer):
    """Maps each grammar rule to the syntax class of the same name (built in ``_callbacks``)."""

    def NAME(self, tok):  # noqa: N802 - lark calls terminal callbacks by terminal name
        ident = Ident(str(tok), span=Span.of_token(tok))
        if ident.text in RESERVED:  # the lexer read a keyword as a name where no keyword fits
            _sink.get().add("E001", ident.span, reserved_message(ident.text))
        return ident


def reserved_message(text: str) -> str:
    """The E001 message for a reserved word read where only a name fits."""
    return (f"`{text}` is a reserved word and cannot be used as a name; choose another name "
            f"(e.g. `{text}_count`)")


def _callbacks() -> _Callbacks:
    t = _Callbacks()
    for name in dir(syntax):
        cls = getattr(syntax, name)
        if isinstance(cls, type) and cls.__module__ == syntax.__name__ and hasattr(cls, "__attrs_attrs__") and cls is not Ident:
            rule = next((r for r, c in syntax.LIST_RULES.items() if c is cls), _snake(name))
            setattr(t, rule, _builder(cls, cls in syntax.LIST_RULES.values()))
    return t


@functools.cache
def _parser() -> lark.Lark:
    kw = dict(parser="lalr", lexer="contextual", start="file", transformer=_callbacks(),
              maybe_placeholders=True, propagate_positions=False)
    try:
        return lark.Lark(grammar_text(), cache=True, **kw)
    except (OSError, EOFError, ValueError, TypeError, AttributeError):  # an unusable cache file
        return lark.Lark(grammar_text(), **kw)


def parse_text(text: str, sink: FindingSink, fast: bool = True) -> syntax.File | None:
    """Parse ``text`` into a syntax tree, reporting E001/E002 into ``sink``; None on a syntax error.

    ``fast`` (the default) tries ``kpidsl.lexer``'s own lexer and LALR driver over the grammar's
    tables first; whatever it cannot decide (every syntax error among it) is parsed by lark's own
    contextual lexer and parser, the plain path that ``fast=False`` always takes. Both give the same
    trees and findings."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        i = text.index("\x00")
        line = text.count("\n", 0, i) + 1
        col = i - (text.rfind("\n", 0, i) + 1) + 1
        sink.add("E001", Span(line, col, line, col + 1),
                 "found a NUL character; a .kpi file is text — is this a binary file?")
        return None
    if fast:
        tree = _parse_fast(text, sink)
        if tree is not None:
            return tree
    depth_problem = _too_deep(text)
    if depth_problem:
        sink.add("E001", depth_problem[0], depth_problem[1])
        return None
    token = _sink.set(sink)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the tree is acyclic; collecting while millions of nodes appear only costs time
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        line, col = max(1, getattr(exc, "line", 1) or 1), max(1, getattr(exc, "column", 1) or 1)
        span, message = Span(line, col, line, col + 1), "syntax error"
        try:
            span, message = _describe(exc, text)
        except Exception:  # a message that cannot be worded still leaves a finding at the right place
            pass
        sink.add("E001", span, message)
        return None
    except RecursionError:
        sink.add("E001", Span(1, 1, 1, 1), f"the file nests deeper than {MAX_DEPTH} levels")
        return None
    finally:
        _sink.reset(token)
        if gc_was_enabled:
            settle_gc()
            gc.enable()


def settle_gc() -> None:
    """Move the objects the cyclic collector tracks into its oldest generation, without walking them.

    Call it with collection paused, after building a large acyclic structure (a syntax tree, a
    model). Otherwise the next collection of the youngest generation walks every new node, and the
    next of the middle one walks them again: a pass over the whole tree per stage. ``gc.freeze()``
    then ``gc.unfreeze()`` moves them in O(1); they are freed as before when no longer referenced,
    and still looked at by full collections. Skipped when someone else froze objects."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _parse_fast(text: str, sink: FindingSink) -> syntax.File | None:
    """The fast path's tree (its findings added to ``sink``), or None to take the plain path."""
    try:
        from . import lexer
    except ImportError:  # a copy of the package without kpidsl/lexer.py: the plain path decides
        return None

    found: list[tuple[str, Span, str]] = []

    def report(code: str, span: Span, message: str) -> None:
        found.append((code, span, message))

    gc_was_enabled = gc.isenabled()
    gc.disable()  # as below: the tree is acyclic
    try:
        tree = lexer.parse(text, report, MAX_DEPTH, RESERVED, reserved_message)
    except lexer.Fallback:
        return None
    except Exception:  # never trust the fast path over the plain one
        return None
    finally:
        if gc_was_enabled:
            settle_gc()
            gc.enable()
    for code, span, message in found:
        sink.add(code, span, message)
    return tree


def _too_deep(text: str) -> tuple[Span, str] | None:
    """Brackets and braces nested deeper than MAX_DEPTH (cheap pre-scan, ignoring strings/comments)."""
    if text.count("(") + text.count("{") < MAX_DEPTH:
        return None
    depth = 0
    line, col = 1, 0
    in_str = in_comment = False
    prev = ""
    for ch in text:
        col += 1
        if ch == "\n":
            line, col, in_comment, in_str = line + 1, 0, False, False
        elif in_comment:
            pass
        elif in_str:
            if ch == '"' and prev != "\\":
                in_str = False
        elif ch == "#":
            in_comment = True
        elif ch == '"':
            in_str = True
        elif ch in "({":
            depth += 1
            if depth > MAX_DEPTH:
                return (Span(line, col, line, col + 1),
                        f"brackets nest deeper than {MAX_DEPTH} levels here; split the formula "
                        "into named metrics or flatten the blocks with `parent:`")
        elif ch in ")}":
            depth = max(0, depth - 1)
        prev = ch if prev != "\\" else ""
    return None


# ---------------------------------------------------------------------------------------------
# E001 messages: what was found, what was expected, and a hint.

_TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "DATE": "a date",
    "LBRACE": "`{`", "RBRACE": "`}`", "LPAR": "`(`", "RPAR": "`)`", "COLON": "`:`",
    "COMMA": "`,`", "SEMICOLON": "`;`", "DOT": "`.`", "__ANON_0": "`..`",
    "THRESHOLD_OP": "`>=`, `<=` or `==`", "CMP_OP": "a comparison", "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*` or `/`", "POW_OP": "`^`", "MINUS": "`-`", "MODEL": "`model`", "SCENARIO": "`scenario`",
    "KGI": "`kgi`", "KPI": "`kpi`", "VETO": "`veto`", "METRIC": "`metric`", "INPUT": "`input`",
    "TRUE": "`true`", "FALSE": "`false`", "NOT": "`not`", "AND": "`and`", "OR": "`or`",
    "EXTENDS": "`extends`", "$END": "the end of the file",
}
_DECL_STARTS = {"MODEL", "SCENARIO", "KGI", "KPI", "VETO", "METRIC", "INPUT"}
_EXPR_STARTS = {"NAME", "NUMBER", "LPAR", "MINUS", "NOT", "TRUE", "FALSE"}
_HINTS = {"=>": "`>=`", "=<": "`<=`", "≥": "`>=`", "≤": "`<=`", "=": "`==` (or `:` after an entry's key)",
          "'": 'double quotes `"…"`', "“": 'straight double quotes `"…"`', "”": 'straight double quotes `"…"`',
          "!": "`!=` or `not`", "&&": "`and`", "||": "`or`", "&": "`and`", "|": "`or`",
          "**": "`^`", "%": "a number before `%` (`75%`)"}


def _expected_words(expected: set[str]) -> str:
    exp = set(expected)
    words = []
    if exp & _DECL_STARTS and {"KGI", "KPI"} <= exp:
        exp -= _DECL_STARTS | {"$END"}
        words.append("a declaration (`model`, `kgi`, `kpi`, `veto`, `metric`, `input`, `scenario`)")
    if exp >= {"NAME", "NUMBER", "LPAR"}:
        exp -= _EXPR_STARTS
        words.append("a number, a name or `(`")
    for t in sorted(exp):
        w = _TERMINAL_WORDS.get(t)
        if w is None:
            w = "`" + t.lower() + "`" if t.isalpha() else t
        if w not in words:
            words.append(w)
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _key_before(text: str, pos: int) -> str | None:
    """The entry key just before ``pos`` on the same line (``target`` in ``target: =>``)."""
    start = text.rfind("\n", 0, pos) + 1
    m = re.search(r"([^\W\d]\w*)\s*:\s*$", text[start:pos])
    return m.group(1) if m else None


def _last_line_span(text: str) -> Span:
    lines = text.rstrip().split("\n") if text.strip() else [""]
    n = len(lines)
    return Span(n, max(1, len(lines[-1].rstrip("\r"))), n, len(lines[-1].rstrip("\r")) + 1)


def _describe(exc: UnexpectedInput, text: str) -> tuple[Span, str]:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        found = text[pos: pos + 2]
        span = Span(exc.line, exc.column, exc.line, exc.column + 1)
        ch = text[pos]
        expected = _expected_words(exc.allowed or set())
        key = _key_before(text, pos)
        if key == "target" and ch in "=<>≥≤!":
            expected = "`>=`, `<=`, `==` or a band (`lo .. hi`)"
        what = f"`{found}`" if found[:2] in _HINTS else f"`{ch}`" if ch.isprintable() else f"U+{ord(ch):04X}"
        if ch == '"':
            what = "an unterminated string"
            expected = 'a closing `"` on the same line'
        message = f"found {what}; expected {expected}" + (f" after `{key}:`" if key else "")
        hint = _HINTS.get(found[:2]) or _HINTS.get(ch)
        if hint and ch != '"':
            message += f"; did you mean {hint}?"
        return span, message
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        expected = _expected_words(getattr(exc, "expected", None) or set())
        return _last_line_span(text), f"the file ends too early; expected {expected} (is a `}}` missing?)"
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    span = Span.of_token(tok)
    found = f"`{tok}`" if len(str(tok)) <= 30 else f"`{str(tok)[:27]}...`"
    expected = _expected_words(exc.expected)
    key = _key_before(text, tok.start_pos or 0)
    message = f"found {found}; expected {expected}" + (f" after `{key}:`" if key else "")
    stack = exc.interactive_parser.parser_state.value_stack if exc.interactive_parser else []
    prev = stack[-1] if stack else None
    if tok.type == "CMP_OP" and "CMP_OP" not in exc.expected:
        message = f"found a second comparison {found}; comparisons do not chain: write `a < b and b < c`"
    elif isinstance(prev, Ident) and "COLON" in exc.expected:
        message = f"found {found} after `{prev.text}`; expected `:` (entries are written `key: value`)"
    elif tok.type in _DECL_STARTS and "RBRACE" in exc.expected:
        message += "; is a `}` missing before it?"
    elif tok.type == "RBRACE" and "LBRACE" not in exc.expected:
        message += "; is something missing before the `}`?"
    return span, message
