"""One open ``.kpi`` document as the server knows it: its text, the last model that compiled, the
findings ``kpi check`` gives for its text, and an index of that model built once when first asked.

Positions: the project counts columns in code points from 1; the protocol counts from 0 in the
units the client and server agreed on (UTF-16 unless told otherwise). ``Lines`` converts between
the two for one text. Every answer about names comes from ``Index``, built from the last model
that compiled; nothing here re-parses to answer a request.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from lsprotocol import types as lsp

from .. import api
from ..checking.config import ConfigError, for_directory, for_file
from ..errors import Finding, KpiError, Span
from ..gcpause import paused_gc

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Lines:
    """The lines of one text (split at ``\\n``, as the parser does) and conversions of positions in
    them between code points and the protocol's units (``utf-16``, ``utf-32`` or ``utf-8``)."""

    def __init__(self, text: str, encoding: str = "utf-16"):
        self.lines = text.split("\n")
        self.encoding = encoding
        # a leading byte-order mark is a character of the client's first line, not of the parser's
        self.bom = text.startswith("\ufeff")
        self.plain = not self.bom and (
            encoding == "utf-32" or text.isascii() or (encoding == "utf-16" and not _ASTRAL.search(text)))

    def _line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def units(self, line: int, column: int) -> int:
        """The protocol's 0-based character of a 1-based code-point ``column`` on 1-based ``line``."""
        if self.plain:
            return column - 1
        if line == 1 and self.bom:
            column += 1
        before = self._line(line - 1)[: column - 1]
        if self.encoding == "utf-8":
            return len(before.encode("utf-8"))
        return len(before) + len(_ASTRAL.findall(before))

    def column(self, position: lsp.Position) -> int:
        """The 1-based code-point column of a protocol ``position`` (clamped to its line)."""
        if self.plain:
            return position.character + 1
        text, n, units = self._line(position.line), 0, 0
        wide = 1 if self.encoding == "utf-16" else 0
        for c in text:
            if units >= position.character:
                break
            units += (len(c.encode("utf-8")) if self.encoding == "utf-8" else 1 + (wide and c > "\uffff"))
            n += 1
        return n + (0 if position.line == 0 and self.bom else 1)

    def position(self, line: int, column: int) -> lsp.Position:
        return lsp.Position(line=max(line - 1, 0), character=max(self.units(line, column), 0))

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(start=self.position(span.line, span.column), end=self.position(span.end_line, span.end_column))

    def end(self) -> lsp.Position:
        """The position after the last character."""
        last = len(self.lines)
        return self.position(last, len(self.lines[-1]) + 1)


class Index:
    """What the last compiled model says about names and declarations, for lookups by position and
    name: every occurrence (``kpidsl.parsing.names``) by line and by name, every declaration by name."""

    def __init__(self, model: api.Model):
        self.model = model
        self.occurrences = api.occurrences(model.tree)
        self.by_line: dict[int, list] = {}
        self.by_name: dict[str, list] = {}
        with paused_gc():  # a large file has a hundred thousand occurrences; none is part of a cycle
            for o in self.occurrences:
                self.by_line.setdefault(o.span.line, []).append(o)
                self.by_name.setdefault(o.name, []).append(o)
        self.declarations = api.declarations(model.tree)
        self.declared = {d.name: d for d in self.declarations if d.name is not None}
        self.lines = [d.span.line for d in self.declarations]  # sorted: file order

    def at(self, line: int, column: int):
        """The occurrence whose name covers ``column`` on ``line`` (its end included), or None."""
        for o in self.by_line.get(line, ()):
            s = o.span
            if s.column <= column <= s.end_column and s.line == s.end_line:
                return o
        return None

    def declarations_between(self, first: int, last: int) -> list:
        """The declarations whose header is on lines ``first``..``last``."""
        lo, hi = bisect.bisect_left(self.lines, first), bisect.bisect_right(self.lines, last)
        return self.declarations[lo:hi]


class Analysis(NamedTuple):
    """The result of checking one version of a document."""

    version: int | None
    findings: list[Finding]
    lines: Lines


class Document:
    """An open document: its latest text, the analysis of the latest version checked, and the last
    model that compiled (kept while the text has a syntax error) with its lines and index."""

    def __init__(self, uri: str, path: str, encoding: str):
        self.uri, self.path, self.encoding = uri, path, encoding
        self.text, self.version = "", None
        self.analysis: Analysis | None = None
        self.checked_text: str | None = None  # the text ``analysis`` is of
        self.model: api.Model | None = None
        self.model_lines: Lines | None = None
        self._index: Index | None = None
        self.evaluations: dict[str, object] = {}
        self.config, self.config_error = None, None
        self.read_config()

    def read_config(self, again: bool = False) -> None:
        """``kpi.toml`` / ``[tool.kpidsl]`` for this document's folder, as ``kpi check`` reads it;
        ``again``: read the files anew (the configuration is cached per folder)."""
        if again:
            for_directory.cache_clear()
        try:
            self.config, self.config_error = for_file(self.path), None
        except ConfigError as exc:
            self.config, self.config_error = None, str(exc)

    def update(self, text: str, version: int | None) -> None:
        self.text, self.version = text, version

    @property
    def fresh(self) -> bool:
        """Whether the latest text has been checked."""
        return self.analysis is not None and self.checked_text is self.text

    def check(self) -> Analysis:
        """Check the latest text (unless done): ``kpi check``'s findings, and the model kept when it compiled."""
        if self.fresh:
            return self.analysis
        text = self.text
        model, findings = api.compile_text(text, self.path)
        lines = Lines(text, self.encoding)
        if model is not None:
            findings = api.check(model, self.config)
            self.model, self.model_lines, self._index, self.evaluations = model, lines, None, {}
        self.checked_text = text
        self.analysis = Analysis(self.version, findings, lines)
        return self.analysis

    @property
    def index(self) -> Index | None:
        """The index of the last model that compiled (built on first use), or None."""
        if self._index is None and self.model is not None:
            self._index = Index(self.model)
        return self._index

    def scenario(self, wanted: str | None) -> str | None:
        """``wanted`` when the model has that scenario, else its first scenario, else None."""
        scenarios = self.model.scenarios if self.model is not None else {}
        if wanted in scenarios:
            return wanted
        return next(iter(scenarios), None)

    def evaluate(self, name: str):
        """The evaluation of scenario ``name`` in the last model (unknown values allowed), kept until
        the model changes; None when the model cannot be evaluated."""
        model = self.model
        if name not in self.evaluations:
            self.evaluations[name] = evaluate(model, name)
        return self.evaluations[name]


def evaluate(model: api.Model, name: str):
    """Scenario ``name`` of ``model`` evaluated (unknown values allowed), or None when it cannot be."""
    if not model.evaluable:
        return None
    try:
        return api.evaluate(model, model.scenario_values(name), name=name, label=model.scenarios[name].label,
                            allow_missing=True)
    except KpiError:
        return None
