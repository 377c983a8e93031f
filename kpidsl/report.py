"""Findings for people and tools: ``text`` (with the source line and a caret) and ``json``."""

from __future__ import annotations

import json
from collections import Counter
from typing import Callable, Iterable

from .findings import Finding
from .textutil import width

Style = Callable[..., str]


def plain(text: str, **_: object) -> str:
    """No colour."""
    return text


def _caret_line(line: str, f: Finding) -> str:
    start = f.span.column - 1
    end = f.span.end_column - 1 if f.span.end_line == f.span.line else len(line)
    end = max(end, start + 1)
    lead = width(line[:start].replace("\t", " "))
    return " " * lead + "^" * max(1, width(line[start:end]))


def text_finding(f: Finding, lines: list[str] | None, style: Style = plain) -> str:
    """``path:line:col: CODE message``, then the source line and a caret under the span."""
    colour = "red" if f.is_error else "yellow"
    head = (style(f"{f.path}:{f.span.line}:{f.span.column}:", bold=True) + " "
            + style(f.code, fg=colour, bold=True) + " " + f.message)
    if not lines or not (1 <= f.span.line <= len(lines)):
        return head
    src = lines[f.span.line - 1].rstrip("\r\n")
    if len(src) > 300:
        return head
    num = str(f.span.line)
    gutter = " " * len(num)
    return "\n".join([
        head,
        f" {num} | {src.replace(chr(9), ' ')}",
        f" {gutter} | " + style(_caret_line(src, f), fg=colour, bold=True),
    ])


def summary(findings: Iterable[Finding]) -> str:
    """``Found 3 findings (1 error, 2 warnings).`` or ``All checks passed.``"""
    fs = list(findings)
    if not fs:
        return "All checks passed."
    errors = sum(f.is_error for f in fs)
    warnings = len(fs) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"Found {len(fs)} finding{'s' if len(fs) != 1 else ''} ({', '.join(parts)})."


def statistics(findings: Iterable[Finding]) -> str:
    """A count per code, most frequent first."""
    from .rules import RULES

    counts = Counter(f.code for f in findings)
    return "\n".join(f"{n:5d}  {code}  {RULES[code].summary}" for code, n in
                     sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def json_findings(findings: Iterable[Finding]) -> str:
    """SPEC §7's JSON array of findings."""
    return json.dumps([f.to_json() for f in findings], ensure_ascii=False, indent=1)
