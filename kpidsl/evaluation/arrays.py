"""The array runtime: a plan run over NumPy columns, every scenario of a batch at once.

Numbers are float64 arrays with NaN for unknown; conditions (and ``met``) are float64 arrays of 1.0
(true), 0.0 (false) or NaN (unknown); status codes are the floats of ``plan.CODES``, turned into
int8 codes of ``STATUSES`` (0: no status) in the result. The primitives do the same floating-point
operations in the same order as the scalar runtime's, so the results are the same to the bit.

NumPy is imported here only; importing ``kpidsl`` does not import this module.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from ..compiler.model import Model
from .plan import (ACHIEVEMENT, CODES, DRAG, MET, SCORE, STATUS, STATUSES, TOL, Plan, assignable, levels_problem,
                   plan_of)
from .pycode import Program
from .scalar import PRIMITIVES as _SCALAR

NAN = math.nan
F64 = np.float64


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=F64)


def _fin(x, n):
    x = _arr(x)
    if x.ndim == 0:
        return np.full(n, float(x) if math.isfinite(float(x)) else NAN)
    return np.where(np.isfinite(x), x, NAN)


def _div(a, b):
    a, b = _arr(a), _arr(b)
    return np.where(b == 0, NAN, a / b)


_pow_obj = np.frompyfunc(_SCALAR["pow"], 2, 1)


def _pow(a, b):
    # Python's float ** (libm pow, with its special cases) rather than NumPy's vectorised power,
    # whose last bit can differ; the scalar primitive turns overflow and complex results into NaN.
    r = _pow_obj(_arr(a), _arr(b))
    return _arr(r) if not isinstance(r, np.ndarray) else r.astype(F64)


def _tol(b):
    return TOL * np.maximum(1.0, np.abs(b))


def _unknown(a, b):
    return np.isnan(a) | np.isnan(b)


def _ge(a, b):
    a, b = _arr(a), _arr(b)
    return np.where(_unknown(a, b), NAN, a >= b - _tol(b))


def _le(a, b):
    a, b = _arr(a), _arr(b)
    return np.where(_unknown(a, b), NAN, a <= b + _tol(b))


def _gt(a, b):
    a, b = _arr(a), _arr(b)
    return np.where(_unknown(a, b), NAN, a > b + _tol(b))


def _lt(a, b):
    a, b = _arr(a), _arr(b)
    return np.where(_unknown(a, b), NAN, a < b - _tol(b))


def _eq(a, b):
    # conditions are 1.0/0.0, so equal conditions are within the tolerance and unequal ones are not
    a, b = _arr(a), _arr(b)
    return np.where(_unknown(a, b), NAN, np.abs(a - b) <= _tol(b))


def _ne(a, b):
    return 1.0 - _eq(a, b)


def _not(a):
    return 1.0 - _arr(a)


def _and(a, b):
    a, b = _arr(a), _arr(b)
    return np.where((a == 0.0) | (b == 0.0), 0.0, a * b)


def _or(a, b):
    a, b = _arr(a), _arr(b)
    return np.where((a == 1.0) | (b == 1.0), 1.0, a + b)


def _args(args):
    return np.broadcast_arrays(*[_arr(a) for a in args])


def _any_nan(args):
    m = np.isnan(args[0])
    for a in args[1:]:
        m = m | np.isnan(a)
    return m


def _min(*args):
    args = _args(args)
    cur = args[0]
    for x in args[1:]:
        cur = np.where(x < cur, x, cur)  # Python's min keeps the first of equal values (0.0 / -0.0)
    return np.where(_any_nan(args), NAN, cur)


def _max(*args):
    args = _args(args)
    cur = args[0]
    for x in args[1:]:
        cur = np.where(x > cur, x, cur)
    return np.where(_any_nan(args), NAN, cur)


def _exact_sum(args):
    """``math.fsum`` of each row: the left-to-right sum ``s`` with the rounding error of each step
    (Knuth's two-sum), which add up to the exact sum. Where the errors add up exactly to ``g``,
    ``s + g`` is the exact sum rounded once: fsum's result. Other rows take fsum row by row."""
    args = _args(args)
    s = args[0]
    g = None  # the errors so far, added up
    exact = np.ones(s.shape, dtype=bool)
    for x in args[1:]:
        t = s + x
        bv = t - s
        err = (s - (t - bv)) + (x - bv)
        if g is None:
            g = err
        else:
            u = g + err
            gv = u - g
            exact &= ((g - (u - gv)) + (err - gv)) == 0.0
            g = u
        s = t
    if g is not None:
        s = s + g
    nan = _any_nan(args)
    slow = ~(exact & np.isfinite(s) & (s != 0.0)) & ~nan
    s = np.where(nan, NAN, s)
    fsum = _SCALAR["sum"]
    if s.ndim == 0:
        return _arr(fsum(*(float(a) for a in args))) if slow else s
    if slow.any():
        s = s.copy()
        idx = np.flatnonzero(slow)
        cols = [a[idx].tolist() for a in args]
        s[idx] = [fsum(*row) for row in zip(*cols)]
    return s


def _sum(*args):
    return _exact_sum(args)


def _avg(*args):
    return _exact_sum(args) / len(args)


def _abs(x):
    return np.abs(_arr(x))


_POW10 = np.array([10.0 ** k for k in range(-300, 301)])


def _round(x, n=0.0):
    x, n = _args((x, n))
    whole = np.trunc(n) == n
    bad = np.isnan(x) | np.isnan(n) | ~np.isfinite(x) | ~whole | (np.abs(n) > 300)
    k = np.where(bad, 0.0, n).astype(np.int64)
    f = _POW10[k + 300]
    y = np.floor(np.abs(x) * f + 0.5)
    r = y / f
    return np.where(bad | ~np.isfinite(y) | ~np.isfinite(r), NAN, np.copysign(r, x))


def _clamp(x, lo, hi):
    x, lo, hi = _args((x, lo, hi))
    m = np.where(lo > x, lo, x)
    m = np.where(hi < m, hi, m)
    return np.where(_any_nan((x, lo, hi)), NAN, m)


def _if(c, a, b):
    c = _arr(c)
    return np.where(c == 1.0, _arr(a), np.where(c == 0.0, _arr(b), NAN))


def _pick(c, a, b):
    return np.where(_arr(c) == 1.0, a, b)


def _known(x):
    return np.where(np.isnan(x), 0.0, 1.0)


def _exceeds(a, b):
    return np.where(_arr(a) > b, 1.0, 0.0)


def _pos(x):
    x = _arr(x)
    return np.where(x > 0.0, x, 0.0)


PRIMITIVES = {
    "fin": _fin, "div": _div, "pow": _pow, "ge": _ge, "le": _le, "gt": _gt, "lt": _lt, "eq": _eq, "ne": _ne,
    "not": _not, "and": _and, "or": _or, "min": _min, "max": _max, "sum": _sum, "avg": _avg, "abs": _abs,
    "round": _round, "clamp": _clamp, "if_num": _if, "if_cond": _if, "pick": _pick, "known": _known,
    "exceeds": _exceeds, "pos": _pos,
}
CONSTANTS = {"TRUE": 1.0, "FALSE": 0.0, "NAN": NAN, **CODES}

_PROGRAMS: "weakref.WeakKeyDictionary[Plan, Program]" = weakref.WeakKeyDictionary()


def program(plan: Plan) -> Program:
    """The plan compiled for NumPy columns, once per plan."""
    prog = _PROGRAMS.get(plan)
    if prog is None:
        prog = _PROGRAMS[plan] = Program(plan, PRIMITIVES, CONSTANTS, "array")
    return prog


class BatchResult:
    """The evaluation of ``n`` scenarios: per-name arrays of value, achievement, met, score, status.

    ``value``, ``achievement``, ``score``: float64 arrays, NaN = unknown. ``met``: float64 arrays of
    1.0 / 0.0 / NaN (unknown). ``status``: int8 codes into ``STATUSES`` (0 = no status).
    ``missing`` maps a row to the names it needs but does not supply (in the scalar order).
    """

    STATUSES = STATUSES

    def __init__(self, model, n, value, achievement, met, score, status, drag, missing, problems=None,
                 grade=None, coefficient=None):
        self.model = model
        self.n = n
        self.value = value
        self.achievement = achievement
        self.met = met
        self.score = score
        self.status = status
        self._drag = drag
        self.missing = missing
        #: Row → why an indicator has no score there though it has data (levels out of order).
        self.problems: dict[int, list[str]] = problems or {}
        #: When the model declares grades: per name, the grade (an index into ``model.grades``, NaN
        #: for none) and its coefficient, as float64 arrays.
        self.grade: dict[str, np.ndarray] = grade or {}
        self.coefficient: dict[str, np.ndarray] = coefficient or {}

    def status_text(self, name: str) -> list[str | None]:
        """The statuses of ``name`` as strings (None where it has none)."""
        return [STATUSES[c] for c in self.status[name].tolist()]

    def met_value(self, name: str, row: int) -> bool | None:
        """``met`` of one row as the scalar runtime gives it."""
        x = float(self.met[name][row])
        return None if x != x else x == 1.0

    def fields(self, name: str) -> tuple[np.ndarray, ...]:
        """``(value, met, achievement, score, status)`` of ``name`` over the rows, then its grade and
        coefficient when the model declares grades."""
        out = self.value[name], self.met[name], self.achievement[name], self.score[name], self.status[name]
        if self.model.grades:
            unknown = np.full(self.n, NAN)
            out += (self.grade.get(name, unknown), self.coefficient.get(name, unknown))
        return out

    def drags(self, name: str) -> np.ndarray:
        """The drag of ``name`` on its KGI per row, NaN where the scalar runtime lists none."""
        return self._drag[name]


def evaluate_columns(model: Model, columns: dict[str, np.ndarray], n: int, as_of=None, *, plan: Plan | None = None,
                     fed: dict[int, np.ndarray] | None = None, keep: list | None = None) -> BatchResult:
    """Evaluate ``n`` scenarios given column-wise: name -> float64 array, NaN = not supplied.

    ``as_of``: the day the numbers stand at, a ``datetime.date`` or per row an array of day numbers
    (``date.toordinal()``, NaN for none); past a deadline, a target not met is overdue.

    Names are inputs and indicators without a formula (``KpiError`` otherwise, like ``evaluate``);
    absent names are unknown in every row (``allow_missing`` semantics; see ``BatchResult.missing``).
    ``plan``, ``fed`` and ``keep`` are those of ``kpidsl.evaluation.scalar.evaluate``, column-wise.
    """
    plan = plan_of(model) if plan is None else plan
    prog = program(plan)
    unknown = np.full(n, NAN)
    r: list = [unknown] * plan.temps_from
    for key, col in columns.items():
        assignable(model, key)
        arr = np.asarray(col, dtype=F64)
        if arr.shape != (n,):
            raise ValueError(f"column `{key}` has shape {arr.shape}, expected ({n},)")
        r[plan.slots[key]] = arr
    if plan.as_of is not None and as_of is not None:
        r[plan.as_of] = np.full(n, float(as_of.toordinal())) if hasattr(as_of, "toordinal") else np.asarray(
            as_of, dtype=F64)
    missing: dict[int, list[str]] = {}
    for nm in plan.needed:
        gone = np.isnan(r[plan.slots[nm]])
        if gone.any():
            for row in np.flatnonzero(gone).tolist():
                missing.setdefault(row, []).append(nm)
    for reg, col in (fed or {}).items():
        r[reg] = col
    with np.errstate(all="ignore"):
        prog.run(r, n)
    if keep is not None:
        keep.append(r)
    problems: dict[int, list[str]] = {}
    for name, (levels, ok, want) in plan.levels.items():
        for row in np.flatnonzero(r[ok] == 0.0).tolist():
            values = {key: float(r[v][row]) if type(v) is int else v for key, v in levels.items()}
            problems.setdefault(row, []).append(levels_problem(name, values, want))
    k = len(plan.slots)

    def field(f: int) -> dict[str, np.ndarray]:
        return {nm: r[f * k + plan.slots[nm]] for nm in model.order}

    status = {nm: np.where(np.isnan(c), 0, c).astype(np.int8) for nm, c in field(STATUS).items()}
    column = lambda x: np.broadcast_to(_arr(x), (n,)).copy()  # noqa: E731 - a constant register too
    grade = {nm: column(r[g]) for nm, (g, _) in plan.grades.items()}
    coefficient = {nm: column(r[c]) for nm, (_, c) in plan.grades.items() if c is not None}
    return BatchResult(model, n, field(0), field(ACHIEVEMENT), field(MET), field(SCORE), status, field(DRAG),
                       {row: tuple(names) for row, names in sorted(missing.items())},
                       dict(sorted(problems.items())), grade, coefficient)


__all__ = ["evaluate_columns", "BatchResult", "STATUSES", "PRIMITIVES", "CONSTANTS", "program"]


def evaluate_named(model: Model, columns: dict[str, np.ndarray], n: int, names=None, as_of=None) -> BatchResult:
    """``evaluate_columns`` of rows named by ``names`` (or None): without ``as_of``, each row stands at
    the as-of date of the in-file scenario of its name."""
    from ..compiler.asof import scenario_as_of

    if as_of is None and names is not None and any(sc.as_of for sc in model.scenarios.values()):
        days = [scenario_as_of(model, nm) for nm in names]
        as_of = [float("nan") if d is None else float(d.toordinal()) for d in days]
    return evaluate_columns(model, columns, n, as_of)
