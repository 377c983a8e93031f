"""The scalar runtime: a plan run over Python floats, one scenario at a time (eval, test, editors).

Numbers are floats, NaN for unknown; conditions are ``True``, ``False`` or ``None`` (unknown);
status codes are the floats of ``plan.CODES``.
"""

from __future__ import annotations

import datetime
import math
import operator
from array import array
import weakref
from typing import Mapping

from ..compiler.asof import scenario_as_of
from ..compiler.model import Model
from ..gcpause import paused_gc
from .plan import (ACHIEVEMENT, CODES, DRAG, MET, SCORE, STATUS, STATUSES, TOL, Plan, assignable, levels_problem,
                   plan_of)
from .stepper import Adaptive
from .results import MET_CODES, Evaluation, ExpectResult, Layout, MissingValues, Results

NAN = math.nan


def _tol(b):
    return TOL * max(1.0, abs(b))


def _fin(x, n=None):
    return x if x is not None and math.isfinite(x) else NAN


def _div(a, b):
    if b == 0 or a != a or b != b:
        return NAN
    return a / b


def _pow(a, b):
    try:
        r = a ** b
    except (OverflowError, ZeroDivisionError):
        return NAN
    return r if isinstance(r, float) else NAN  # a complex result (negative ** fraction) is undefined


def _ge(a, b):
    return None if a != a or b != b else a >= b - _tol(b)


def _le(a, b):
    return None if a != a or b != b else a <= b + _tol(b)


def _gt(a, b):
    return None if a != a or b != b else a > b + _tol(b)


def _lt(a, b):
    return None if a != a or b != b else a < b - _tol(b)


def _eq(a, b):
    if a is None or b is None:
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    return None if a != a or b != b else abs(a - b) <= _tol(b)


def _ne(a, b):
    r = _eq(a, b)
    return None if r is None else not r


def _not(a):
    return None if a is None else not a


def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a, b):
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _any_nan(args) -> bool:
    return any(a != a for a in args)


def _min(*args):
    return NAN if _any_nan(args) else min(args)


def _max(*args):
    return NAN if _any_nan(args) else max(args)


def _fsum(args) -> float:
    try:
        return math.fsum(args)
    except (OverflowError, ValueError):  # an intermediate overflow, or inf - inf
        return NAN


def _sum(*args):
    return NAN if _any_nan(args) else _fsum(args)


def _avg(*args):
    return NAN if _any_nan(args) else _fsum(args) / len(args)


def _round(x, n=0.0):
    """Round half away from zero to ``n`` decimals (``n`` must be a whole number)."""
    if not (math.isfinite(x) and math.isfinite(n)) or n != int(n) or abs(n) > 300:
        return NAN
    f = 10.0 ** int(n)
    scaled = abs(x) * f + 0.5
    if not math.isfinite(scaled):
        return NAN
    r = math.floor(scaled) / f
    return math.copysign(r, x) if math.isfinite(r) else NAN


def _clamp(x, lo, hi):
    return NAN if _any_nan((x, lo, hi)) else min(max(x, lo), hi)


def _if_num(c, a, b):
    return a if c is True else b if c is False else NAN


def _if_cond(c, a, b):
    return a if c is True else b if c is False else None


def _pick(c, a, b):
    return a if c is True else b


def _known(x):
    return x == x


def _exceeds(a, b):
    return a > b


def _pos(x):
    return x if x > 0.0 else 0.0


PRIMITIVES = {
    "fin": _fin, "div": _div, "pow": _pow, "ge": _ge, "le": _le, "gt": _gt, "lt": _lt, "eq": _eq, "ne": _ne,
    "not": _not, "and": _and, "or": _or, "min": _min, "max": _max, "sum": _sum, "avg": _avg, "abs": abs,
    "round": _round, "clamp": _clamp, "if_num": _if_num, "if_cond": _if_cond, "pick": _pick, "known": _known,
    "exceeds": _exceeds, "pos": _pos,
}
CONSTANTS = {"TRUE": True, "FALSE": False, "NAN": NAN, **CODES}

_PROGRAMS: "weakref.WeakKeyDictionary[Plan, Adaptive]" = weakref.WeakKeyDictionary()


def program(plan: Plan, file_size: int | None = None) -> Adaptive:
    """The plan for Python floats, once per plan: its steps run one by one, then (from its
    ``COMPILE_AFTER``-th run on, when its code fits the memory a file of ``file_size`` bytes may
    take: ``stepper.CODE_PER_FILE_BYTE``) its compiled code."""
    prog = _PROGRAMS.get(plan)
    if prog is None:
        prog = _PROGRAMS[plan] = Adaptive(plan, PRIMITIVES, CONSTANTS, "scalar", file_size)
    return prog


def _num(x: float) -> float | None:
    return None if x != x else x


_LAYOUTS: "weakref.WeakKeyDictionary[Plan, tuple[Layout, tuple]]" = weakref.WeakKeyDictionary()
_MET_CODES = {met: code for code, met in enumerate(MET_CODES)}  # a result's met -> its code in ``Results``


def _getter(indexes: list[int]):
    """``r -> tuple(r[i] for i in indexes)``, in C."""
    if len(indexes) == 1:
        i = indexes[0]
        return lambda r: (r[i],)
    return operator.itemgetter(*indexes) if indexes else lambda r: ()


def layout_of(model: Model, plan: Plan) -> tuple[Layout, tuple]:
    """What every ``Results`` of ``plan`` shares, and the getters of the value, met, achievement,
    score and status registers in output order (once per plan; results keep the layout after the
    plan goes)."""
    got = _LAYOUTS.get(plan)
    if got is None:
        names = tuple(model.order)
        slots = [plan.slots[nm] for nm in names]
        n = len(plan.slots)
        layout = Layout(names, {nm: k for k, nm in enumerate(names)},
                        tuple(model.indicators[nm].kind for nm in names), STATUSES)
        got = _LAYOUTS[plan] = layout, tuple(_getter([f * n + i for i in slots])
                                             for f in (0, MET, ACHIEVEMENT, SCORE, STATUS))
    return got


def _results(model: Model, plan: Plan, r: list) -> Results:
    """The named registers of a run, as ``Results`` (NaN for unknown numbers; ``met`` and status as codes)."""
    layout, (value, met, achievement, score, status) = layout_of(model, plan)
    extra = {}
    if plan.grades or plan.adjusted:
        grades = [g.name for g in model.grades]
        for nm in dict.fromkeys((*plan.grades, *plan.adjusted)):
            g, c = plan.grades.get(nm, (None, None))
            a = plan.adjusted.get(nm)
            extra[nm] = (None if g is None or r[g] != r[g] else grades[int(r[g])], None if c is None else _num(r[c]),
                         None if a is None else _num(r[a]))
    return Results(layout, array("d", value(r)), bytes(map(_MET_CODES.__getitem__, met(r))),
                   array("d", achievement(r)), array("d", score(r)),
                   bytes([0 if c != c else int(c) for c in status(r)]), extra)


def evaluate(model: Model, values: Mapping[str, float], *, name: str = "scenario", label: str | None = None,
             allow_missing: bool = False, expects: str | tuple | list | None = None,
             as_of: datetime.date | None = None, plan: Plan | None = None,
             fed: Mapping[int, float] | None = None, keep: list | None = None) -> Evaluation:
    """Evaluate one scenario's ``values`` (name → number) against ``model``.

    Raises ``KpiError`` when the model has errors or a name is unknown or computed, and
    ``MissingValues`` when needed values are absent (unless ``allow_missing``: then they are unknown).
    ``expects`` names the in-file scenario (or ``(scenario, period)``, or ``(scenario, period, "to
    date")``, or a list of those) whose ``expect`` lines are checked. ``as_of`` is the day the numbers stand at (past an indicator's deadline, a target not met
    is overdue); by default, that of the in-file scenario ``name`` (``kpidsl.compiler.asof.scenario_as_of``).
    ``plan`` (``plan_of(model)`` when None) may be one with fed levels, whose registers ``fed`` fills;
    ``keep``, when given, receives the registers after the run.
    """
    plan = plan_of(model) if plan is None else plan
    with paused_gc():  # results are acyclic; collections over a large model's heap would dominate
        prog = program(plan, len(model.text))
        n = len(plan.slots)
        r: list = [NAN] * plan.temps_from
        r[MET * n:(MET + 1) * n] = [None] * n  # an unknown condition
        for key, x in values.items():
            assignable(model, key)
            r[plan.slots[key]] = float(x)
        if plan.as_of is not None:
            day = as_of if as_of is not None else scenario_as_of(model, name)
            r[plan.as_of] = NAN if day is None else float(day.toordinal())
        missing = plan.missing(values)
        if missing and not allow_missing:
            raise MissingValues(name, missing)
        if fed:
            for reg, x in fed.items():
                r[reg] = x
        prog.run(r, None)
        if keep is not None:
            keep.append(r)
        results = _results(model, plan, r)
        drags = [(nm, d) for nm in model.order if (d := r[DRAG * n + plan.slots[nm]]) == d]
        drags.sort(key=lambda x: -x[1])  # stable: ties stay in tree order
        problems = tuple(levels_problem(name, {k: r[v] if type(v) is int else v for k, v in levels.items()}, want)
                         for name, (levels, ok, want) in plan.levels.items() if r[ok] is False)
        checked = ()
        if expects is not None:
            keys = expects if type(expects) is list else (expects,)
            checked = tuple(ExpectResult(e, f(r, None)) for k in keys for e, f in prog.expects.get(k, []))
    return Evaluation(name, label, results, tuple(missing), tuple(drags), checked, problems=problems)


__all__ = ["evaluate", "program", "PRIMITIVES", "CONSTANTS"]
