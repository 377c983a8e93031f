"""What evaluating one scenario gives: per-declaration results, missing names, drags, expects."""

from __future__ import annotations

from array import array
from collections.abc import ItemsView, Mapping, ValuesView

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


#: ``Results``' ``met`` codes: false, true, unknown.
MET_CODES = (False, True, None)


@attrs.frozen
class Layout:
    """What the results of one plan share: the names in output order, each one's position and kind,
    and the status of each status code."""

    names: tuple[str, ...]
    positions: dict[str, int]
    kinds: tuple[str, ...]
    statuses: tuple[str | None, ...]


class Results(Mapping):
    """Each declaration's ``IndicatorResult`` in output order, held as columns: about 26 bytes a
    declaration, where result objects would take ten times that in every scenario held. A result is
    made when it is read, so a read gives an equal result, not the same object. ``extra`` holds the
    grade, coefficient and adjustment of the declarations that have any."""

    __slots__ = ("layout", "value", "met", "achievement", "score", "status", "extra")

    def __init__(self, layout: Layout, value: array, met: bytes, achievement: array, score: array,
                 status: bytes, extra: dict[str, tuple]):
        self.layout, self.value, self.met, self.achievement = layout, value, met, achievement
        self.score, self.status, self.extra = score, status, extra

    def at(self, k: int) -> IndicatorResult:
        """The result of the ``k``-th declaration in output order."""
        layout = self.layout
        name = layout.names[k]
        v, a, s = self.value[k], self.achievement[k], self.score[k]
        extra = self.extra.get(name, ()) if self.extra else ()
        return IndicatorResult(name, layout.kinds[k], None if v != v else v, MET_CODES[self.met[k]],
                               None if a != a else a, None if s != s else s, layout.statuses[self.status[k]], *extra)

    def __getitem__(self, name: str) -> IndicatorResult:
        return self.at(self.layout.positions[name])

    def __contains__(self, name: object) -> bool:
        return name in self.layout.positions

    def __iter__(self):
        return iter(self.layout.names)

    def __len__(self) -> int:
        return len(self.layout.names)

    def values(self) -> ValuesView:
        return _Values(self)

    def items(self) -> ItemsView:
        return _Items(self)

    def __repr__(self) -> str:
        return f"Results({dict(self.items())!r})"


class _Values(ValuesView):
    """The results in order, each made as it is reached (not one lookup by name each)."""

    def __iter__(self):
        return map(self._mapping.at, range(len(self._mapping)))


class _Items(ItemsView):
    """``(name, result)`` in order, each made as it is reached."""

    def __iter__(self):
        return ((r.name, r) for r in map(self._mapping.at, range(len(self._mapping))))


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
    #: Each declaration's result, by name, in output order (``Results``, or any mapping).
    results: Mapping[str, IndicatorResult]
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
