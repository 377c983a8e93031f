"""The evaluation program: formulas compiled once per model into generated Python.

Code is generated only from the checked graph: every name becomes a slot number, every literal a
float, every operator and function one of a fixed table of helpers. No text from the file reaches
the generated source. Unknown numbers are NaN; unknown conditions are None (three-valued logic).
The code is flat three-address statements, so deep formulas cannot hit Python's nesting limits.
"""

from __future__ import annotations

import math
from typing import Callable

import attrs

from ..parsing import syntax
from .scoring import tolerance as _tol

NAN = math.nan


def _fin(x):
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


def _abs(x):
    return abs(x)


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


def _if(c, a, b, unknown):
    return a if c is True else b if c is False else unknown


HELPERS = {f.__name__: f for f in (_fin, _div, _pow, _ge, _le, _gt, _lt, _eq, _ne, _not, _and, _or,
                                     _min, _max, _sum, _avg, _abs, _round, _clamp, _if)}
HELPERS["_nan"] = NAN
_ARITH = {"+": "{} + {}", "-": "{} - {}", "*": "{} * {}", "/": "_div({}, {})", "^": "_pow({}, {})"}
_CMP = {">=": "_ge", "<=": "_le", ">": "_gt", "<": "_lt", "==": "_eq", "!=": "_ne"}
_FUNCS = {"min": "_min", "max": "_max", "sum": "_sum", "avg": "_avg", "abs": "_abs", "round": "_round",
          "clamp": "_clamp"}


class _Emitter:
    """Turns one checked expression into flat statements over slots ``v``, ``s``, ``a``, ``m``."""

    def __init__(self, slots: dict[str, int]):
        self.slots = slots
        self.lines: list[str] = []
        self.n = 0

    def temp(self, code: str) -> str:
        name = f"t{self.n}"
        self.n += 1
        self.lines.append(f"    {name} = {code}")
        return name

    def emit(self, node) -> str:
        t = type(node)
        if t is syntax.Number:
            return f"({float(node.value)!r})"
        if t is syntax.Boolean:
            return "True" if node.value else "False"
        if t is syntax.Ref:
            return f"v[{int(self.slots[node.name.text])}]"
        if t is syntax.Attribute:
            arr = {"score": "s", "achievement": "a", "met": "m"}[node.name.text]
            return f"{arr}[{int(self.slots[node.target.name.text])}]"
        if t is syntax.Neg:
            return self.temp(f"-{self.emit(node.operand)}")
        if t is syntax.Binary:
            left, right = self.emit(node.left), self.emit(node.right)
            return self.temp(_ARITH[node.op].format(left, right))
        if t is syntax.Compare:
            left, right = self.emit(node.left), self.emit(node.right)
            return self.temp(f"{_CMP[node.op]}({left}, {right})")
        if t is syntax.NotOp:
            return self.temp(f"_not({self.emit(node.operand)})")
        if t is syntax.AndOp or t is syntax.OrOp:
            left, right = self.emit(node.left), self.emit(node.right)
            return self.temp(f"{'_and' if t is syntax.AndOp else '_or'}({left}, {right})")
        if t is syntax.Call:
            args = [self.emit(a) for a in node.args.items]
            if node.func.text == "if":
                unknown = "None" if _is_condition(node.args.items[1]) else "_nan"
                return self.temp(f"_if({args[0]}, {args[1]}, {args[2]}, {unknown})")
            return self.temp(f"{_FUNCS[node.func.text]}({', '.join(args)})")
        raise TypeError(f"cannot compile {t.__name__}")


def _is_condition(node) -> bool:
    t = type(node)
    if t is syntax.Call and node.func.text == "if":
        return _is_condition(node.args.items[1])
    return t in (syntax.Boolean, syntax.Compare, syntax.NotOp, syntax.AndOp, syntax.OrOp) or (
        t is syntax.Attribute and node.name.text == "met")


@attrs.frozen
class Program:
    """The compiled evaluation of one model."""

    slots: dict[str, int]
    values: Callable[[list], list]
    expects: dict[str, list[tuple[syntax.Expect, Callable]]]
    needed: tuple[str, ...]
    source: str


def build(model) -> Program:
    """Generate and compile the program of a model that has no error findings."""
    slots = {name: i for i, name in enumerate(model.indicators)}
    out = ["def _values(v):"]
    for name in model.formula_order:
        em = _Emitter(slots)
        result = em.emit(model.indicators[name].formula)
        out += em.lines
        out.append(f"    v[{slots[name]}] = _fin({result})")
    out.append("    return v")
    expect_names: dict[str, list[tuple[syntax.Expect, str]]] = {}
    k = 0
    for sc in model.scenarios.values():
        for exp in sc.expects:
            em = _Emitter(slots)
            result = em.emit(exp.condition)
            fname = f"_expect{k}"
            k += 1
            out.append(f"def {fname}(v, s, a, m):")
            out += em.lines
            out.append(f"    return {result}")
            expect_names.setdefault(sc.name, []).append((exp, fname))
    source = "\n".join(out) + "\n"
    namespace = dict(HELPERS)
    exec(compile(source, "<kpidsl program>", "exec"), namespace)  # generated from the checked graph only
    expects = {sc: [(e, namespace[f]) for e, f in items] for sc, items in expect_names.items()}
    read = set().union(*model.uses.values()) if model.uses else set()
    needed = tuple(n for n, ind in model.indicators.items()
                   if ind.formula is None and ind.kind != "metric"
                   and (n in read or (ind.target is not None and ind.kind != "input")))
    return Program(slots, namespace["_values"], expects, needed, source)
