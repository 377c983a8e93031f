"""The Python emitter of a plan: its steps as the source of a Python function, compiled once.

Both Python runtimes (scalar floats and NumPy columns) run the same generated code; they differ only
in the primitives and constants they bind its names to. The code is flat three-address statements
(``r[i]`` for named results, locals for temporaries), so deep formulas cannot hit Python's nesting
limits. Only the plan's register numbers, finite numbers and the fixed names of primitives and
constants reach the source: no text from a model.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

from .plan import CONSTANTS, INLINE, PRIMITIVES, Plan, Step

_INLINE = {"add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "neg": "-{}", "copy": "{}"}
assert set(_INLINE) == set(INLINE)


def _operand(a, temps_from: int) -> str:
    if type(a) is int:
        return f"r[{a}]" if a < temps_from else f"t{a}"
    if type(a) is float:
        if math.isfinite(a):
            return f"({a!r})"
        return "NAN" if a != a else "INF" if a > 0 else "(-INF)"
    if a in CONSTANTS:
        return a
    raise TypeError(f"not an operand: {a!r}")


def _lines(steps: Iterable[Step], temps_from: int) -> list[str]:
    out = []
    for s in steps:
        args = [_operand(a, temps_from) for a in s.args]
        code = _INLINE[s.op].format(*args) if s.op in _INLINE else f"p_{s.op}({', '.join(args)})"
        if s.op == "fin":
            code = f"p_fin({args[0]}, n)"
        out.append(f"    {_operand(s.out, temps_from)} = {code}")
    return out


def source(plan: Plan) -> str:
    """The source of ``run(r, n)`` (the main steps) and ``expect_<scenario index>_<line index>(r, n)``."""
    out = ["def run(r, n):", *_lines(plan.steps, plan.temps_from), "    return r"]
    for i, lines in enumerate(plan.expects.values()):
        for j, (_, steps, result) in enumerate(lines):
            out += [f"def expect_{i}_{j}(r, n):", *_lines(steps, plan.temps_from),
                    f"    return {_operand(result, plan.temps_from)}"]
    return "\n".join(out) + "\n"


class Program:
    """A plan compiled against one runtime's primitives: ``run`` and the expect functions."""

    def __init__(self, plan: Plan, primitives: dict[str, Callable], constants: dict[str, object], label: str):
        missing = set(PRIMITIVES) - set(primitives)
        if missing:
            raise TypeError(f"the {label} runtime lacks primitives: {sorted(missing)}")
        self.source = source(plan)
        namespace: dict[str, object] = {f"p_{k}": f for k, f in primitives.items()}
        namespace.update(constants, INF=math.inf)
        exec(compile(self.source, f"<kpidsl {label} plan>", "exec"), namespace)  # see the module docstring
        self.run: Callable = namespace["run"]
        self.expects: dict[str, list[tuple[object, Callable]]] = {
            sc: [(exp, namespace[f"expect_{i}_{j}"]) for j, (exp, _, _) in enumerate(lines)]
            for i, (sc, lines) in enumerate(plan.expects.items())}
