"""What evaluating one scenario gives: per-declaration results, missing names, drags, expects."""

from __future__ import annotations

import attrs

from ..errors import KpiError


@attrs.frozen
class IndicatorResult:
    """One declaration's value, achievement, ``met``, score and status in one scenario."""

    name: str
    kind: str
    value: float | None
    met: bool | None
    achievement: float | None
    score: float | None
    status: str | None
    #: The name of its grade, and that grade's coefficient (None: ungraded, or no coefficient).
    grade: str | None = None
    coefficient: float | None = None
    #: The points its adjustments add in all, within its ``adjustments:`` range (None: it has none).
    adjustment: float | None = None


@attrs.frozen
class ExpectResult:
    """One ``expect`` line and whether it held (None: it read an unknown value)."""

    expect: object
    passed: bool | None


@attrs.frozen
class Evaluation:
    """The evaluation of one scenario: results in output order, missing names, drags, expects."""

    name: str
    label: str | None
    results: dict[str, IndicatorResult]
    missing: tuple[str, ...]
    drags: tuple[tuple[str, float], ...]
    expects: tuple[ExpectResult, ...] = ()
    #: Where the scenario's values came from (``"the model"``, data file paths, ``"--set"``), when known.
    source: tuple[str, ...] = ()
    #: What kept an indicator from a score in this scenario though it has data (levels out of order).
    problems: tuple[str, ...] = ()
    #: Each indicator's level where the score was computed against other bounds than the target as
    #: written (to date: a number, or ``(low, high)`` for a band); None when the targets are as written.
    levels: dict | None = None

    def __getitem__(self, name: str) -> IndicatorResult:
        return self.results[name]


class MissingValues(KpiError):
    """A scenario does not supply values the model needs."""

    def __init__(self, scenario: str, names: list[str]):
        self.scenario = scenario
        self.names = tuple(names)
        Exception.__init__(self, f"scenario `{scenario}` is missing values for " + ", ".join(names))
        self.findings = ()
