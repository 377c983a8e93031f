"""Vectorised evaluation of many scenarios at once (CSV batches), with NumPy.

The same meaning as ``kpidsl.evaluation.evaluator`` — values, achievement, ``met``, scores rolled up the tree,
vetoes and statuses — computed column-wise over all rows of a batch. Formulas are compiled once per
model into generated flat NumPy code, exactly as ``kpidsl.evaluation.program`` does for one scenario: every name
becomes a slot number, every literal a float, every operator and function one of a fixed table of
helpers; no text from the file reaches the generated source.

Encoding: numbers are float64 arrays with NaN for unknown; conditions (and ``met``) are float64
arrays holding 1.0 (true), 0.0 (false) or NaN (unknown). Statuses are small-int codes; see
``STATUSES``. Results match the scalar evaluator exactly (same floating-point operations in the same
order); where the scalar helpers raise on an overflow inside ``sum``/``avg``/``round`` this module
gives an unknown value instead.

NumPy is imported here only; importing ``kpidsl`` does not import this module.
"""

from __future__ import annotations

import csv
import io
import math
import re
import weakref
from pathlib import Path

import numpy as np

from . import program as _scalar
from ..parsing import syntax
from ..data import DataError, _read_csv, check_names, parse_set, read_data, read_text
from ..errors import KpiError
from ..parsing.literals import read_signed_number
from .scoring import tolerance

NAN = math.nan
F64 = np.float64

#: status code -> status text (None: never scored)
STATUSES: tuple[str | None, ...] = (None, "green", "amber", "red", "no-data", "vetoed", "pass", "fail")
NONE, GREEN, AMBER, RED, NODATA, VETOED, PASS, FAIL = range(8)
_STATUS_TEXT = np.array([s or "" for s in STATUSES], dtype=object)


# --------------------------------------------------------------------------------------------------
# helpers of the generated code (array versions of kpidsl.evaluation.program's helpers)

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


_pow_obj = np.frompyfunc(_scalar._pow, 2, 1)


def _pow(a, b):
    # Python's float ** (libm pow, with its special cases) rather than NumPy's vectorised power,
    # whose last bit can differ; the scalar helper turns overflow and complex results into NaN.
    r = _pow_obj(_arr(a), _arr(b))
    return _arr(r) if not isinstance(r, np.ndarray) else r.astype(F64)


def _tol(b):
    return 1e-9 * np.maximum(1.0, np.abs(b))


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


def _fsum_row(*xs):
    try:
        return math.fsum(xs)
    except (OverflowError, ValueError):  # inf - inf, or an intermediate overflow
        return NAN


def _exact_sum(args):
    """``math.fsum`` of each row: the left-to-right sum where it is exact, else fsum row by row."""
    args = _args(args)
    s = args[0]
    exact = np.ones(s.shape, dtype=bool)
    for x in args[1:]:
        t = s + x
        bv = t - s
        err = (s - (t - bv)) + (x - bv)
        exact &= err == 0.0
        s = t
    nan = _any_nan(args)
    slow = ~(exact & np.isfinite(s) & (s != 0.0)) & ~nan
    s = np.where(nan, NAN, s)
    if s.ndim == 0:
        return _arr(_fsum_row(*(float(a) for a in args))) if slow else s
    if slow.any():
        s = s.copy()
        idx = np.flatnonzero(slow)
        cols = [a[idx].tolist() for a in args]
        s[idx] = [_fsum_row(*row) for row in zip(*cols)]
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


HELPERS = {f.__name__: f for f in (_fin, _div, _pow, _ge, _le, _gt, _lt, _eq, _ne, _not, _and, _or,
                                     _min, _max, _sum, _avg, _abs, _round, _clamp, _if)}
_ARITH = {"+": "{} + {}", "-": "{} - {}", "*": "{} * {}", "/": "_div({}, {})", "^": "_pow({}, {})"}
_CMP = {">=": "_ge", "<=": "_le", ">": "_gt", "<": "_lt", "==": "_eq", "!=": "_ne"}
_FUNCS = {"min": "_min", "max": "_max", "sum": "_sum", "avg": "_avg", "abs": "_abs", "round": "_round",
          "clamp": "_clamp", "if": "_if"}


def _children(node) -> tuple:
    t = type(node)
    if t is syntax.Neg or t is syntax.NotOp:
        return (node.operand,)
    if t in (syntax.Binary, syntax.Compare, syntax.AndOp, syntax.OrOp):
        return (node.left, node.right)
    if t is syntax.Call:
        return tuple(node.args.items)
    return ()


def _emit(root, slots: dict[str, int], lines: list[str], counter: list[int]) -> str:
    """Flat statements for one checked formula (iterative: deep formulas need no recursion)."""
    out: list[str] = []  # codes of finished nodes, a stack
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        kids = _children(node)
        if not done and kids:
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids))
            continue
        args = out[len(out) - len(kids):] if kids else []
        if kids:
            del out[len(out) - len(kids):]
        t = type(node)
        if t is syntax.Number:
            x = float(node.value)
            if not math.isfinite(x):
                raise TypeError("a literal must be finite")
            out.append(f"({x!r})")
            continue
        if t is syntax.Boolean:
            out.append("(1.0)" if node.value else "(0.0)")
            continue
        if t is syntax.Ref:
            out.append(f"v[{int(slots[node.name.text])}]")
            continue
        if t is syntax.Neg:
            code = f"-{args[0]}"
        elif t is syntax.Binary:
            code = _ARITH[node.op].format(*args)
        elif t is syntax.Compare:
            code = f"{_CMP[node.op]}({args[0]}, {args[1]})"
        elif t is syntax.NotOp:
            code = f"_not({args[0]})"
        elif t is syntax.AndOp:
            code = f"_and({args[0]}, {args[1]})"
        elif t is syntax.OrOp:
            code = f"_or({args[0]}, {args[1]})"
        elif t is syntax.Call:
            code = f"{_FUNCS[node.func.text]}({', '.join(args)})"
        else:
            raise TypeError(f"cannot compile {t.__name__} in a formula")
        name = f"t{counter[0]}"
        counter[0] += 1
        lines.append(f"    {name} = {code}")
        out.append(name)
    return out[0]


class _Compiled:
    """The vectorised program of one model."""

    def __init__(self, model):
        self.slots = {name: i for i, name in enumerate(model.indicators)}
        lines = ["def _values(v, n):"]
        counter = [0]
        for name in model.formula_order:
            result = _emit(model.indicators[name].formula, self.slots, lines, counter)
            lines.append(f"    v[{self.slots[name]}] = _fin({result}, n)")
        lines.append("    return v")
        self.source = "\n".join(lines) + "\n"
        namespace = dict(HELPERS)
        exec(compile(self.source, "<kpidsl vectorised program>", "exec"), namespace)  # checked graph only
        self.values = namespace["_values"]


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compiled(model) -> _Compiled:
    """The vectorised program of ``model``, built once per model."""
    try:
        return _CACHE[model]
    except KeyError:
        pass
    except TypeError:
        return _Compiled(model)
    prog = _Compiled(model)
    try:
        _CACHE[model] = prog
    except TypeError:
        pass
    return prog


# --------------------------------------------------------------------------------------------------
# scoring

def _clamp01(q):
    q = np.where(q > 0.0, q, 0.0)  # Python's max(0.0, q)
    return np.where(q < 1.0, q, 1.0)  # min(1.0, …)


def _threshold(a, target, baseline, stretch, cap):
    """``met`` (1/0/NaN) and achievement of values ``a`` against one target."""
    unknown = np.isnan(a)
    op = target.op
    if op == ">=":
        t = target.value
        met = a >= t - tolerance(t)
    elif op == "<=":
        t = target.value
        met = a <= t + tolerance(t)
    elif op == "==":
        t = target.value
        met = np.abs(a - t) <= tolerance(t)
    else:
        met = (target.low - tolerance(target.low) <= a) & (a <= target.high + tolerance(target.high))
    met_f = np.where(unknown, NAN, met)
    if op in ("==", ".."):
        return met_f, np.where(unknown, NAN, np.where(met, 1.0, 0.0))
    if op == ">=":
        yes = 1.0 if stretch is None else 1.0 + (cap - 1.0) * _clamp01((a - t) / (stretch - t))
        if baseline is not None:
            q = (a - baseline) / (t - baseline)
            no = np.where(q > 0.0, q, 0.0)
        elif t > 0:
            q = a / t
            no = np.where(q > 0.0, q, 0.0)
        else:
            no = 0.0
    else:
        yes = 1.0 if stretch is None else 1.0 + (cap - 1.0) * _clamp01((t - a) / (t - stretch))
        if baseline is not None:
            q = (baseline - a) / (baseline - t)
            no = np.where(q > 0.0, q, 0.0)
        elif t > 0:
            no = np.where(a > 0, t / a, 0.0)
        else:
            no = 0.0
    return met_f, np.where(unknown, NAN, np.where(met, yes, no))


def _status_codes(score, green, amber):
    return np.where(np.isnan(score), NODATA,
                    np.where(score >= green - tolerance(green), GREEN,
                             np.where(score >= amber - tolerance(amber), AMBER, RED))).astype(np.int8)


class BatchResult:
    """The evaluation of ``n`` scenarios: per-name arrays of value, achievement, met, score, status.

    ``value``, ``achievement``, ``score``: float64 arrays, NaN = unknown. ``met``: float64 arrays of
    1.0 / 0.0 / NaN (unknown). ``status``: int8 codes into ``STATUSES`` (0 = no status).
    ``missing`` maps a row to the names it needs but does not supply (in the scalar order).
    """

    STATUSES = STATUSES

    def __init__(self, model, n, value, achievement, met, score, status, missing):
        self.model = model
        self.n = n
        self.value = value
        self.achievement = achievement
        self.met = met
        self.score = score
        self.status = status
        self.missing = missing

    def status_text(self, name: str) -> list[str | None]:
        """The statuses of ``name`` as strings (None where it has none)."""
        return [STATUSES[c] for c in self.status[name].tolist()]

    def met_value(self, name: str, row: int) -> bool | None:
        """``met`` of one row as the scalar evaluator gives it."""
        x = float(self.met[name][row])
        return None if x != x else x == 1.0

    def drags(self, name: str) -> np.ndarray:
        """The drag of kpi ``name`` on its kgi per row, NaN where the scalar evaluator lists none."""
        inds = self.model.indicators
        ind = inds[name]
        s = self.score[name]
        if ind.kind != "kpi" or ind.effective_weight is None:
            return np.full(self.n, NAN)
        w, p = 1.0, ind
        while p.parent is not None:
            w *= p.effective_weight if p.effective_weight is not None else 1.0
            p = inds[p.parent]
        q = 1.0 - s
        d = w * np.where(q > 0.0, q, 0.0)
        return np.where(np.isnan(s) | ~(d > 1e-12), NAN, d)

    def csv_names(self) -> list[str]:
        """The declarations that ``--format csv`` writes, in output order."""
        return [n for n in self.model.order if self.model.indicators[n].kind != "input"]

    def to_csv(self, scenario_names) -> str:
        """Exactly the text of ``kpidsl.render.evaluation.to_csv`` for these scenarios (one name a row)."""
        return "".join(self.iter_csv(scenario_names))

    def iter_csv(self, scenario_names, chunk: int = 20000):
        """The CSV text of ``to_csv`` in pieces (header, then blocks of rows), for writing to a file."""
        names = self.csv_names()
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(
            ["scenario"] + [f"{n}.{c}" for n in names for c in ("value", "score", "status")])
        yield buf.getvalue()
        scenario_names = list(scenario_names)
        if len(scenario_names) != self.n:
            raise ValueError(f"{len(scenario_names)} scenario names for {self.n} rows")
        quoted = _csv_fields(scenario_names)
        with np.errstate(all="ignore"):
            for lo in range(0, self.n, chunk):
                hi = min(self.n, lo + chunk)
                cols = [quoted[lo:hi]]
                for nm in names:
                    cols.append(_float_texts(self.value[nm][lo:hi]))
                    cols.append(_float_texts(self.score[nm][lo:hi]))
                    cols.append(_STATUS_TEXT[self.status[nm][lo:hi]].tolist())
                yield "\n".join(map(",".join, zip(*cols))) + "\n"

    def write_csv(self, scenario_names, fh) -> None:
        """Write the ``to_csv`` text to a text file object."""
        for piece in self.iter_csv(scenario_names):
            fh.write(piece)


def _float_texts(x: np.ndarray) -> list[str]:
    """``repr(float(v))`` of each value, "" for NaN (each distinct value formatted once)."""
    if len(x) >= 64 and not (np.signbit(x) & (x == 0.0)).any():  # np.unique merges 0.0 and -0.0
        uniq, inverse = np.unique(x, return_inverse=True)
        if len(uniq) * 4 <= len(x):
            texts = np.array(["" if v != v else float.__repr__(v) for v in uniq.tolist()], dtype=object)
            return texts[inverse.reshape(-1)].tolist()
    texts = list(map(float.__repr__, x.tolist()))
    nan = np.isnan(x)
    if nan.any():
        for i in np.flatnonzero(nan).tolist():
            texts[i] = ""
    return texts


_PLAIN = re.compile(r"[\w.\-]+")


def _csv_fields(names: list[str]) -> list[str]:
    """Scenario names as ``csv.writer`` writes them (quoted only when they need it)."""
    if all(map(_PLAIN.fullmatch, names)):
        return names
    cache: dict[str, str] = {}
    out = []
    for nm in names:
        f = cache.get(nm)
        if f is None:
            if _PLAIN.fullmatch(nm):
                f = nm
            else:
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\n").writerow([nm, ""])
                f = buf.getvalue()[:-2]  # drop the "," of the empty second field and the newline
            cache[nm] = f
        out.append(f)
    return out


def evaluate_columns(model, columns: dict[str, np.ndarray], n: int) -> BatchResult:
    """Evaluate ``n`` scenarios given column-wise: name -> float64 array, NaN = not supplied.

    Names are inputs and indicators without a formula (``KpiError`` otherwise, like ``evaluate``);
    absent names are unknown in every row (``allow_missing`` semantics; see ``BatchResult.missing``).
    """
    if model.program is None:
        raise KpiError([f for f in model.findings if f.is_error] or model.findings,
                       "the model has errors and cannot be evaluated")
    prog = compiled(model)
    inds = model.indicators
    slots = prog.slots
    unknown = np.full(n, NAN)
    v: list = [unknown] * len(slots)
    for key, col in columns.items():
        ind = inds.get(key)
        if ind is None or ind.formula is not None:
            why = "is not declared" if ind is None else "is computed by its `value` formula"
            raise KpiError([], f"`{key}` {why}; a scenario assigns inputs and indicators without a formula")
        arr = np.asarray(col, dtype=F64)
        if arr.shape != (n,):
            raise ValueError(f"column `{key}` has shape {arr.shape}, expected ({n},)")
        v[slots[key]] = arr
    missing: dict[int, list[str]] = {}
    for nm in model.program.needed:
        gone = np.isnan(v[slots[nm]])
        if gone.any():
            for r in np.flatnonzero(gone).tolist():
                missing.setdefault(r, []).append(nm)
    missing_t = {r: tuple(names) for r, names in sorted(missing.items())}

    cap, green, amber = model.settings.cap, model.settings.green, model.settings.amber
    with np.errstate(all="ignore"):
        prog.values(v, n)
        score = [unknown] * len(slots)
        ach = [unknown] * len(slots)
        met = [unknown] * len(slots)
        none_status = np.zeros(n, dtype=np.int8)
        status = [none_status] * len(slots)
        for nm in reversed(model.order):  # children before parents
            ind = inds[nm]
            i = slots[nm]
            t = ind.target
            if t is not None:
                met[i], ach[i] = _threshold(v[i], t, ind.baseline, ind.stretch, cap)
            if ind.kind == "veto":
                score[i] = ach[i]
                if t is not None:
                    m = met[i]
                    status[i] = np.where(np.isnan(m), NODATA, np.where(m == 1.0, PASS, FAIL)).astype(np.int8)
                continue
            if ind.kind == "input":
                continue
            if ind.children:
                total = 0.0
                for c in ind.children:
                    total = total + inds[c].effective_weight * score[slots[c]]
                s = _arr(total) if np.ndim(total) else np.full(n, float(total))
            elif t is not None:
                s = ach[i]
            else:
                s = unknown
            vetoed = None
            if ind.vetoes:
                vm = [met[slots[c]] for c in ind.vetoes]
                vetoed = vm[0] == 0.0
                unsure = np.isnan(vm[0])
                for m in vm[1:]:
                    vetoed = vetoed | (m == 0.0)
                    unsure = unsure | np.isnan(m)
                s = np.where(vetoed, 0.0, np.where(unsure, NAN, s))
            score[i] = s
            st = _status_codes(s, green, amber) if ind.scored else none_status
            if vetoed is not None and vetoed.any():
                st = np.where(vetoed, VETOED, st).astype(np.int8)
            status[i] = st
    order = model.order
    return BatchResult(model, n,
                       {nm: v[slots[nm]] for nm in order},
                       {nm: ach[slots[nm]] for nm in order},
                       {nm: met[slots[nm]] for nm in order},
                       {nm: score[slots[nm]] for nm in order},
                       {nm: status[slots[nm]] for nm in order},
                       missing_t)


# --------------------------------------------------------------------------------------------------
# reading CSV batches

_BAD_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")


def _parse_cell(c: str, bad: list) -> float:
    s = c.strip()
    if not s:
        return NAN
    try:
        x = float(s)
        if math.isfinite(x) and not _BAD_DOT.search(s):
            return x
    except ValueError:
        pass
    x, problem = read_signed_number(s)
    if x is None:
        bad.append(problem)
        return NAN
    return x


def _dots_ok(joined: str) -> bool:
    """Whether every ``.`` stands between two digits (``float`` also takes ``.5`` and ``5.``)."""
    if "." not in joined:
        return True
    try:
        b = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return not _BAD_DOT.search(joined)
    p = np.flatnonzero(b == 46)
    if p[0] == 0 or p[-1] == len(b) - 1:
        return False
    before, after = b[p - 1], b[p + 1]
    return bool(((before >= 48) & (before <= 57) & (after >= 48) & (after <= 57)).all())


def _parse_column(cells) -> np.ndarray | None:
    """The numbers of one column (NaN for empty cells), or None when a cell is not a number."""
    try:
        arr = np.array(list(map(float, cells)), dtype=F64)
    except ValueError:
        arr = None
    if arr is not None and np.isfinite(arr).all() and _dots_ok("\x00".join(cells)):
        return arr
    bad: list = []
    arr = np.array([_parse_cell(c, bad) for c in cells], dtype=F64)
    return None if bad else arr


def _from_scenarios(model, header: list[str], scenarios) -> tuple[list[str], dict[str, np.ndarray], int]:
    for ds in scenarios:
        check_names(model, ds.values, ds.where)
    n = len(scenarios)
    named = bool(header) and header[0] == "scenario"
    keys = [k for k in dict.fromkeys((header[1:] if named else header) + [k for ds in scenarios for k in ds.values])
            if (ind := model.indicators.get(k)) is not None and ind.formula is None]
    columns = {}
    for k in keys:
        columns[k] = np.array([ds.values.get(k, NAN) for ds in scenarios], dtype=F64)
    return [ds.name for ds in scenarios], columns, n


def read_csv_columns(path: str, model) -> tuple[list[str], dict[str, np.ndarray], int]:
    """Read a CSV batch into ``(scenario names, columns, n)``, one row per scenario.

    Columns map names to float64 arrays (NaN where a cell is empty). Every problem is the
    ``DataError`` that ``kpidsl.data.read_data`` followed by ``check_names`` raises for the file. Rows
    keep their order; rows with the same name are not merged here (see ``select_batch``). Files of
    other formats are read with ``read_data``.
    """
    if Path(path).suffix.lower() != ".csv":
        scenarios = read_data(path)
        return _from_scenarios(model, [], scenarios)
    text = read_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    fast = _fast_columns(model, rows, path)
    if fast is not None:
        return fast
    scenarios = _read_csv(text, path)  # the reference reader: raises the exact error, or reads oddities
    header = [h.strip() for h in next(r for r in rows if any(c.strip() for c in r))]
    return _from_scenarios(model, header, scenarios)


def _fast_columns(model, rows, path):
    """The common case: a header, then rows of equal length, every cell a number or empty.

    None sends the file to the reference reader (blank rows, ragged rows, bad cells, …)."""
    if len(rows) < 2 or not rows[0] or not any(c.strip() for c in rows[0]):
        return None
    header = [h.strip() for h in rows[0]]
    if "" in header or len(set(header)) != len(header):
        return None
    width = len(header)
    body = rows[1:]
    if set(map(len, body)) != {width}:
        return None
    n = len(body)
    cols = list(zip(*body))
    named = header[0] == "scenario"
    if named:
        names = [c.strip() for c in cols[0]]
        if not all(names):
            return None
        cols = cols[1:]
        keys = header[1:]
    else:
        names = [f"row{i + 1}" for i in range(n)]
        keys = header
    columns = {}
    present = np.zeros(n, dtype=bool)
    for k, cells in zip(keys, cols):
        arr = _parse_column(cells)
        if arr is None:
            return None
        present |= ~np.isnan(arr)
        columns[k] = arr
    if not named and not present.all():
        return None  # a blank row: the reference reader skips it and numbers the rest
    bad = [k for k in keys if (ind := model.indicators.get(k)) is None or ind.formula is not None]
    if bad:
        used = np.zeros(n, dtype=bool)
        for k in bad:
            used |= ~np.isnan(columns[k])
        if used.any():
            r = int(np.flatnonzero(used)[0])
            first = next(k for k in keys if k in bad and not math.isnan(columns[k][r]))
            check_names(model, {first: float(columns[first][r])}, f"{path}:{r + 2}")
        for k in bad:  # a column that is always empty names nothing
            del columns[k]
    return names, columns, n


def select_batch(model, path: str, sets: tuple[str, ...] = ()) -> tuple[list[str], dict[str, np.ndarray], int]:
    """``kpidsl.data.select(model, (), (path,), sets)`` column-wise: the scenarios of one data file.

    Rows named like an in-file scenario start from its values; rows with the same name are one
    scenario (later cells override, first position kept); ``--set`` values overlay every row.
    """
    names, columns, n = read_csv_columns(path, model)
    overlay = dict(parse_set(s) for s in sets)
    check_names(model, overlay, "--set")
    inner = [nm for nm in dict.fromkeys(names) if nm in model.scenarios]
    if len(set(names)) != n or inner:
        order = list(dict.fromkeys(names))
        pos = {nm: i for i, nm in enumerate(order)}
        m = len(order)
        base = {nm: model.scenario_values(nm) for nm in inner}
        keys = list(dict.fromkeys(list(columns) + [k for vals in base.values() for k in vals]))
        merged = {}
        rows_pos = np.array([pos[nm] for nm in names], dtype=np.int64)
        for k in keys:
            out = np.full(m, NAN)
            for nm, vals in base.items():
                if k in vals:
                    out[pos[nm]] = vals[k]
            col = columns.get(k)
            if col is not None:
                have = ~np.isnan(col)
                idx, vals_k = rows_pos[have].tolist(), col[have].tolist()
                for p, x in zip(idx, vals_k):  # in row order: later rows win
                    out[p] = x
            merged[k] = out
        names, columns, n = order, merged, m
    for k, x in overlay.items():
        columns[k] = np.full(n, float(x))
    return names, columns, n


__all__ = ["evaluate_columns", "read_csv_columns", "select_batch", "BatchResult", "STATUSES", "compiled"]
