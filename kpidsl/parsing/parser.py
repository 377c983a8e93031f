"""Source text to syntax tree: the fast parser, and lark's for whatever it cannot decide.

A valid file goes through ``kpidsl.parsing.descent`` alone; ``kpidsl.parsing.lark_backend`` (which
imports lark) is loaded only for a file the fast parser cannot decide (every syntax error among them).
"""

from __future__ import annotations

from . import syntax
from ..errors import FindingSink, Span
from ..gcpause import paused_gc
from .sources import decode  # noqa: F401 - part of this module's interface


def parse_text(text: str, sink: FindingSink, fast: bool = True) -> syntax.File | None:
    """Parse ``text`` into a syntax tree, reporting E001/E002 into ``sink``; None on a syntax error.

    ``fast`` (the default) tries ``kpidsl.parsing.descent``'s recursive-descent parser first; whatever it
    cannot decide (every syntax error among it) is parsed by lark's own contextual lexer and LALR
    parser, the plain path that ``fast=False`` always takes. Both give the same trees and findings."""
    # ``text`` has no byte-order mark: the API and the formatter remove it (``sources.without_bom``).
    if "\x00" in text:
        i = text.index("\x00")
        line = text.count("\n", 0, i) + 1
        col = i - (text.rfind("\n", 0, i) + 1) + 1
        sink.add("E001", Span(line, col, line, col + 1),
                 "found a NUL character; a .kpi file is text — is this a binary file?")
        return None
    if fast:
        decided, tree = _parse_fast(text, sink)
        if decided:
            return tree
    from .lark_backend import parse_plain

    return parse_plain(text, sink)


def _parse_fast(text: str, sink: FindingSink) -> tuple[bool, syntax.File | None]:
    """``(True, the tree or None)`` with the findings added to ``sink``, or ``(False, None)`` to take
    the plain path.

    Where the fast parser stops at a declaration it cannot decide, the declarations before it are
    kept and lark reads the text from that declaration on (``lark_backend.parse_from``): a syntax
    error near the end of a large file costs the fast parse of the file, not lark's."""
    from . import descent

    found: list[tuple[str, Span, str]] = []

    def report(code: str, span: Span, message: str) -> None:
        found.append((code, span, message))

    with paused_gc(settle_after=True):  # the tree is acyclic
        try:
            tree = descent.parse(text, report)
        except descent.Fallback as exc:
            if exc.resume is None:
                return False, None
            line, column, decls, found = exc.resume
            tree = None
        except Exception:  # never trust the fast path over the plain one
            return False, None
    for code, span, message in found:
        sink.add(code, span, message)
    if tree is not None:
        return True, tree
    from .lark_backend import parse_from

    rest = parse_from(text, line, column, sink)
    if rest is None or not decls:
        return True, rest
    everything = decls + rest.decls
    return True, syntax.File(everything, span=everything[0].span.to(everything[-1].span))
