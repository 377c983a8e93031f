"""``kpi check``: the compiler's findings plus the practice rules, less what is suppressed.

``# noqa`` at the end of the line where a finding starts silences it; ``# noqa: W102, W103``
silences those codes only. The configuration then selects and ignores codes. E000–E002 cannot be
silenced.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Sequence

from ..errors import Findings, FindingSink
from ..gcpause import paused_gc
from ..compiler.model import Model
from ..parsing.scanning import split_comment
from .practice import CHECKS, DEFAULT_MAX_CHILDREN
from .rules import RULES

if TYPE_CHECKING:
    from .config import Config

_NOQA_PATTERN = r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*))?"


@functools.cache
def _noqa():
    """The ``# noqa`` pattern, compiled when a finding's line first has a comment (most checks
    of a clean model never need it, and compiling it was a good part of importing this module)."""
    return re.compile(_NOQA_PATTERN, re.I)


def noqa_codes(line: str) -> tuple[str, ...] | None:
    """None without ``# noqa``; () for a bare ``# noqa`` (everything); else the listed codes."""
    comment = split_comment(line)[1]
    m = _noqa().search(comment) if comment else None
    if m is None:
        return None
    codes = m.group("codes")
    if codes is None:
        return ()
    return tuple(c.strip().upper() for c in codes.split(",") if c.strip())


def noqa_insertion(line: str, code: str) -> tuple[int, str]:
    """Where (an index into ``line``, one line without its end) and what to insert so that its
    ``# noqa`` silences ``code``: ``, CODE`` after the codes of its ``# noqa:`` comment, else
    ``  # noqa: CODE`` at its end (after any other comment). A ``#`` inside a string is no comment."""
    code_part, comment = split_comment(line)
    m = _noqa().search(comment) if comment else None
    if m is not None and m.group("codes") is not None:
        return len(code_part) + m.end("codes"), f", {code}"
    return len(line.rstrip()), f"  # noqa: {code}"


def practice_findings(model: Model, max_children: int, sink: FindingSink | None = None) -> Findings:
    """The findings of every practice rule for ``model``, added to ``sink`` (by default a new one)."""
    sink = FindingSink(model.path) if sink is None else sink
    start = len(sink)
    for code, check in CHECKS.items():
        for span, message in check(model, max_children):
            sink.add(code, span, message)
    return Findings(sink, range(start, len(sink)))


def suppress(findings: Findings, lines: Sequence[str] | None, config: Config | None) -> Findings:
    """Drop findings silenced by ``# noqa`` on their line or by ``config`` (None: the defaults,
    which silence nothing)."""
    read: dict[int, tuple[str, ...] | None] = {}  # each line's # noqa, read once (a line may have many findings)
    path = findings.path

    def kept(code: str, line: int) -> bool:
        if not RULES[code].silenceable:
            return True
        if lines and 1 <= line <= len(lines):
            codes = read.get(line, read)
            if codes is read:
                codes = read[line] = noqa_codes(lines[line - 1])
            if codes is not None and (not codes or any(code.startswith(c) for c in codes)):
                return False
        return config is None or not config.silences(code, path)

    return findings if lines is None and config is None else findings.select(kept)


def lint(model: Model, config: Config | None = None) -> Findings:
    """Every finding for ``model`` after suppression, sorted by position."""
    # Without a configuration the defaults apply, and kpidsl.checking.config is not even imported (making
    # its class was a good part of the first check of a process).
    max_children = DEFAULT_MAX_CHILDREN if config is None else config.max_children
    with paused_gc():  # the model is acyclic; a collection would walk every node of a large tree
        compiled = model.findings
        if isinstance(compiled, Findings) and len(compiled) == len(compiled.sink):  # all of its sink's
            before = compiled.sink
        else:  # findings made otherwise: kept as compiled ones are
            before = FindingSink(model.path)
            for f in compiled:
                before.add(f.code, f.span, f.message)
        sink = FindingSink(model.path, before)
        practice_findings(model, max_children, sink)
        lines = model.lines if len(sink) and "#" in model.text else None  # no split without a comment
        return suppress(sink.sorted(), lines, config)
