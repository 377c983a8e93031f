"""``kpi check``: the compiler's findings plus the practice rules, less what is suppressed.

``# noqa`` at the end of the line where a finding starts silences it; ``# noqa: W102, W103``
silences those codes only. The configuration then selects and ignores codes. E000–E002 cannot be
silenced.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from ..errors import BY_POSITION, Finding, FindingSink
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


def practice_findings(model: Model, max_children: int) -> list[Finding]:
    """The findings of every practice rule for ``model``."""
    sink = FindingSink(model.path)
    for code, check in CHECKS.items():
        for span, message in check(model, max_children):
            sink.add(code, span, message)
    return sink.items


def suppress(findings: list[Finding], lines: list[str] | None, config: Config | None) -> list[Finding]:
    """Drop findings silenced by ``# noqa`` on their line or by ``config`` (None: the defaults,
    which silence nothing)."""
    out = []
    read: dict[int, tuple[str, ...] | None] = {}  # each line's # noqa, read once (a line may have many findings)
    for f in findings:
        if RULES[f.code].silenceable:
            if lines and 1 <= f.span.line <= len(lines):
                codes = read.get(f.span.line, read)
                if codes is read:
                    codes = read[f.span.line] = noqa_codes(lines[f.span.line - 1])
                if codes is not None and (not codes or any(f.code.startswith(c) for c in codes)):
                    continue
            if config is not None and config.silences(f.code, f.path):
                continue
        out.append(f)
    return out


def lint(model: Model, config: Config | None = None) -> list[Finding]:
    """Every finding for ``model`` after suppression, sorted by position."""
    # Without a configuration the defaults apply, and kpidsl.checking.config is not even imported (making
    # its class was a good part of the first check of a process).
    max_children = DEFAULT_MAX_CHILDREN if config is None else config.max_children
    with paused_gc():  # the model is acyclic; a collection would walk every node of a large tree
        findings = list(model.findings) + practice_findings(model, max_children)
        findings.sort(key=BY_POSITION)
        return suppress(findings, model.lines if findings else None, config)  # no split of a clean file
