"""The compiled model: declarations resolved into indicators, a tree, scenarios and settings."""

from __future__ import annotations

import collections
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


_at = tuple.__getitem__


class Entries(tuple):
    """The entries kept of a block: an immutable mapping of each key to its ``syntax.Entry``, in
    file order. A key's entry is the first of the key in the block: unknown, misplaced and repeated
    keys are not kept (the compiler reports them).

    One tuple: the keys kept, then the block (``syntax.Block``, a tuple of its items then its
    positions), where a lookup finds the entry. A model keeps one per declaration: a dict was several
    times the size. ``key in entries`` is the tuple's own test over the keys (a key never equals a block)."""

    __slots__ = ()

    def __getitem__(self, key) -> syntax.Entry:
        entry = self.get(key)
        if entry is None:
            raise KeyError(key)
        return entry

    def get(self, key, default=None):
        """The entry of ``key``, else ``default``."""
        if key in self:
            for item in _at(self, -1):
                if type(item) is syntax.Entry and item.key == key:
                    return item
        return default

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return tuple.__len__(self) - 1

    def keys(self) -> tuple[str, ...]:
        """The keys, in file order."""
        return _at(self, slice(None, -1))

    def values(self) -> list[syntax.Entry]:
        """The entries, in file order."""
        return [self[k] for k in self.keys()]

    def items(self) -> list[tuple[str, syntax.Entry]]:
        """``(key, entry)`` pairs, in file order."""
        return [(k, self[k]) for k in self.keys()]

    def __repr__(self) -> str:
        return f"Entries({dict(self.items())!r})"


def entries_of(keys, block: tuple) -> Entries:
    """The entries of ``block`` (a ``syntax.Block``, or a tuple of items), which holds an entry of each
    of ``keys`` (distinct, in file order), each the first of its key."""
    return tuple.__new__(Entries, (*keys, block))


#: The entries of a block that keeps none.
NO_ENTRIES = entries_of((), ())


def _string(value) -> str | None:
    return value.value if type(value) is syntax.String else None


def _unit(value) -> str | None:
    t = type(value)
    return value.value if t is syntax.String else value.text if t is syntax.Ref else None


def _date(value) -> datetime.date | None:
    return value.value if type(value) is syntax.Date else None


def _word(words: tuple[str, ...]):
    def word(value) -> str | None:
        return value.text if type(value) is syntax.Ref and value.text in words else None

    return word


#: The attributes an indicator reads from its entry of the same key when asked (None without the
#: entry, or when the entry's value has the wrong form, which the compiler reports as an E001):
#: each key's meaning of a value. Most indicators give few of them, and the entries are kept anyway.
WRITTEN = {"unit": _unit, "owner": _string, "source": _string, "description": _string, "due": _date,
           "period": _word(PERIODS), "perspective": _word(PERSPECTIVES), "type": _word(TYPES)}


def _written(key: str, doc: str, unwritten=lambda ind: None) -> property:
    """The attribute ``key`` of ``WRITTEN``, unless assigned (then the value assigned);
    ``unwritten(indicator)`` without the entry."""
    meaning = WRITTEN[key]

    def get(self):
        more = self._more
        if more is not None and key in more:
            return more[key]
        entries = self.entries
        return meaning(entries.get(key).value) if key in entries else unwritten(self)

    return property(get, _setter(key), doc=doc)


def _rare(key: str, doc: str, default=None) -> property:
    """An attribute that most indicators leave at ``default``: kept in ``_more`` once assigned."""

    def get(self):
        more = self._more
        return default if more is None else more.get(key, default)

    return property(get, _setter(key), doc=doc)


def _setter(key: str):
    def set_(self, value) -> None:
        if self._more is None:
            self._more = {key: value}
        else:
            self._more[key] = value

    return set_


@attrs.define(eq=False, weakref_slot=False)
class Indicator:
    """A ``kgi``, ``kpi``, ``veto``, ``metric`` or ``input`` with its entries read and linked.

    A model keeps one per declaration, so only the attributes most indicators set have a slot of
    their own. The descriptive ones (``WRITTEN``) are read from the entries when asked; the rare
    ones (``adjustments``, ``adjust_limit``, ``baseline_formula``, ``stretch_formula``, ``cap``,
    ``score``, ``accumulate``) live in ``_more``, a dict made by the first assignment. Every
    attribute reads and assigns as a plain one."""

    name: str
    kind: str
    decl: syntax.IndicatorDecl
    entries: Entries = NO_ENTRIES
    #: The kgi or kpi above it: the one whose block it is written in, else its ``parent:`` entry's.
    parent: str | None = None
    #: Names in file order: a list once one is linked, an empty tuple before.
    children: list[str] | tuple[()] = ()
    vetoes: list[str] | tuple[()] = ()
    weight: float | None = None
    effective_weight: float | None = None
    target: Target | None = None
    baseline: float | None = None
    stretch: float | None = None
    formula: Any = None
    #: The rare attributes and the ``WRITTEN`` ones assigned, by name; None until one is.
    _more: dict[str, Any] | None = None

    adjustments = _rare("adjustments", "Its ``adjustment`` declarations (bonus and deduction items), in file "
                        "order: a list once one is linked, an empty tuple before.", ())
    adjust_limit = _rare("adjust_limit", "``adjustments: LO .. HI``: the range the total of its adjustments "
                         "is kept within, or None.")
    baseline_formula = _rare("baseline_formula", "A baseline written as a formula over inputs (then "
                             "``baseline`` is None).")
    stretch_formula = _rare("stretch_formula", "A stretch written as a formula over inputs (then ``stretch`` "
                            "is None).")
    cap = _rare("cap", "The score at the stretch for this indicator (``cap:``), or None for the model's.")
    score = _rare("score", "``\"own\"`` to score on its own achievement though it has drivers "
                  "(``score: own``), else None.")
    accumulate = _rare("accumulate", "How its supplied values accumulate over periods (``accumulate:``), "
                       "or None for ``sum``.")
    owner = _written("owner", "``owner:``, or None.")
    due = _written("due", "``due:``, a date, or None.")
    period = _written("period", "``period:``, one of ``PERIODS``, or None.")
    perspective = _written("perspective", "``perspective:``, one of ``PERSPECTIVES``, or None.")
    type = _written("type", "``type:``, one of ``TYPES``, or None.")
    source = _written("source", "``source:``, or None.")
    description = _written("description", "``description:``, or None.")
    unit = _written("unit", "``unit:``, or None; an adjustment's is ``%`` (its value shows as points, a fraction).",
                    lambda ind: "%" if ind.kind == "adjustment" else None)

    def _nested_in(self) -> str | None:
        more = self._more
        if more is not None and "nested_in" in more:
            return more["nested_in"]
        parent = self.parent
        if parent is None or "parent" not in self.entries:
            return parent
        value = self.entries["parent"].value
        return parent if type(value) is not syntax.Ref or value.text != parent else None

    nested_in = property(_nested_in, _setter("nested_in"), doc="The indicator whose block it is written "
                         "in, or None: its ``parent`` unless its ``parent:`` entry gave that (assigned when "
                         "the entry names the block's own indicator too).")

    @property
    def rare_set(self) -> bool:
        """Whether any rare attribute (or a ``WRITTEN`` one) was assigned: while none is, each is at
        its default, and a pass over every indicator may skip reading them."""
        return self._more is not None

    @property
    def label(self) -> str | None:
        """Its label (``kpi sales "Sales" { … }``), or None."""
        label = None if self.decl is None else self.decl.label
        return None if label is None else label.value

    @classmethod
    def declared(cls, name: str, kind: str, decl: syntax.IndicatorDecl) -> "Indicator":
        """``Indicator(name, kind, decl)``, every other attribute at its default, made
        without the generated ``__init__``: the compiler makes one per declaration, and binding
        the optional arguments was a good part of collecting them. One plain assignment per
        attribute, in the order of the fields: cheaper than chained or tuple assignments."""
        ind = _new(cls)
        ind.name = name
        ind.kind = kind
        ind.decl = decl
        ind.entries = NO_ENTRIES
        ind.parent = None
        ind.children = ()  # most have none: a list is made for the first (link_tree)
        ind.vetoes = ()
        ind.weight = None
        ind.effective_weight = None
        ind.target = None
        ind.baseline = None
        ind.stretch = None
        ind.formula = None
        ind._more = None
        return ind

    @property
    def span(self) -> Span:
        """Where findings about this declaration start: its name (indicators sort by it in file order)."""
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
        dict). Each is resolved from the nearest scenario up its chain among the last
        ``RESOLVED_KEPT`` resolved: asking for every scenario of a chain of N in file order (or for
        every scenario extending one) costs N steps, not N², and only those few are held, not one
        dict of every value per scenario (the scenarios must not change after the first call)."""
        resolved = self._resolved
        if resolved is None:
            resolved = self._resolved = collections.OrderedDict()  # dropping the oldest is then O(1)
        scenarios = self.scenarios
        chain: dict[str, None] = {}  # the names up the chain not resolved yet, in order
        n = name
        while n in scenarios and n not in resolved and n not in chain:  # (the compiler cuts cycles)
            chain[n] = None
            n = scenarios[n].extends
        values = resolved.get(n, {})
        if n in resolved:
            resolved.move_to_end(n)  # the most recently used last
        for n in reversed(chain):
            own = scenarios[n].values
            if own:
                values = {**values, **own}
            resolved[n] = values
            if len(resolved) > RESOLVED_KEPT:
                resolved.popitem(last=False)
        return dict(values)


#: How many scenarios' resolved values ``Model.scenario_values`` keeps (the most recently used).
RESOLVED_KEPT = 8
