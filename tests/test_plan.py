"""The evaluation plan: one meaning, lowered once, run by runtimes with the same primitives."""

from __future__ import annotations

import math

import pytest

import kpidsl
from kpidsl.evaluation import plan as plan_mod
from kpidsl.evaluation import pycode, scalar
from kpidsl.evaluation.plan import INLINE, PRIMITIVES, plan_of

np = pytest.importorskip("numpy")
from kpidsl.evaluation import arrays  # noqa: E402

RUNTIMES = {"scalar": scalar, "arrays": arrays}
try:
    from kpidsl.evaluation import sqlplan
except ImportError:  # sqlglot is not installed
    pass
else:
    RUNTIMES["sql"] = sqlplan


@pytest.mark.parametrize("name", RUNTIMES)
def test_every_runtime_implements_exactly_the_plan_primitives(name):
    runtime = RUNTIMES[name]
    assert set(runtime.PRIMITIVES) == set(PRIMITIVES)
    assert set(runtime.CONSTANTS) == set(plan_mod.CONSTANTS)
    assert all(callable(f) for f in runtime.PRIMITIVES.values())


def test_a_runtime_missing_a_primitive_is_refused():
    model = kpidsl.load_text("input x { }\nkgi g { value: x  target: >= 1 }\n")
    partial = dict(scalar.PRIMITIVES)
    del partial["pick"]
    with pytest.raises(TypeError, match="pick"):
        pycode.Program(plan_of(model), partial, scalar.CONSTANTS, "partial")


@pytest.mark.parametrize("path", sorted((pytest.importorskip("pathlib").Path(__file__).parent.parent
                                         / "examples").glob("*.kpi")), ids=lambda p: p.stem)
def test_plans_use_only_primitives_and_inline_operators(path):
    plan = plan_of(kpidsl.load(path))
    steps = list(plan.steps) + [s for lines in plan.expects.values() for _, ss, _ in lines for s in ss]
    assert {s.op for s in steps} <= set(PRIMITIVES) | set(INLINE)
    written = [s.out for s in steps if s.out >= plan.temps_from]
    assert len(written) == len(set(written)), "a temporary is written once"
    model = kpidsl.load(path)
    assert plan_of(model) is plan_of(model)  # built once per model


def test_scoring_lives_in_the_plan_not_in_the_runtimes():
    """Changing a level in the model changes the plan; the runtimes hold no scoring of their own."""
    text = "input x { }\nkgi g { value: x  baseline: 50  target: >= 100  stretch: 150 }\n"
    model = kpidsl.load_text(text)
    for x, want in ((75.0, 0.5), (125.0, 1.1), (200.0, 1.2), (10.0, 0.0)):
        ev = scalar.evaluate(model, {"x": x})
        batch = arrays.evaluate_columns(model, {"x": np.array([x])}, 1)
        assert ev["g"].score == pytest.approx(want) and batch.score["g"][0] == ev["g"].score


def test_deep_parent_chain_evaluates_in_both_runtimes():
    depth = 3000
    lines = ["input x { }", "kgi k0 { value: x  target: >= 1 }"]
    lines += [f"kpi k{i} {{ parent: k{i - 1}  value: x  target: >= 1 }}" for i in range(1, depth)]
    model = kpidsl.load_text("\n".join(lines) + "\n")
    assert model.evaluable
    ev = scalar.evaluate(model, {"x": 0.5})
    assert ev[f"k{depth - 1}"].score == 0.5 and ev["k0"].score == 0.5
    batch = arrays.evaluate_columns(model, {"x": np.array([0.5, math.nan])}, 2)
    assert batch.score["k0"][0] == 0.5 and math.isnan(batch.score["k0"][1])
