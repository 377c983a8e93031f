"""Running a plan's steps one by one gives what its compiled code gives."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import kpidsl
from kpidsl.evaluation import pycode, scalar, stepper
from kpidsl.evaluation.plan import plan_of

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.kpi"))
#: Formulas whose steps take every primitive and inline operator, numbers that are not finite, and
#: named constants among their operands.
EDGES = """model "E" { owner: "o"  period: monthly }
input x { }
input y { }
metric m1 { value: if(x > y and not (x == 0), min(x, y, 1e308 * 10), max(abs(x), -y)) }
metric m2 { value: sum(x, y) / avg(x, y) + round(x / 3, 2) - y ^ 0.5 }
metric m3 { value: if(x != y or x <= 1, (x - y) * 2, -x) }
kgi g { value: m1 + m2 + m3  baseline: 10  target: >= 90  stretch: 150  cap: 150% }
  kpi k1 { parent: g  value: x  target: 0 .. 100  weight: 50% }
  kpi k2 { parent: g  value: y  target: <= 5  weight: 50% }
  veto v { parent: g  value: x  target: <= 1000 }
scenario s { x: 3  y: 4  expect g.met  expect m1 > 0  expect if(x < y, g.met, not g.met) or x < 1 }
scenario t { x: 0  y: -2  expect g.score >= 10%  expect not k2.met }
scenario u { x: 5000 }
"""


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _cases():
    for path in EXAMPLES:
        yield path.stem, kpidsl.load(path)
    yield "edges", kpidsl.load_text(EDGES)


@pytest.mark.parametrize("name, model", list(_cases()), ids=lambda v: v if isinstance(v, str) else "")
def test_steps_run_one_by_one_give_what_the_compiled_code_gives(name, model):
    plan = plan_of(model)
    compiled = pycode.Program(plan, scalar.PRIMITIVES, scalar.CONSTANTS, "scalar")
    stepped = stepper.Adaptive(plan, scalar.PRIMITIVES, scalar.CONSTANTS, "scalar")
    for sc in model.scenarios:
        values = model.scenario_values(sc)
        regs = []
        for prog in (compiled, stepped):
            r = [math.nan] * plan.temps_from
            n = len(plan.slots)
            r[n:2 * n] = [None] * n
            for key, x in values.items():
                r[plan.slots[key]] = float(x)
            prog.run(r, None)
            regs.append((r, [f(list(r), None) for _, f in prog.expects.get(sc, [])]))
        (r1, e1), (r2, e2) = regs
        assert all(_same(a, b) for a, b in zip(r1, r2)) and len(r1) == len(r2), sc
        assert all(_same(a, b) for a, b in zip(e1, e2)) and len(e1) == len(e2), sc


def test_a_plan_run_often_is_compiled_and_gives_the_same(monkeypatch):
    monkeypatch.setattr(stepper, "COMPILE_AFTER", 2)
    model = kpidsl.load_text(EDGES)
    plan = plan_of(model)
    prog = stepper.Adaptive(plan, scalar.PRIMITIVES, scalar.CONSTANTS, "scalar")
    outs = []
    for _ in range(4):
        r = [math.nan] * plan.temps_from
        r[plan.slots["x"]], r[plan.slots["y"]] = 3.0, 4.0
        outs.append(prog.run(r, None))
    assert prog._compiled is not None
    assert all(_same(a, b) for a, b in zip(outs[0], outs[-1]))


@pytest.mark.parametrize("file_size, compiles", [(None, True), (10 ** 9, True), (1, False)])
def test_a_plan_whose_code_would_outweigh_its_file_is_never_compiled(monkeypatch, file_size, compiles):
    monkeypatch.setattr(stepper, "COMPILE_AFTER", 2)
    model = kpidsl.load_text(EDGES)
    plan = plan_of(model)
    prog = stepper.Adaptive(plan, scalar.PRIMITIVES, scalar.CONSTANTS, "scalar", file_size)
    outs = []
    for _ in range(6):
        r = [math.nan] * plan.temps_from
        r[plan.slots["x"]], r[plan.slots["y"]] = 3.0, 4.0
        outs.append(prog.run(r, None))
    assert prog.compiles is compiles and (prog._compiled is not None) is compiles
    assert all(_same(a, b) for a, b in zip(outs[0], outs[-1]))
