"""The Python emitter of a plan: its steps as the source of a Python function, compiled once.

Both Python runtimes (scalar floats and NumPy columns) run the same generated code; they differ only
in the primitives and constants they bind its names to. The code is flat three-address statements
(``r[i]`` for named results, locals for temporaries), so deep formulas cannot hit Python's nesting
limits. Only the plan's register numbers, finite numbers and the fixed names of primitives and
constants reach the source: no text from a model.
"""

from __future__ import annotations

import math
import weakref
from array import array
from typing import Callable, Iterable, Iterator, Sequence

from .plan import CONSTANTS, INLINE, PRIMITIVES, Operand, Plan, Step

_INLINE = {"add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "neg": "-{}", "copy": "{}"}
assert set(_INLINE) == set(INLINE)


def _operand(a, temps: dict[int, int]) -> str:
    if type(a) is int:
        return f"r[{a}]" if a not in temps else f"t{temps[a]}"
    if type(a) is float:
        if math.isfinite(a):
            return f"({a!r})"
        return "NAN" if a != a else "INF" if a > 0 else "(-INF)"
    if a in CONSTANTS:
        return a
    raise TypeError(f"not an operand: {a!r}")


def _lines(steps: Iterable[Step], temps_from: int, result: Operand | None = None) -> list[str]:
    """The statements of one function (then ``return result`` when given, else ``return r``). A
    temporary is a local ``t<k>``, and ``k`` is reused once the temporary before it has been read
    for the last time: a function of thousands of steps has a few dozen locals, not a name for each
    temporary (each a string and a slot in its code)."""
    steps = list(steps)
    last: dict[int, int] = {}  # temporary -> the step that reads it last
    for i, s in enumerate(steps):
        for a in s.args:
            if type(a) is int and a >= temps_from:
                last[a] = i
    if type(result) is int and result >= temps_from:
        last[result] = len(steps)
    temps: dict[int, int] = {}  # live temporary -> its local's number
    free: list[int] = []
    out = []
    for i, s in enumerate(steps):
        args = [_operand(a, temps) for a in s.args]
        for a in s.args:
            if type(a) is int and last.get(a) == i and a in temps:
                free.append(temps.pop(a))
        code = _INLINE[s.op].format(*args) if s.op in _INLINE else f"p_{s.op}({', '.join(args)})"
        if s.op == "fin":
            code = f"p_fin({args[0]}, n)"
        if s.out >= temps_from:
            temps[s.out] = free.pop() if free else len(temps) + len(free)
            target = _operand(s.out, temps)
            if s.out not in last:  # never read: its local is free at once
                free.append(temps.pop(s.out))
        else:
            target = _operand(s.out, temps)
        out.append(f"    {target} = {code}")
    out.append("    return r" if result is None else f"    return {_operand(result, temps)}")
    return out


#: Statements compiled at a time. CPython's compiler holds the syntax tree of all it is given at
#: once (about 5 KB a statement) and takes longer per statement the longer a function is, so a
#: large plan's main steps are split into functions of about this many statements (where no
#: temporary is live), compiled a few at a time.
UNIT = 1000


def _parts(steps: Sequence[Step], temps_from: int, size: int) -> list[range]:
    """The positions of ``steps`` (over ``size`` registers) cut into runs of at least ``UNIT`` steps
    (the last may be shorter), each cut where no temporary written before it is read after it.
    Positions, not steps: the plan's steps are held compactly and made one part at a time."""
    if len(steps) <= UNIT:
        return [range(len(steps))]
    last_read = array("q", bytes(8 * (size - temps_from)))  # per temporary: the last step that reads it (0: none)
    for i, s in enumerate(steps):
        for a in s.args:
            if type(a) is int and a >= temps_from:
                last_read[a - temps_from] = i
    parts, start, reach = [], 0, 0  # reach: the last step that reads a temporary written so far
    for i, s in enumerate(steps):
        if s.out >= temps_from:
            reach = max(reach, last_read[s.out - temps_from] or i)
        if i + 1 - start >= UNIT and reach <= i:
            parts.append(range(start, i + 1))
            start = i + 1
    if start < len(steps):
        parts.append(range(start, len(steps)))
    return parts


def _functions(plan: Plan) -> Iterator[tuple[str, list[str]]]:
    """Each generated function's name and source lines: ``run`` (or ``run_0``, ``run_1``, … when
    the main steps are split), then ``expect_<scenario index>_<line index>``."""
    parts = _parts(plan.steps, plan.temps_from, plan.size)
    for k, part in enumerate(parts):
        name = "run" if len(parts) == 1 else f"run_{k}"
        yield name, [f"def {name}(r, n):", *_lines(plan.steps[part.start:part.stop], plan.temps_from)]
    for i, lines in enumerate(plan.expects.values()):
        for j, (_, steps, result) in enumerate(lines):
            name = f"expect_{i}_{j}"
            yield name, [f"def {name}(r, n):", *_lines(steps, plan.temps_from, result)]


def _units(plan: Plan) -> Iterator[str]:
    """The source of ``plan`` in pieces of about ``UNIT`` lines, each whole functions."""
    unit: list[str] = []
    for _, lines in _functions(plan):
        unit += lines
        if len(unit) >= UNIT:
            yield "\n".join(unit) + "\n"
            unit = []
    if unit:
        yield "\n".join(unit) + "\n"


def source(plan: Plan) -> str:
    """The source of the functions of ``plan``: ``run(r, n)`` (the main steps; ``run_0``, ``run_1``,
    … in order when they are split) and ``expect_<scenario index>_<line index>(r, n)``."""
    return "".join(_units(plan))


class Program:
    """A plan compiled against one runtime's primitives: ``run`` and the expect functions."""

    def __init__(self, plan: Plan, primitives: dict[str, Callable], constants: dict[str, object], label: str):
        missing = set(PRIMITIVES) - set(primitives)
        if missing:
            raise TypeError(f"the {label} runtime lacks primitives: {sorted(missing)}")
        self._plan = weakref.ref(plan)
        namespace: dict[str, object] = {f"p_{k}": f for k, f in primitives.items()}
        namespace.update(constants, INF=math.inf)
        for unit in _units(plan):  # see the module docstring
            exec(compile(unit, f"<kpidsl {label} plan>", "exec"), namespace)
        parts, k = [], 0
        while f"run_{k}" in namespace:
            parts.append(namespace[f"run_{k}"])
            k += 1
        self.run: Callable = _in_turn(parts) if parts else namespace["run"]
        self.expects: dict[str, list[tuple[object, Callable]]] = {
            sc: [(exp, namespace[f"expect_{i}_{j}"]) for j, (exp, _, _) in enumerate(lines)]
            for i, (sc, lines) in enumerate(plan.expects.items())}

    @property
    def source(self) -> str:
        """The generated source (made again from the plan: a large plan's is tens of megabytes)."""
        return source(self._plan())


def _in_turn(parts: list[Callable]) -> Callable:
    """``run(r, n)`` that runs ``parts`` in order."""
    def run(r, n):
        for part in parts:
            part(r, n)
        return r

    return run
