"""Running a plan's steps one by one, as the code ``kpidsl.evaluation.pycode`` generates from them would.

Compiling the generated code of a plan costs about as much as twenty runs of its steps read one by
one, and the compiled code takes more memory than the steps it comes from (a dense model's, about
fifteen times the size of its file). A process that runs a plan a few times (``kpi eval`` of a
few scenarios, ``kpi test``) is faster without it, and lighter: ``Adaptive`` runs the steps
themselves until a plan has been run ``COMPILE_AFTER`` times, and compiles its code then.

``run_steps`` gives each operand and each primitive exactly what the generated code gives it: a
register's value, a number (a non-finite one as the runtime's ``NAN`` or infinity), or the
runtime's value of a named constant; ``fin`` is also given ``n``. So both give the same results.
"""

from __future__ import annotations

import math
import operator
import weakref
from array import array
from typing import Callable, Iterable

from .plan import CONSTANTS, PRIMITIVES, Operand, Plan
from .pycode import Program, source

#: Runs of a plan after which ``Adaptive`` compiles its code: compiling costs about five runs of the
#: steps one by one, and a compiled run about a tenth of one, so a plan run many times costs at most
#: about twice what it would compiled at once.
COMPILE_AFTER = 8
#: What compiled code takes, about, per step (bytes), and the most it may take per byte of the model's
#: file: a plan whose code would take more (a file dense with formulas, where steps come every few
#: bytes) is never compiled and runs its steps however often it runs, so that evaluating many
#: scenarios stays within the memory of ``docs/robustness.md``. Real models, with their labels,
#: owners and comments, are well within it.
CODE_PER_STEP = 60
CODE_PER_FILE_BYTE = 6

_INLINE = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "neg": operator.neg,
           "copy": lambda a: a}


def last_reads(steps: Iterable, temps_from: int, size: int) -> array:
    """Per temporary register (``temps_from`` .. ``size - 1``), the position of the step that reads it
    last (-1: none), so that ``run_steps`` holds only the temporaries still to be read."""
    last = array("i", [-1]) * (size - temps_from)
    for i, (_, _, args) in enumerate(steps):
        for a in args:
            if type(a) is int and a >= temps_from:
                last[a - temps_from] = i
    return last


def run_steps(steps: Iterable, temps_from: int, r: list, n, functions: dict[str, Callable],
              constants: dict[str, object], result: Operand | None = None, last: array | None = None):
    """Run ``steps`` over the registers ``r`` (temporaries held aside, each until ``last`` says it
    has been read for the last time, when given); ``r``, or ``result``'s value when given (as
    ``return r`` and ``return result`` of the generated code)."""
    temps: dict[int, object] = {}
    nan = constants["NAN"]

    def value(a):
        t = type(a)
        if t is int:
            return r[a] if a < temps_from else temps[a]
        if t is float:
            return a if math.isfinite(a) or a == a else nan
        if a in CONSTANTS:
            return constants[a]
        raise TypeError(f"not an operand: {a!r}")

    for i, (op, out, args) in enumerate(steps):
        got = functions[op](*map(value, args), n) if op == "fin" else functions[op](*map(value, args))
        if last is not None:
            for a in args:
                if type(a) is int and a >= temps_from and last[a - temps_from] == i:
                    temps.pop(a, None)
        if out < temps_from:
            r[out] = got
        elif last is None or last[out - temps_from] >= 0:
            temps[out] = got
    return r if result is None else value(result)


class Adaptive:
    """A plan for one runtime's primitives, as ``pycode.Program`` gives it (``run(r, n)`` and the
    expect functions per scenario), that runs its steps one by one until it has been run
    ``COMPILE_AFTER`` times, and from then on runs the compiled ``Program``."""

    def __init__(self, plan: Plan, primitives: dict[str, Callable], constants: dict[str, object], label: str,
                 file_size: int | None = None):
        missing = set(PRIMITIVES) - set(primitives)
        if missing:
            raise TypeError(f"the {label} runtime lacks primitives: {sorted(missing)}")
        self._plan = weakref.ref(plan)  # the programs of a plan are kept as long as the plan
        #: Whether it compiles after ``COMPILE_AFTER`` runs: its code fits the memory a file of
        #: ``file_size`` bytes may take (None: always).
        self.compiles = file_size is None or len(plan.steps) * CODE_PER_STEP <= CODE_PER_FILE_BYTE * file_size
        self._args = primitives, constants, label
        self._functions = {**_INLINE, **primitives}
        self._runs = 0
        self._compiled: Program | None = None
        self._last: array | None = None  # last_reads of the main steps, made on the first run
        self.expects: dict[str, list[tuple[object, Callable]]] = {
            sc: [(exp, self._expect(steps, result)) for exp, steps, result in lines]
            for sc, lines in plan.expects.items()}

    def _expect(self, steps, result) -> Callable:
        return lambda r, n: run_steps(steps, self._plan().temps_from, r, n, self._functions, self._args[1], result)

    @property
    def source(self) -> str:
        """The source of the code it compiles (``pycode.source``)."""
        return source(self._plan())

    def run(self, r: list, n) -> list:
        """Run the main steps over ``r``."""
        if self._compiled is not None:
            return self._compiled.run(r, n)
        self._runs += 1
        plan = self._plan()
        if self._runs > COMPILE_AFTER and self.compiles:
            self._compiled, self._last = Program(plan, *self._args), None
            return self._compiled.run(r, n)
        if self._last is None:
            self._last = last_reads(plan.steps, plan.temps_from, plan.size)
        return run_steps(plan.steps, plan.temps_from, r, n, self._functions, self._args[1], last=self._last)
