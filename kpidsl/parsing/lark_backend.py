"""The plain parse path: lark's contextual lexer and LALR parser, its depth limit, and the words of
every E001.

The lark parser is built once per process (from lark's on-disk cache when it can) and calls the
classes of ``kpidsl.parsing.syntax`` directly while it parses, so no intermediate parse tree is built.
``kpidsl.parsing.parser`` takes this path for whatever its fast path cannot decide (every syntax error
among it), so lark is imported only then.
"""

from __future__ import annotations

import contextvars
import functools
import re

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import grammar, syntax
from ..errors import FindingSink, Span
from ..gcpause import paused_gc
from .grammar_gen import grammar_text
from .scanning import split_comment
from .sources import lines_of
from .syntax import Ident, String

#: Deeper nesting than this is reported instead of risking Python's recursion limit.
MAX_DEPTH = 500
#: Where the callbacks report E001/E002 while lark parses.
_sink: contextvars.ContextVar[FindingSink] = contextvars.ContextVar("kpidsl_literal_sink")

#: Tokens used only for the span of the node that holds them.
_PUNCTUATION = {"LBRACE", "RBRACE"}


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
    if type(c) is tuple:  # a list rule's children (nodes are tuples too, of their own classes)
        return _span_of(c)
    return getattr(c, "span", None)


def _builder(cls, as_list: bool):
    def build(children):
        span = _span_of(children) or Span(1, 1, 1, 1)
        # tokens become plain strings (an operator, a keyword, a literal's spelling)
        args = [(str(c) if isinstance(c, lark.Token) else c) for c in children
                if not (isinstance(c, lark.Token) and c.type in _PUNCTUATION)]
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
        if ident.text in grammar.RESERVED:  # the lexer read a keyword as a name where no keyword fits
            _sink.get().add("E001", ident.span, reserved_message(ident.text))
        return ident


def _callbacks() -> _Callbacks:
    t = _Callbacks()
    for name in dir(syntax):
        cls = getattr(syntax, name)
        if (isinstance(cls, type) and cls.__module__ == syntax.__name__ and issubclass(cls, syntax.Node)
                and cls not in (syntax.Node, Ident)):
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


def reserved_message(text: str) -> str:
    """The E001 message for a reserved word read where only a name fits."""
    return (f"`{text}` is a reserved word and cannot be used as a name; choose another name "
            f"(e.g. `{text}_count`)")


def parse_plain(text: str, sink: FindingSink) -> syntax.File | None:
    """Parse with lark's own contextual lexer and LALR parser (the callbacks build the syntax tree);
    brackets and braces nested deeper than ``MAX_DEPTH`` are reported before lark reads them."""
    depth_problem = _too_deep(text)
    if depth_problem:
        sink.add("E001", *depth_problem)
        return None
    token = _sink.set(sink)
    with paused_gc(settle_after=True):  # the tree is acyclic; collecting while it is built only costs time
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


def parse_from(text: str, line: int, column: int, sink: FindingSink) -> syntax.File | None:
    """``parse_plain`` of ``text`` from ``line``:``column`` on, where a declaration starts, with
    spans and findings as in the whole text (what comes before is read as blank lines and spaces).
    Lark's parser is in the same state at the start of any declaration, so the declarations before
    need not be read again: the caller has them."""
    lines = lines_of(text)
    offset = sum(map(len, lines[:line - 1])) + line - 1 + column - 1
    return parse_plain("\n" * (line - 1) + " " * (column - 1) + text[offset:], sink)


_BRACKETS = re.compile(r"[(){}]")


def _too_deep(text: str) -> tuple[Span, str] | None:
    """Brackets and braces nested deeper than MAX_DEPTH (a cheap scan of the code outside strings
    and comments)."""
    if text.count("(") + text.count("{") < MAX_DEPTH:
        return None
    depth = 0
    for line, source_line in enumerate(text.split("\n"), 1):
        for m in _BRACKETS.finditer(split_comment(source_line)[0]):
            if m[0] in "({":
                depth += 1
                if depth > MAX_DEPTH:
                    col = m.start() + 1
                    return (Span(line, col, line, col + 1),
                            f"brackets nest deeper than {MAX_DEPTH} levels here; split the formula "
                            "into named metrics or flatten the blocks with `parent:`")
            else:
                depth = max(0, depth - 1)
    return None


# ---------------------------------------------------------------------------------------------
# E001 messages: what was found, what was expected, and a hint.

def _either(words: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


#: Each terminal in words: its spellings (lark's names from ``grammar.TERMINALS``), or what it is.
_TERMINAL_WORDS = {name: _either([f"`{w}`" for w in words]) for name, words in grammar.TERMINALS.items()}
_TERMINAL_WORDS.update({"NAME": "a name", "NUMBER": "a number", "STRING": "a string", "DATE": "a date",
                        "CMP_OP": "a comparison", "$END": "the end of the file"})
_TERMINAL_OF = {words[0]: name for name, words in grammar.TERMINALS.items() if len(words) == 1}
_DECL_STARTS = {_TERMINAL_OF[w] for w in grammar.DECLARATIONS}
_KIND_STARTS = {_TERMINAL_OF[w] for w in grammar.KINDS}
_DECLARATION_WORDS = "a declaration (" + ", ".join(f"`{w}`" for w in grammar.DECLARATIONS) + ")"
_EXPR_STARTS = set(grammar.EXPRESSION_STARTS)
_HINTS = {"=>": "`>=`", "=<": "`<=`", "≥": "`>=`", "≤": "`<=`", "=": "`==` (or `:` after an entry's key)",
          "'": 'double quotes `"…"`', "“": 'straight double quotes `"…"`', "”": 'straight double quotes `"…"`',
          "!": "`!=` or `not`", "&&": "`and`", "||": "`or`", "&": "`and`", "|": "`or`",
          "**": "`^`", "%": "a number before `%` (`75%`)"}


def _expected_words(expected: set[str]) -> str:
    exp = set(expected)
    words = []
    if _KIND_STARTS <= exp:
        exp -= _DECL_STARTS | {"$END"}
        words.append(_DECLARATION_WORDS)
    if exp >= {"NAME", "NUMBER", "LPAR"}:
        exp -= _EXPR_STARTS
        words.append("a number, a name or `(`")
    for t in sorted(exp):
        w = _TERMINAL_WORDS.get(t)
        if w is None:
            w = "`" + t.lower() + "`" if t.isalpha() else t
        if w not in words:
            words.append(w)
    return _either(words) if words else "something else"


def _key_before(text: str, pos: int) -> str | None:
    """The entry key just before ``pos`` on the same line (``target`` in ``target: =>``): the name
    that ends the line's text before ``pos`` and a colon (read from the end: a search from each
    start would take time quadratic in a long run of letters)."""
    before = text[text.rfind("\n", 0, pos) + 1:pos].rstrip()
    if not before.endswith(":"):
        return None
    word = _WORD.match(before[:-1].rstrip()[::-1])[0][::-1]  # the letters, digits and _ at its end
    m = _NAME_START.search(word)
    return word[m.start():] if m else None


_WORD = re.compile(r"\w*")
_NAME_START = re.compile(r"[^\W\d]")


def _last_line_span(text: str) -> Span:
    """The span of the last line with more than whitespace (its last character)."""
    end = len(text)
    while end and text[end - 1].isspace():
        end -= 1
    n = text.count("\n", 0, end) + 1
    last = len(text[text.rfind("\n", 0, end) + 1:end].rstrip("\r"))
    return Span(n, max(1, last), n, last + 1)


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
    elif (type(prev) is String and len(stack) > 1 and isinstance(stack[-2], Ident) and stack[-2].text != "period"
          and "LBRACE" in exc.expected):  # `owner "me"`: a string after a key, not a period block's
        span = prev.span
        message = (f"found `{prev.raw if len(prev.raw) <= 30 else prev.raw[:27] + '...'}` after `{stack[-2].text}`; expected `:` (entries are written "
                   "`key: value`)")
    elif tok.type in _DECL_STARTS and "RBRACE" in exc.expected:
        message += "; is a `}` missing before it?"
    elif tok.type == "RBRACE" and "LBRACE" not in exc.expected:
        message += "; is something missing before the `}`?"
    return span, message
