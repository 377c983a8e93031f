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
    resume = None
    if fast:
        tree, resume = _parse_fast(text, sink)
        if tree is not None:
            return tree
    from .lark_backend import parse_from, parse_plain

    if resume is None:
        return parse_plain(text, sink)
    line, column, decls, found = resume
    for code, span, message in found:
        sink.add(code, span, message)
    rest = parse_from(text, line, column, sink)
    if rest is None or not decls:
        return rest
    everything = decls + rest.decls
    return syntax.File(everything, span=everything[0].span.to(everything[-1].span))


def _parse_fast(text: str, sink: FindingSink) -> tuple[syntax.File | None, tuple | None]:
    """The fast path's tree (its findings added to ``sink``), or None and where lark is to take
    over: ``descent.Fallback.resume`` (the declarations the fast parser read, which lark need not
    read again: a syntax error near the end of a large file costs the fast parse of the file, not
    lark's), or None for the whole text."""
    from . import descent

    found: list[tuple[str, Span, str]] = []

    def report(code: str, span: Span, message: str) -> None:
        found.append((code, span, message))

    with paused_gc(settle_after=True):  # the tree is acyclic
        try:
            tree = descent.parse(text, report)
        except descent.Fallback as exc:
            return None, exc.resume
        except Exception:  # never trust the fast path over the plain one
            return None, None
    for code, span, message in found:
        sink.add(code, span, message)
    return tree, None
