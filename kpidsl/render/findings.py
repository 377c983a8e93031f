"""Findings for people and tools: ``text`` (with the source line and a caret) and ``json``."""

from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable, Iterator, Sequence

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


def text_finding(f: Finding, lines: Sequence[str] | None, style: Style = plain) -> str:
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
    return "".join(json_findings_pieces(findings))


def json_findings_pieces(findings: Iterable[Finding]) -> Iterator[str]:
    """``json_findings`` in pieces, each finding encoded as it is reached (see ``json_pieces``)."""
    return _safe(json_pieces(f.to_json() for f in findings))


def _safe(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of a JSON text, readable (not ASCII-escaped) and always valid UTF-8: a byte of a
    file name that is not UTF-8 (Python keeps it as a lone surrogate) becomes the escape ``\\udcff``."""
    import re

    surrogate = re.compile("[\ud800-\udfff]").search
    for piece in pieces:
        if not piece.isascii() and surrogate(piece):
            piece = piece.encode("utf-8", "backslashreplace").decode("utf-8")
        yield piece


def json_text(value, write: Callable[[str], object] | None = None) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=1)``, byte for byte, where ``value`` may hold,
    besides what ``json`` takes, iterables that are not lists (generators): see ``json_pieces``.
    With ``write``, the text is given to it in pieces as it is made, and the result is empty."""
    if write is None:
        return "".join(json_pieces(value))
    for piece in json_pieces(value):
        write(piece)
    return ""


class Each:
    """An array for ``json_pieces`` whose items are made one at a time, like a generator's, but
    written as values that may hold generators themselves (a generator's items are encoded whole)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable):
        self.items = items


def json_pieces(value) -> Iterator[str]:
    """The text of ``json_text(value)`` in pieces. ``json.dumps`` with an indent holds every token
    of the output at once (tens of millions of strings for 100,000 findings), and the values it
    encodes must all exist at once; here the items of an array given as a generator are made and
    encoded one at a time, each by ``json.dumps``, and given out as they are, so that neither the
    values nor the text need ever be held whole."""
    import json  # here, not at the top: text output starts without it

    encode = json.JSONEncoder(ensure_ascii=False, indent=1).encode
    key_text = json.encoder.encode_basestring

    def write(value, newline: str) -> Iterator[str]:
        inner = newline + " "
        if isinstance(value, (str, int, float)) or value is None:
            yield encode(value)
            return
        is_dict = isinstance(value, dict)
        nested = isinstance(value, Each)
        opening, closing = ("{", "}") if is_dict else ("[", "]")
        first = True
        for item in value.items() if is_dict else value.items if nested else value:
            head = (opening if first else ",") + inner
            first = False
            if is_dict:
                yield head + key_text(item[0]) + ": "
                yield from write(item[1], inner)
            elif nested or isinstance(value, (list, tuple)):
                yield head
                yield from write(item, inner)
            else:  # an item of a generator: its own lines, indented where it stands
                yield head + encode(item).replace("\n", inner)
        yield opening + closing if first else newline + closing

    return write(value, "\n")


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_findings(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: ``::error file=…,line=…::message``, escaped as GitHub requires."""
    return "\n".join(map(github_line, findings))


def github_line(f: Finding) -> str:
    """The workflow command of one finding (a line of ``github_findings``)."""
    s = f.span
    props = (f"file={_github_property(f.path)},line={s.line},col={s.column},endLine={s.end_line},"
             f"endColumn={s.end_column},title={_github_property(f.code)}")
    return f"::{'error' if f.is_error else 'warning'} {props}::{_github_data(f.message)}"


def sarif_findings(findings: Iterable[Finding], version: str) -> str:
    """A SARIF 2.1.0 log with every rule in ``tool.driver.rules`` and relative artifact URIs."""
    return "".join(sarif_pieces(findings, version))


def sarif_pieces(findings: Iterable[Finding], version: str) -> Iterator[str]:
    """``sarif_findings`` in pieces, each result made and encoded as it is reached (``json_pieces``)."""
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
    return _safe(json_pieces(log))
