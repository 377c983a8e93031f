"""Source text to syntax tree: decoding, the cached LALR parser, and E000–E002 findings.

The lark parser is built once per process (from lark's on-disk cache when it can) and calls the
classes of ``kpidsl.parsing.syntax`` directly while it parses, so no intermediate parse tree is built.
"""

from __future__ import annotations

import contextvars
import gc
import os

from . import syntax
from ..errors import FindingSink, Span
from .sources import decode  # noqa: F401 - part of this module's interface

_sink: contextvars.ContextVar[FindingSink] = contextvars.ContextVar("kpidsl_literal_sink")
RESERVED = frozenset("model kgi kpi veto metric input scenario extends and or not true false".split())
#: Deeper nesting than this is reported instead of risking Python's recursion limit.
MAX_DEPTH = 500


def grammar_path() -> str:
    """Where ``grammar/kpi.lark`` is: inside the installed package, or beside the source tree."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the kpidsl package
    installed = os.path.join(here, "grammar", "kpi.lark")
    return installed if os.path.exists(installed) else os.path.join(os.path.dirname(here), "grammar", "kpi.lark")


def grammar_text() -> str:
    """The text of ``grammar/kpi.lark``."""
    with open(grammar_path(), encoding="utf-8") as fh:
        return fh.read()


def reserved_message(text: str) -> str:
    """The E001 message for a reserved word read where only a name fits."""
    return (f"`{text}` is a reserved word and cannot be used as a name; choose another name "
            f"(e.g. `{text}_count`)")


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
        tree = _parse_fast(text, sink)
        if tree is not None:
            return tree
    depth_problem = _too_deep(text)
    if depth_problem:
        sink.add("E001", depth_problem[0], depth_problem[1])
        return None
    from .lark_backend import parse_plain

    return parse_plain(text, sink)


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
    from . import descent

    found: list[tuple[str, Span, str]] = []

    def report(code: str, span: Span, message: str) -> None:
        found.append((code, span, message))

    gc_was_enabled = gc.isenabled()
    gc.disable()  # as below: the tree is acyclic
    try:
        tree = descent.parse(text, report)
    except descent.Fallback:
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


def __getattr__(name: str):
    """The plain lark path (``_parser``, ``_describe``, …) lives in ``kpidsl.parsing.lark_backend``, which
    imports lark: it is loaded only when a file needs it (a syntax error, or no fast path)."""
    if name.startswith("__"):
        raise AttributeError(name)
    from . import lark_backend as lark_parser

    return getattr(lark_parser, name)
