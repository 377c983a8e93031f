"""The compiled model: declarations resolved into indicators, a tree, scenarios and settings."""

from __future__ import annotations

import datetime
from typing import Any, Sequence

import attrs

from ..parsing import syntax
from ..errors import Finding, Span
from ..parsing.grammar import KINDS  # noqa: F401 - the indicator kinds, as the grammar spells them
from ..parsing.sources import Lines, text_lines

PERIODS = ("daily", "weekly", "monthly", "quarterly", "yearly")
PERSPECTIVES = ("financial", "customer", "process", "learning")
TYPES = ("result", "process")
#: How a kgi or kpi with drivers is scored (``score:``): from its drivers (the default) or its own value.
SCORE_FROM = ("drivers", "own")
#: How an input or a directly valued indicator accumulates over periods (``accumulate:``; ``sum`` by default).
ACCUMULATE = ("sum", "avg", "last", "min", "max")
#: Where to-date results start (``to_date:`` of the model): the first period of each year, or of the series.
TO_DATE = ("year", "series")


@attrs.frozen
class Target:
    """A target: ``op`` is ``>=``, ``<=``, ``==`` or ``..``; ``text`` is its spelling in the file.

    A bound written as a number is a float in ``value`` (or ``low``/``high``); a bound written as a
    formula over inputs is that formula's syntax node in ``value_formula`` (``low_formula``,
    ``high_formula``), its float None: it is computed per scenario."""

    op: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    text: str = ""
    value_formula: Any = None
    low_formula: Any = None
    high_formula: Any = None

    @property
    def formulas(self) -> tuple:
        """The bounds written as formulas."""
        return tuple(f for f in (self.value_formula, self.low_formula, self.high_formula) if f is not None)

    def to_json(self) -> dict:
        """The JSON shape: ``{"op", "value"}`` or ``{"op": "..", "low", "high"}``; a bound that is a
        formula is null there, and ``text`` gives the target as written."""
        out = {"op": "..", "low": self.low, "high": self.high} if self.op == ".." else {"op": self.op, "value": self.value}
        if self.formulas:
            out["text"] = self.text
        return out


@attrs.define(eq=False)
class Indicator:
    """A ``kgi``, ``kpi``, ``veto``, ``metric`` or ``input`` with its entries read and linked."""

    name: str
    kind: str
    decl: syntax.IndicatorDecl
    index: int
    label: str | None = None
    entries: dict[str, syntax.Entry] = attrs.Factory(dict)
    nested_in: str | None = None
    parent: str | None = None
    #: Names in file order: a list once one is linked, an empty tuple before.
    children: list[str] | tuple[()] = ()
    vetoes: list[str] | tuple[()] = ()
    #: Its ``adjustment`` declarations (bonus and deduction items), in file order.
    adjustments: list[str] | tuple[()] = ()
    #: ``adjustments: LO .. HI``: the range the total of its adjustments is kept within, or None.
    adjust_limit: tuple[float, float] | None = None
    weight: float | None = None
    effective_weight: float | None = None
    target: Target | None = None
    baseline: float | None = None
    stretch: float | None = None
    #: A baseline or stretch written as a formula over inputs (then ``baseline``/``stretch`` is None).
    baseline_formula: Any = None
    stretch_formula: Any = None
    formula: Any = None
    #: The score at the stretch for this indicator (``cap:``), or None for the model's.
    cap: float | None = None
    #: ``"own"`` to score on its own achievement though it has drivers (``score: own``), else None.
    score: str | None = None
    #: How its supplied values accumulate over periods (``accumulate:``), or None for ``sum``.
    accumulate: str | None = None
    unit: str | None = None
    owner: str | None = None
    due: datetime.date | None = None
    period: str | None = None
    perspective: str | None = None
    type: str | None = None
    source: str | None = None
    description: str | None = None

    @classmethod
    def declared(cls, name: str, kind: str, decl: syntax.IndicatorDecl, index: int,
                 label: str | None) -> "Indicator":
        """``Indicator(name, kind, decl, index, label)``, every other attribute at its default, made
        without the generated ``__init__``: the compiler makes one per declaration, and binding
        two dozen optional arguments was a good part of collecting them. One plain assignment per
        attribute, in the order of the fields: cheaper than chained or tuple assignments."""
        ind = _new(cls)
        ind.name = name
        ind.kind = kind
        ind.decl = decl
        ind.index = index
        ind.label = label
        ind.entries = {}
        ind.nested_in = None
        ind.parent = None
        ind.children = ()  # most have none: a list is made for the first (link_tree)
        ind.vetoes = ()
        ind.adjustments = ()
        ind.adjust_limit = None
        ind.weight = None
        ind.effective_weight = None
        ind.target = None
        ind.baseline = None
        ind.stretch = None
        ind.baseline_formula = None
        ind.stretch_formula = None
        ind.formula = None
        ind.cap = None
        ind.score = None
        ind.accumulate = None
        ind.unit = None
        ind.owner = None
        ind.due = None
        ind.period = None
        ind.perspective = None
        ind.type = None
        ind.source = None
        ind.description = None
        return ind

    @property
    def span(self) -> Span:
        """Where findings about this declaration start: its name."""
        return self.decl.name.span

    @property
    def own_score(self) -> bool:
        """Whether its score is its own achievement though it has drivers (``score: own``)."""
        return self.score == "own" and bool(self.children)

    @property
    def scored(self) -> bool:
        """Whether it gets a score and a status (a target, or kpi children)."""
        return self.kind != "input" and (self.target is not None or bool(self.children))


_new = object.__new__


@attrs.define(eq=False)
class Scenario:
    """A scenario of the file: its own values, the one it extends, and its ``expect`` lines."""

    name: str
    decl: syntax.ScenarioDecl
    label: str | None = None
    extends: str | None = None
    values: dict[str, float] = attrs.Factory(dict)
    expects: list[syntax.Expect] = attrs.Factory(list)
    #: ``as_of: DATE``: the day the scenario's numbers stand at (see ``kpidsl.compiler.asof``).
    as_of: datetime.date | None = None
    #: Its ``period "…" { … }`` blocks: each period's text -> the values it assigns (in file order).
    periods: dict[str, dict[str, float]] = attrs.Factory(dict)
    #: The ``expect`` lines of each period block, by the period's text.
    period_expects: dict[str, list[syntax.Expect]] = attrs.Factory(dict)
    #: The ``expect`` lines of each ``to_date "…" { … }`` block, by the period's text.
    to_date_expects: dict[str, list[syntax.Expect]] = attrs.Factory(dict)

    @property
    def span(self) -> Span:
        """Where findings about this scenario start: its name."""
        return self.decl.name.span


@attrs.define(eq=False)
class Settings:
    """The ``model`` header: label, defaults for owner/period/due, cap and status bands."""

    label: str | None = None
    owner: str | None = None
    period: str | None = None
    due: datetime.date | None = None
    description: str | None = None
    cap: float = 1.2
    green: float = 1.0
    amber: float = 0.8
    #: Where to-date results start (``to_date:``): ``year`` (the default, None) or ``series``.
    to_date: str | None = None
    decl: syntax.ModelDecl | None = None


@attrs.define(eq=False)
class Model:
    """A compiled model: what ``kpidsl.load`` returns and ``check``/``evaluate`` take."""

    path: str
    text: str
    tree: syntax.File
    settings: Settings = attrs.Factory(Settings)
    indicators: dict[str, Indicator] = attrs.Factory(dict)
    scenarios: dict[str, Scenario] = attrs.Factory(dict)
    findings: Sequence[Finding] = attrs.Factory(list)
    #: Output order: the trees depth first, then metrics, then inputs.
    order: list[str] = attrs.Factory(list)
    #: Names whose formulas the program computes, in dependency order.
    formula_order: list[str] = attrs.Factory(list)
    #: Names each formula reads (formulas that read the same names share one set: do not change them).
    uses: dict[str, set[str]] = attrs.Factory(dict)
    #: Names the bounds (baseline, target, stretch) of each indicator read, where they are formulas.
    bound_uses: dict[str, set[str]] = attrs.Factory(dict)
    #: The ``grade`` declarations, highest band first (``kpidsl.compiler.grades``).
    grades: list[Any] = attrs.Factory(list)
    #: ``(function, name)`` of each ``previous(NAME)`` and ``year_ago(NAME)`` the formulas, levels and
    #: ``expect`` lines read, in order of appearance.
    lags: dict[tuple[str, str], None] = attrs.Factory(dict)
    #: Set by the compiler when the model has no errors: it can then be evaluated.
    evaluable: bool = False
    _lines: Lines | None = None
    #: Each in-file scenario's values resolved through its ``extends`` chain (by ``scenario_values``;
    #: a scenario that assigns nothing shares the dict of the one it extends).
    _resolved: dict[str, dict[str, float]] | None = None

    @property
    def lines(self) -> Lines:
        """The lines of the source text (found once)."""
        if self._lines is None:
            self._lines = text_lines(self.text)
        return self._lines

    @property
    def has_errors(self) -> bool:
        """Whether any compile finding is an error (the model cannot be evaluated)."""
        return any(f.is_error for f in self.findings)

    @property
    def kgis(self) -> list[Indicator]:
        """The kgis, in file order."""
        return [i for i in self.indicators.values() if i.kind == "kgi"]

    def scenario_values(self, name: str) -> dict[str, float]:
        """The values of an in-file scenario, with those of the scenarios it extends beneath (a new
        dict). Each scenario's are resolved once, from those of the one it extends: asking for every
        scenario of a chain of N costs N steps, not N² (the scenarios must not change after the first call)."""
        resolved = self._resolved
        if resolved is None:
            resolved = self._resolved = {}
        scenarios = self.scenarios
        chain: dict[str, None] = {}  # the names up the chain not resolved yet, in order
        n = name
        while n in scenarios and n not in resolved and n not in chain:  # (the compiler cuts cycles)
            chain[n] = None
            n = scenarios[n].extends
        values = resolved.get(n, {})
        for n in reversed(chain):
            own = scenarios[n].values
            if own:
                values = {**values, **own}
            resolved[n] = values
        return dict(resolved.get(name, {}))
