"""Series of periods: each period evaluated on its own and to date (``docs/scoring.md``, §8).

To date is **aggregate-then-calculate**: the supplied values of the periods so far (from the first
period of the year, or of the series with ``to_date: series``) are aggregated as each name
accumulates (``sum`` by default, ``avg``, ``last``, ``min``, ``max``), and the model's one plan is
run on them. Only the levels of *additive* indicators (``kpidsl.compiler.periods.additive``) differ:
their to-date levels are the sums of their levels in each period, fed to a plan that reads them
(``plan_of(model, fed)``); every other level is computed from the to-date values.

Both runtimes are used the same way: ``evaluate_series`` (scalar, one series) and
``evaluate_rows`` (NumPy, many series at once, one row per series and period).
"""

from __future__ import annotations

import datetime
import math
import weakref
from typing import Iterable, Mapping

import attrs

from ..compiler.model import Model
from ..compiler.periods import accumulation, additive
from ..errors import KpiError
from ..parsing.periods import KINDS, Period, per_year, period_end, previous, read_period, year_ago
from .plan import Plan, plan_of
from .results import Evaluation
from .scalar import evaluate

NAN = math.nan


@attrs.frozen
class Series:
    """The values of one scenario (of one entity) over periods: ``base`` applies to every period,
    ``periods`` (in order) adds each period's own. ``expects`` names the in-file scenario whose
    ``expect`` lines apply (its periods' under ``(scenario, period)``)."""

    name: str
    periods: tuple[tuple[Period, Mapping[str, float]], ...]
    base: Mapping[str, float] = attrs.Factory(dict)
    label: str | None = None
    entity: str | None = None
    expects: str | None = None
    source: tuple[str, ...] = ()


@attrs.frozen
class PeriodEvaluation:
    """One period of a series: its own evaluation, the evaluation to date, and how many periods
    the to-date window holds (``elapsed``) of the ``total`` in its year (in the series, with
    ``to_date: series``). ``projection`` is the run rate: the to-date values and the levels of
    additive indicators times ``total / elapsed``, averages and the like as they are, evaluated
    by the same plan (None once the window is complete). ``bounds`` give each scored indicator's
    target level (a number, or ``(low, high)`` for a band) for ``own``, ``to_date`` and
    ``projection``."""

    period: Period
    own: Evaluation
    to_date: Evaluation
    elapsed: int
    total: int
    projection: Evaluation | None = None
    bounds: Mapping[str, Mapping[str, object]] = attrs.Factory(dict)


@attrs.frozen
class SeriesEvaluation:
    """The evaluation of a series, period by period in order."""

    name: str
    label: str | None
    entity: str | None
    periods: tuple[PeriodEvaluation, ...]
    source: tuple[str, ...] = ()

    @property
    def last(self) -> PeriodEvaluation:
        """The last period."""
        return self.periods[-1]

    def at(self, text: str) -> PeriodEvaluation | None:
        """The period written ``text``, if the series has it."""
        return next((p for p in self.periods if p.period.text == text), None)


def _sum(xs: list[float]) -> float:
    """Left to right, as the NumPy runtime adds a window row after row (the same to the bit)."""
    s = xs[0]
    for x in xs[1:]:
        s += x
    return s


#: How a name's values over the periods to date become one value (NaN in, NaN out).
AGGREGATES = {
    "sum": _sum,
    "avg": lambda xs: _sum(xs) / len(xs),
    "last": lambda xs: xs[-1],
    "min": lambda xs: NAN if any(x != x for x in xs) else min(xs),
    "max": lambda xs: NAN if any(x != x for x in xs) else max(xs),
}


def ordered(periods: Iterable[tuple[Period, object]], where: str) -> list:
    """``periods`` in order; ``KpiError`` when they mix granularities (E505's rule for data)."""
    items = sorted(periods, key=lambda pv: pv[0])
    kinds = {p.kind: p for p, _ in items}
    if len(kinds) > 1:
        (a, pa), (b, pb) = list(kinds.items())[:2]
        raise KpiError([], f"{where} holds {KINDS[a]} (`{pa.text}`) and {KINDS[b]} (`{pb.text}`); one "
                       "scenario's periods are all of one granularity: give the others their own scenario")
    return items


_MERGED: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


def _merged_periods(model: Model) -> dict[str, dict[str, dict[str, float]]]:
    """Each in-file scenario's periods merged over its ``extends`` chain (each chain walked once,
    once per model; a scenario without periods of its own shares the dict of the one it extends)."""
    merged = _MERGED.get(model)
    if merged is not None:
        return merged
    merged = _MERGED[model] = {}
    scenarios = model.scenarios
    for name in scenarios:
        chain, n = [], name
        while n is not None and n in scenarios and n not in merged and n not in chain:
            chain.append(n)
            n = scenarios[n].extends
        below = merged.get(n, {})
        for n in reversed(chain):
            own = scenarios[n].periods
            if own:
                below = {t: {**below.get(t, {}), **own.get(t, {})} for t in below.keys() | own.keys()}
            merged[n] = below
    return merged


def series_of(model: Model, name: str) -> Series | None:
    """The series of the in-file scenario ``name`` (its periods merged over its ``extends`` chain),
    or None when it has no periods."""
    if not any(sc.periods for sc in model.scenarios.values()):
        return None
    merged = _merged_periods(model).get(name)
    if not merged:
        return None
    sc = model.scenarios[name]
    periods = ordered(((read_period(t)[0], v) for t, v in merged.items()), f"scenario `{name}`")
    return Series(name, tuple(periods), model.scenario_values(name), sc.label, None, name, ("the model",))


def window_starts(model: Model, periods: list[Period]) -> list[bool]:
    """For each period (in order), whether the to-date window starts again there: at the first
    period, and with ``to_date: year`` (the default) at the first period of each year."""
    by_year = model.settings.to_date != "series"
    return [i == 0 or (by_year and p.year != periods[i - 1].year) for i, p in enumerate(periods)]


def fed_plan(model: Model) -> tuple[Plan, Plan, frozenset]:
    """The model's plan, the plan to date (the levels of additive indicators fed), and those indicators."""
    plan = plan_of(model)
    fed = frozenset(n for n in additive(model) if n in plan.bounds)
    return plan, plan_of(model, fed), fed


#: The period each lag function reads.
LAGGED = {"previous": previous, "year_ago": year_ago}


def _lags(plan: Plan, period: Period, history: dict, basis: int) -> dict[int, float]:
    """The registers of ``previous(NAME)`` and ``year_ago(NAME)`` for ``period``: NAME's value in that
    other period (``history[period][basis]``: 0 on its own, 1 to date), unknown where the series
    lacks it."""
    out = {}
    for (func, name), reg in plan.lags.items():
        other = history.get(LAGGED[func](period))
        out[reg] = NAN if other is None else other[basis].get(name, NAN)
    return out


def bounds_of(plan: Plan, r: list) -> dict[str, object]:
    """Each indicator's target level in a run's registers ``r``: a number (None when unknown), or
    ``(low, high)`` for a band."""
    def value(op):
        x = r[op] if type(op) is int else op
        return None if x != x else x

    out: dict[str, object] = {}
    for name, levels in plan.bounds.items():
        out[name] = value(levels["target"]) if "target" in levels else (value(levels["low"]), value(levels["high"]))
    return out


def evaluate_series(model: Model, series: Series, *, allow_missing: bool = False,
                    as_of: "datetime.date | None" = None) -> SeriesEvaluation:
    """Evaluate every period of ``series`` on its own and to date (scalar runtime). Each period's
    numbers stand at the period's end (past a deadline, a target not met is overdue), or at ``as_of``.

    Raises ``MissingValues`` as ``evaluate`` does, for the first period that lacks a needed value."""
    plan, to_date_plan, fed = fed_plan(model)
    expects = model.scenarios[series.expects] if series.expects in model.scenarios else None
    periods = [p for p, _ in series.periods]
    starts = window_starts(model, periods)
    by_year = model.settings.to_date != "series"
    history: dict[Period, tuple[dict, dict]] = {}  # each period's values on its own and to date
    out = []
    seen: dict[str, list[float]] = {}
    sums: dict[tuple[str, str], float] = {}
    elapsed = 0
    for i, (period, own_values) in enumerate(series.periods):
        values = {**series.base, **own_values}
        keep: list = []
        checked = (series.expects, period.text) if expects is not None and period.text in expects.period_expects \
            else None
        day = as_of or period_end(period)
        own = evaluate(model, values, name=series.name, label=series.label, allow_missing=allow_missing,
                       expects=checked, keep=keep, fed=_lags(plan, period, history, 0), as_of=day)
        r = keep[0]
        if starts[i]:
            seen, sums, elapsed = {}, {}, 0
        for k in seen.keys() | values.keys():
            seen.setdefault(k, [NAN] * elapsed).append(values.get(k, NAN))
        elapsed += 1
        for n in fed:
            for key, op in plan.bounds[n].items():
                x = r[op] if type(op) is int else op
                sums[n, key] = sums[n, key] + x if (n, key) in sums else x
        agg = {}
        for k, xs in seen.items():
            x = AGGREGATES[accumulation(model, k)](xs)
            if x == x:
                agg[k] = x
        last = i == len(series.periods) - 1
        history[period] = (values, agg)
        fed_values = {to_date_plan.fed[n][key]: x for (n, key), x in sums.items()}
        fed_values.update(_lags(to_date_plan, period, history, 1))
        keep_td: list = []
        checked = [] if expects is None else [series.expects] if last else []
        if expects is not None and period.text in expects.to_date_expects:
            checked.append((series.expects, period.text, "to date"))
        to_date = evaluate(model, agg, name=series.name, label=series.label, allow_missing=allow_missing,
                           expects=checked or None, plan=to_date_plan,
                           fed=fed_values, keep=keep_td, as_of=day)
        bounds = {"own": bounds_of(plan, r), "to_date": bounds_of(to_date_plan, keep_td[0])}
        total = per_year(period.kind, period.year) if by_year else len(periods)
        projection = None
        if elapsed < total:
            k = total / elapsed
            scaled = {n: x * k if accumulation(model, n) == "sum" else x for n, x in agg.items()}
            keep_pr: list = []
            lags = set(to_date_plan.lags.values())
            projection = evaluate(model, scaled, name=series.name, label=series.label, allow_missing=True,
                                  as_of=day, plan=to_date_plan, fed={reg: x if reg in lags else x * k
                                                          for reg, x in fed_values.items()}, keep=keep_pr)
            bounds["projection"] = bounds_of(to_date_plan, keep_pr[0])
        out.append(PeriodEvaluation(period, own, to_date, elapsed, total, projection, bounds))
    return SeriesEvaluation(series.name, series.label, series.entity, tuple(out), series.source)


def evaluate_rows(model: Model, columns: Mapping[str, "np.ndarray"], series: "np.ndarray", periods: list[Period],
                  *, own: bool = True, run_rate: bool = True, as_of=None):
    """``evaluate_series`` for many series at once, with the NumPy runtime: one row per series and
    period, ``series`` the series' number of each row (rows of one series in the order of their
    periods, series one after another), ``periods`` each row's period. A ``RowsResult``: the
    ``BatchResult`` of each row on its own (None without ``own``), to date and as run rate (None
    without ``run_rate``), and the levels of each. Each row's numbers stand at its period's end, or at
    ``as_of`` (a ``datetime.date``)."""
    import numpy as np

    from .arrays import evaluate_columns

    n = len(periods)
    plan, to_date_plan, fed = fed_plan(model)
    at = {}  # (series, period) -> row, for the rows previous() and year_ago() read
    if plan.lags:
        at = {(s, p): i for i, (s, p) in enumerate(zip(series.tolist(), periods))}

    def lagged(plan_: Plan, cols) -> dict:
        out = {}
        for (func, name), reg in plan_.lags.items():
            rows = np.fromiter((at.get((s, LAGGED[func](p)), -1) for s, p in zip(series.tolist(), periods)),
                               dtype=np.int64, count=n)
            col = cols.get(name)
            out[reg] = np.full(n, NAN) if col is None else np.where(rows >= 0, np.asarray(col)[rows], NAN)
        return out

    distinct = list(dict.fromkeys(periods))  # what depends on the period alone is computed once for each
    code = np.fromiter(map({p: i for i, p in enumerate(distinct)}.__getitem__, periods), dtype=np.int64, count=n)
    days = None
    if plan.as_of is not None:  # a deadline somewhere: each row's as-of day
        days = as_of if as_of is not None else np.array(
            [float(period_end(p).toordinal()) for p in distinct], dtype=np.float64)[code]
    keep: list = []
    # the rows on their own: asked for, or where an additive indicator's levels are formulas (their
    # levels to date are the sums of what those give in each period)
    if own or any(type(op) is int for name in fed for op in plan.bounds[name].values()):
        own = evaluate_columns(model, dict(columns), n, days, keep=keep, fed=lagged(plan, columns))
        r = keep[0]
    else:
        own, r = None, None
    year = np.array([p.year for p in distinct], dtype=np.int64)[code]
    start = np.ones(n, dtype=bool)
    if n > 1:
        start[1:] = series[1:] != series[:-1]
        if model.settings.to_date != "series":
            start[1:] |= year[1:] != year[:-1]
    idx = np.arange(n)
    offset = idx - np.maximum.accumulate(np.where(start, idx, 0))
    steps = [np.flatnonzero(offset == j) for j in range(1, int(offset.max()) + 1 if n else 1)]

    def running(x, op):
        acc = x.copy()
        for rows in steps:  # the j-th period of every window at once, from the (j-1)-th
            acc[rows] = op(acc[rows - 1], x[rows])
        return acc

    elapsed = (offset + 1).astype(np.float64)
    aggregate = {"sum": lambda x: running(x, np.add), "avg": lambda x: running(x, np.add) / elapsed,
                 "last": lambda x: x, "min": lambda x: running(x, np.minimum), "max": lambda x: running(x, np.maximum)}
    agg = {k: aggregate[accumulation(model, k)](np.asarray(x, dtype=np.float64)) for k, x in columns.items()}
    fed_cols = {}
    for name in fed:
        for key, op in plan.bounds[name].items():
            col = r[op] if type(op) is int else np.full(n, op)
            fed_cols[to_date_plan.fed[name][key]] = running(np.asarray(col, dtype=np.float64), np.add)
    lag_cols = lagged(to_date_plan, agg)
    keep_td: list = []
    with np.errstate(all="ignore"):
        to_date = evaluate_columns(model, agg, n, days, plan=to_date_plan, fed={**fed_cols, **lag_cols}, keep=keep_td)
        if model.settings.to_date != "series":
            total = np.array([per_year(p.kind, p.year) for p in distinct], dtype=np.float64)[code]
        else:
            ends = np.flatnonzero(np.append(series[1:] != series[:-1], True)) if n else np.array([], dtype=np.int64)
            sizes = np.diff(np.append(-1, ends))
            total = np.repeat(sizes, sizes).astype(np.float64)
        levels = {"to_date": _level_columns(to_date_plan, keep_td[0], n)}
        if own is not None:
            levels["own"] = _level_columns(plan, r, n)
        projection = None
        if run_rate:
            k = total / elapsed
            scaled = {name: x * k if accumulation(model, name) == "sum" else x for name, x in agg.items()}
            keep_pr: list = []
            projection = evaluate_columns(model, scaled, n, days, plan=to_date_plan, keep=keep_pr,
                                          fed={**{reg: x * k for reg, x in fed_cols.items()}, **lag_cols})
            levels["projection"] = _level_columns(to_date_plan, keep_pr[0], n)
    return RowsResult(n, own, to_date, projection, elapsed < total, levels)


def _level_columns(plan: Plan, r: list, n: int) -> dict[str, tuple]:
    """Each indicator's target level over the rows: ``(column,)``, or ``(low, high)`` for a band."""
    import numpy as np

    def col(op):
        return r[op] if type(op) is int else np.full(n, op)

    return {name: (col(lv["target"]),) if "target" in lv else (col(lv["low"]), col(lv["high"]))
            for name, lv in plan.bounds.items()}


@attrs.frozen
class RowsResult:
    """``evaluate_rows``'s answer: per row, the ``BatchResult`` on its own, to date and as run rate
    (meaningful where ``projected``: the window is not complete), and the levels of each
    (``levels[basis][name]``: ``(column,)`` or ``(low, high)``)."""

    n: int
    own: object
    to_date: object
    projection: object
    projected: object
    levels: dict


__all__ = ["RowsResult", "evaluate_rows", "Series", "PeriodEvaluation", "SeriesEvaluation", "AGGREGATES", "evaluate_series", "series_of",
           "window_starts", "fed_plan", "ordered"]
