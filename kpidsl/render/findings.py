"""Findings for people and tools: ``text`` (with the source line and a caret) and ``json``."""

from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable

from ..errors import Finding
from .text import clean, width

Style = Callable[..., str]


def plain(text: str, **_: object) -> str:
    """No colour."""
    return text


def _shown(text: str) -> str:
    """Source text as the excerpt shows it: a tab as a space, other controls escaped (``clean``)."""
    return clean(text.replace("\t", " "))


def _caret_line(line: str, f: Finding) -> str:
    start = f.span.column - 1
    end = f.span.end_column - 1 if f.span.end_line == f.span.line else len(line)
    end = max(end, start + 1)
    lead = width(_shown(line[:start]))
    return " " * lead + "^" * max(1, width(_shown(line[start:end])))


def text_finding(f: Finding, lines: list[str] | None, style: Style = plain) -> str:
    """``path:line:col: CODE message``, then the source line and a caret under the span. The path,
    the message and the line are printed through ``clean``: what a terminal would act on is escaped,
    and the caret stands under the escaped text."""
    colour = "red" if f.is_error else "yellow"
    head = (style(clean(f"{f.path}:{f.span.line}:{f.span.column}:"), bold=True) + " "
            + style(f.code, fg=colour, bold=True) + " " + clean(f.message))
    if not lines or not (1 <= f.span.line <= len(lines)):
        return head
    src = lines[f.span.line - 1].rstrip("\r\n")
    if len(src) > 300:
        return head
    num = str(f.span.line)
    gutter = " " * len(num)
    return "\n".join([
        head,
        f" {num} | {_shown(src)}",
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
    from ..checking.rules import RULES

    counts = Counter(f.code for f in findings)
    return "\n".join(f"{n:5d}  {code}  {RULES[code].summary}" for code, n in
                     sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def json_findings(findings: Iterable[Finding]) -> str:
    """The JSON array of findings of ``kpi check --format json``."""
    return _json_text(f.to_json() for f in findings)


def _json_text(value) -> str:
    """JSON of ``value``, readable (not ASCII-escaped) and always valid UTF-8: a byte of a file name
    that is not UTF-8 (Python keeps it as a lone surrogate) becomes the escape ``\\udcff``."""
    import re

    text = json_text(value)
    if text.isascii() or not re.search("[\ud800-\udfff]", text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_text(value) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=1)``, byte for byte, where ``value`` may hold,
    besides what ``json`` takes, iterables that are not lists (generators): arrays whose items are
    made and encoded one at a time, each by ``json.dumps``. ``json.dumps`` with an indent holds
    every token of the output at once (tens of millions of strings for 100,000 findings), and the
    values it encodes must all exist at once; here a large array's items need not, and the pieces
    are joined once."""
    import json  # here, not at the top: text output starts without it

    out: list[str] = []
    encode = json.JSONEncoder(ensure_ascii=False, indent=1).encode
    key_text = json.encoder.encode_basestring

    def write(value, newline: str) -> None:
        inner = newline + " "
        if isinstance(value, (str, int, float)) or value is None:
            out.append(encode(value))
            return
        is_dict = isinstance(value, dict)
        opening, closing = ("{", "}") if is_dict else ("[", "]")
        start = len(out)
        for item in value.items() if is_dict else value:
            out.append(("," if len(out) > start else opening) + inner)
            if is_dict:
                out[-1] += key_text(item[0]) + ": "
                write(item[1], inner)
            elif isinstance(value, (list, tuple)):
                write(item, inner)
            else:  # an item of a generator: its own lines, indented where it stands
                out.append(encode(item).replace("\n", inner))
        out.append(newline + closing if len(out) > start else opening + closing)

    write(value, "\n")
    return "".join(out)


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_findings(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: ``::error file=…,line=…::message``, escaped as GitHub requires."""
    out = []
    for f in findings:
        s = f.span
        props = (f"file={_github_property(f.path)},line={s.line},col={s.column},endLine={s.end_line},"
                 f"endColumn={s.end_column},title={_github_property(f.code)}")
        out.append(f"::{'error' if f.is_error else 'warning'} {props}::{_github_data(f.message)}")
    return "\n".join(out)


def sarif_findings(findings: Iterable[Finding], version: str) -> str:
    """A SARIF 2.1.0 log with every rule in ``tool.driver.rules`` and relative artifact URIs."""
    import os
    from pathlib import PurePath
    from urllib.parse import quote

    from ..checking.rules import RULES

    codes = list(RULES)
    rules = [{
        "id": r.code,
        "name": r.code,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.explanation},
        "help": {"text": r.explanation},
        "defaultConfiguration": {"level": r.severity},
        "properties": {"tags": ["kpi"]},
    } for r in RULES.values()]
    uris: dict[str, str] = {}

    def uri_of(path: str) -> str:
        rel = path
        if os.path.isabs(rel):
            try:
                rel = os.path.relpath(rel)
            except ValueError:
                pass
        return quote(os.fsencode(PurePath(rel).as_posix()))  # a name's bytes, UTF-8 or not, as %XX

    def result(f: Finding) -> dict:
        uri = uris.get(f.path)
        if uri is None:
            uri = uris[f.path] = uri_of(f.path)
        s = f.span
        return {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": f.severity,
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": s.line, "startColumn": s.column, "endLine": s.end_line,
                           "endColumn": s.end_column},
            }}],
        }

    results = map(result, findings)  # one at a time, as the JSON is written
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "kpidsl", "version": version, "semanticVersion": version,
                                "informationUri": "https://pypi.org/project/kpidsl/", "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return _json_text(log)
