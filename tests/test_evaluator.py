"""Evaluation (docs/scoring.md): values, roll-up, veto, unknowns, functions, scenarios, missing values, drags."""

from __future__ import annotations

import math

import pytest

import kpidsl

from helpers import ECOMMERCE, MODEL_HEADER, load, run

TREE = MODEL_HEADER + """input x {}
kgi g {
  kpi a { weight: 60%  target: >= 100 }
  kpi b { weight: 40%  target: <= 10 }
}
"""


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-12)


def value_of(formula: str, **inputs) -> float | None:
    """The value of a metric with ``formula`` over inputs named in ``inputs``."""
    decls = "".join(f"input {n} {{}}\n" for n in inputs)
    ev = run(decls + f"metric m {{ value: {formula} }}", {k: float(v) for k, v in inputs.items()})
    return ev["m"].value


# ---------------------------------------------------------------------------------------------
# The worked example of docs/scoring.md §8


@pytest.fixture(scope="module")
def q3():
    model = load(ECOMMERCE)
    return kpidsl.evaluate(model, model.scenario_values("q3"), name="q3", expects="q3")


@pytest.mark.parametrize("name, value, achievement, score, status", [
    ("monthly_sales", 7_935_000, 0.703008, 0.703008, "red"),
    ("cart_abandonment", 0.23, 0.869565, 0.869565, "amber"),
    ("repeat_rate", 0.71, 0.946667, 0.869565, "amber"),
    ("new_customers", 214, 1, 1, "green"),
    ("annual_sales", 95_220_000, 0.9522, 0.835551, "amber"),
])
def test_worked_example(q3, name, value, achievement, score, status):
    r = q3[name]
    assert r.value == pytest.approx(value)
    assert r.achievement == pytest.approx(achievement, abs=5e-7)
    assert r.score == pytest.approx(score, abs=5e-7)
    assert r.status == status


def test_worked_example_veto_and_met(q3):
    assert q3["compliance"].status == "pass" and q3["compliance"].met is True
    assert q3["annual_sales"].met is False
    assert q3["new_customers"].met is True
    assert q3["orders"].status is None and q3["orders"].score is None and q3["orders"].value == 1150


def test_worked_example_drags_largest_first(q3):
    names = [n for n, _ in q3.drags]
    assert names == ["monthly_sales", "repeat_rate", "cart_abandonment"]
    assert [round(d, 6) for _, d in q3.drags] == [0.118797, 0.045652, 0.045652]
    assert q3.missing == ()
    assert q3.name == "q3"


def test_results_come_in_tree_order(q3):
    assert list(q3.results) == ["annual_sales", "monthly_sales", "repeat_rate", "cart_abandonment",
                                "new_customers", "compliance", "orders", "avg_order_value", "violations"]


def test_q3_push_expects_pass():
    ev = run(ECOMMERCE, scenario="q3_push")
    assert ev["annual_sales"].score == approx(0.4 * (1 + 0.2 * (8_970_000 - 8_330_000) / 1_170_000)
                                              + 0.35 * 0.2 / 0.23 + 0.25)
    assert round(ev["annual_sales"].score, 6) == 0.998109
    assert ev["annual_sales"].status == "amber" and ev["annual_sales"].met is True
    assert [e.passed for e in ev.expects] == [True, True]


# ---------------------------------------------------------------------------------------------
# Roll-up


def test_weighted_roll_up():
    ev = run(TREE, {"a": 50, "b": 10})
    assert ev["a"].score == approx(0.5)
    assert ev["b"].score == 1.0
    assert ev["g"].score == approx(0.6 * 0.5 + 0.4 * 1.0)
    assert ev["g"].status == "red"
    assert ev["g"].value is None and ev["g"].achievement is None and ev["g"].met is None


def test_roll_up_status_bands():
    assert run(TREE, {"a": 80, "b": 10})["g"].status == "amber"    # 0.88
    assert run(TREE, {"a": 100, "b": 20})["g"].status == "amber"   # 0.8
    assert run(TREE, {"a": 100, "b": 10})["g"].status == "green"   # 1.0
    assert run(TREE, {"a": 100, "b": 40})["g"].status == "red"     # 0.7


def test_implicit_equal_weights_roll_up():
    src = """kgi g {
  kpi a { target: >= 100 }
  kpi b { target: >= 100 }
  kpi c { target: >= 100 }
  kpi d { target: >= 100 }
}"""
    ev = run(src, {"a": 100, "b": 50, "c": 0, "d": 100})
    assert ev["g"].score == approx(2.5 / 4)


def test_nested_roll_up_and_path_weights_in_drags():
    src = """kgi g {
  target: >= 1
  value: 1
  kpi a { weight: 50%
    kpi a1 { weight: 20%  target: >= 100 }
    kpi a2 { weight: 80%  target: >= 100 }
  }
  kpi b { weight: 50%  target: >= 100 }
}"""
    ev = run(src, {"a1": 0, "a2": 50, "b": 90})
    assert ev["a"].score == approx(0.4)
    assert ev["a"].achievement is None          # no target of its own
    assert ev["g"].score == approx(0.5 * 0.4 + 0.5 * 0.9)
    assert ev["g"].achievement == 1.0 and ev["g"].met is True
    drags = dict(ev.drags)
    assert drags["a"] == approx(0.5 * 0.6)
    assert drags["a2"] == approx(0.5 * 0.8 * 0.5)
    assert drags["a1"] == approx(0.5 * 0.2 * 1.0)
    assert drags["b"] == approx(0.05)
    assert [n for n, _ in ev.drags] == ["a", "a2", "a1", "b"]


def test_stretch_scores_above_one_and_roll_up_uses_cap():
    src = 'model "m" { cap: 150% }\nkgi g {\n  kpi a { target: >= 100  stretch: 200 }\n}'
    ev = run(src, {"a": 300})
    assert ev["a"].score == 1.5 and ev["g"].score == 1.5 and ev["g"].status == "green"


def test_model_status_bands():
    src = 'model "m" { green: 90%  amber: 50% }\nkgi g { target: >= 100 }'
    assert run(src, {"g": 95})["g"].status == "green"
    assert run(src, {"g": 89})["g"].status == "amber"
    assert run(src, {"g": 49})["g"].status == "red"


def test_metric_is_scored_but_not_rolled_up():
    src = TREE + "metric m { value: x  target: >= 10 }"
    ev = run(src, {"a": 100, "b": 10, "x": 5})
    assert ev["m"].score == 0.5 and ev["m"].status == "red" and ev["m"].met is False
    assert ev["g"].score == 1.0


def test_indicator_without_target_or_children_has_no_status():
    src = "input x {}\nmetric m { value: x * 2 }\nkgi g { kpi k { value: x } }"
    ev = run(src, {"x": 3})
    assert ev["m"].value == 6 and ev["m"].status is None and ev["m"].score is None
    assert ev["k"].status is None
    assert ev["x"].status is None


# ---------------------------------------------------------------------------------------------
# Veto


VETO = """input v {}
kgi g {
  kpi a { target: >= 100 }
  veto safe { value: v  target: == 0 }
}
"""


def test_veto_pass():
    ev = run(VETO, {"a": 100, "v": 0})
    assert ev["safe"].status == "pass" and ev["safe"].met is True
    assert ev["g"].score == 1.0 and ev["g"].status == "green"


def test_veto_fail_zeroes_the_parent():
    ev = run(VETO, {"a": 120, "v": 1})
    assert ev["safe"].status == "fail" and ev["safe"].met is False
    assert ev["g"].score == 0.0 and ev["g"].status == "vetoed"
    assert ev["a"].score == 1.0 and ev["a"].status == "green"   # the drivers keep their scores


def test_veto_no_data_makes_the_parent_unknown():
    ev = run(VETO, {"a": 120}, allow_missing=True)
    assert ev["safe"].status == "no-data" and ev["safe"].met is None
    assert ev["g"].score is None and ev["g"].status == "no-data"
    assert ev.missing == ("v",)


def test_failing_veto_outweighs_unknown_children():
    ev = run(VETO, {"v": 2}, allow_missing=True)
    assert ev["a"].status == "no-data"
    assert ev["g"].score == 0.0 and ev["g"].status == "vetoed"


def test_veto_under_a_kpi_zeroes_that_kpi_only():
    src = """input v {}
kgi g {
  kpi a { weight: 50%  target: >= 1
    veto gate { value: v  target: <= 0 }
  }
  kpi b { weight: 50%  target: >= 1 }
}"""
    ev = run(src, {"a": 1, "b": 1, "v": 3})
    assert ev["a"].status == "vetoed" and ev["a"].score == 0.0 and ev["a"].met is True
    assert ev["g"].score == 0.5 and ev["g"].status == "red"


def test_veto_with_a_band_target():
    src = "kgi g {\n  kpi a { target: >= 1 }\n  veto range { target: 10 .. 20 }\n}"
    assert run(src, {"a": 1, "range": 15})["g"].status == "green"
    assert run(src, {"a": 1, "range": 25})["g"].status == "vetoed"


# ---------------------------------------------------------------------------------------------
# Unknown values


def test_unknown_child_makes_the_parent_unknown():
    ev = run(TREE, {"a": 100}, allow_missing=True)
    assert ev["b"].value is None and ev["b"].score is None and ev["b"].status == "no-data"
    assert ev["a"].score == 1.0
    assert ev["g"].score is None and ev["g"].status == "no-data"
    assert ev.missing == ("b",)


def test_unknown_propagates_through_formulas():
    src = "input x {}\ninput y {}\nmetric m { value: x + y  target: >= 1 }\nmetric n { value: m * 2 }"
    ev = run(src, {"x": 1}, allow_missing=True)
    assert ev["m"].value is None and ev["m"].status == "no-data" and ev["m"].met is None
    assert ev["n"].value is None


@pytest.mark.parametrize("formula", ["x / 0", "x / (x - x)", "0 / 0", "x ^ 10000", "1e308 * 10",
                                     "(-8) ^ 0.5", "0 ^ -1", "1e308 + 1e308", "x / y"])
def test_division_by_zero_and_non_finite_are_unknown(formula):
    src = f"input x {{}}\ninput y {{}}\nmetric m {{ value: {formula}  target: >= 1 }}\nmetric n {{ value: m + 1 }}"
    ev = run(src, {"x": 5, "y": 0})
    assert ev["m"].value is None
    assert ev["m"].score is None and ev["m"].status == "no-data"
    assert ev["n"].value is None


def test_unknown_in_a_kpi_value_formula_propagates_up():
    src = "input x {}\nkgi g {\n  kpi a { value: 100 / x  target: >= 1 }\n  kpi b { target: >= 1 }\n}"
    ev = run(src, {"x": 0, "b": 5})
    assert ev["a"].status == "no-data" and ev["g"].status == "no-data"
    assert all(n != "a" for n, _ in ev.drags)


# ---------------------------------------------------------------------------------------------
# Expressions


@pytest.mark.parametrize("formula, expected", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("2 ^ 3 ^ 2", 512), ("-2 ^ 2", -4),
    ("(-2) ^ 2", 4), ("8 / 4 / 2", 1), ("2 ^ -1", 0.5), ("1.1亿 / 1万", 11000), ("35% * 100", 35),
    ("min(3, 1, 2)", 1), ("max(3, 1, 2)", 3), ("min(-1)", -1), ("sum(1, 2, 3.5)", 6.5), ("avg(1, 2, 6)", 3),
    ("abs(-2.5)", 2.5), ("abs(2)", 2), ("round(2.567, 2)", 2.57), ("round(2.4)", 2), ("round(-2.6)", -3),
    ("round(1234.5, -2)", 1200), ("round(2.5)", 3), ("round(-2.5)", -3), ("clamp(5, 0, 3)", 3), ("clamp(-5, 0, 3)", 0), ("clamp(2, 0, 3)", 2),
    ("if(true, 1, 2)", 1), ("if(false, 1, 2)", 2), ("if(1 < 2 and not 3 < 2, 10, 20)", 10),
    ("if(1 > 2 or 2 > 3, 10, 20)", 20), ("if(1 == 1, 1, 0) + if(1 != 1, 1, 0)", 1),
    ("if(0.1 + 0.2 == 0.3, 1, 0)", 1), ("if(0.1 + 0.2 <= 0.3, 1, 0)", 1), ("if(0.3 < 0.1 + 0.2, 1, 0)", 0),
    ("if(0.1 + 0.2 > 0.3, 1, 0)", 0), ("if(1 < 2, 1, 0)", 1), ("if(2 > 1, 1, 0)", 1),
])
def test_formula_values(formula, expected):
    assert value_of(formula) == approx(expected)


def test_formula_reads_inputs_and_other_indicators():
    src = "input x {}\nmetric m { value: x * 2 }\nmetric n { value: m + x }\nkgi g { value: n / 3  target: >= 1 }"
    ev = run(src, {"x": 4})
    assert (ev["m"].value, ev["n"].value, ev["g"].value) == (8, 12, 4)


def test_formulas_declared_before_their_dependencies():
    src = "metric n { value: m + 1 }\nmetric m { value: x * 2 }\ninput x {}"
    assert run(src, {"x": 4})["n"].value == 9


def test_if_picks_a_branch_and_ignores_the_other():
    assert value_of("if(x > 0, 10 / x, 0)", x=0) == 0
    assert value_of("if(x > 0, 10 / x, 0)", x=5) == 2
    assert value_of("if(x == 0, 1, 1 / x)", x=0) == 1


def test_if_with_unknown_condition_is_unknown():
    assert value_of("if(1 / x > 0, 1, 2)", x=0) is None


# ---------------------------------------------------------------------------------------------
# Scenarios, extends and expect


SCEN = """input x {}
input y {}
kgi g {
  value: x + y
  target: >= 10
  owner: "o"
}
scenario base {
  x: 1
  y: 2
  expect g < 0
}
scenario child extends base {
  y: 20
  expect g.met and g.score >= 100% and g > 20
}
scenario grandchild extends child {
  x: 5
}
"""


def test_extends_inherits_values_and_overrides():
    model = load(SCEN)
    assert model.scenario_values("base") == {"x": 1, "y": 2}
    assert model.scenario_values("child") == {"x": 1, "y": 20}
    assert model.scenario_values("grandchild") == {"x": 5, "y": 20}


def test_expects_belong_to_their_own_scenario():
    base = run(SCEN, scenario="base")
    child = run(SCEN, scenario="child")
    grand = run(SCEN, scenario="grandchild")
    assert [e.passed for e in base.expects] == [False]
    assert [e.passed for e in child.expects] == [True]
    assert grand.expects == ()  # not inherited through extends
    assert grand["g"].value == 25


def test_expect_with_unknown_value_does_not_pass():
    src = "input x {}\nmetric m { value: 1 / x }\nscenario s {\n  x: 0\n  expect m > 0\n  expect not (m > 0)\n}"
    ev = run(src, scenario="s")
    assert [e.passed for e in ev.expects] == [None, None]


def test_expect_booleans():
    src = """kgi g { target: >= 10 }
scenario s {
  g: 5
  expect not g.met
  expect g.met or g.achievement == 50%
  expect true
  expect not false and g.score < 1
  expect g.achievement >= 0.5 and g.achievement <= 0.5
  expect g.met == false
  expect g.met
}"""
    ev = run(src, scenario="s")
    assert [e.passed for e in ev.expects] == [True, True, True, True, True, True, False]


# ---------------------------------------------------------------------------------------------
# Missing and bad values


def test_missing_values_name_each_name():
    model = load(TREE + "metric m { value: x }")
    with pytest.raises(kpidsl.MissingValues) as info:
        kpidsl.evaluate(model, {"a": 1}, name="s1")
    err = info.value
    assert set(err.names) == {"b", "x"}
    assert "b" in str(err) and "x" in str(err) and "s1" in str(err)
    assert isinstance(err, kpidsl.KpiError)


def test_unused_input_is_not_missing():
    ev = run(TREE, {"a": 100, "b": 5})   # x is read by nothing
    assert ev.missing == () and ev["x"].value is None


def test_allow_missing_lists_them_and_evaluates_unknown():
    ev = run(TREE + "metric m { value: x + 1 }", {"a": 100}, allow_missing=True)
    assert set(ev.missing) == {"b", "x"}
    assert ev["m"].value is None and ev["b"].value is None and ev["a"].score == 1.0


@pytest.mark.parametrize("values", [{"nosuch": 1}, {"m": 1}])
def test_assigning_an_unknown_or_computed_name_is_an_error(values):
    model = load("input x {}\nmetric m { value: x }")
    with pytest.raises(kpidsl.KpiError):
        kpidsl.evaluate(model, {"x": 1, **values})


def test_values_are_taken_as_floats():
    ev = run("kgi g { target: >= 3 }", {"g": 3})
    assert ev["g"].value == 3.0 and isinstance(ev["g"].value, float)


def test_evaluation_name_and_indexing():
    model = load(TREE)
    ev = kpidsl.evaluate(model, {"a": 1, "b": 1}, name="plan")
    assert ev.name == "plan"
    assert ev["a"] == ev.results["a"]
    with pytest.raises(KeyError):
        ev["nope"]


def test_nan_value_is_unknown():
    ev = run(TREE, {"a": math.nan, "b": 1})
    assert ev["a"].status == "no-data" and ev["g"].status == "no-data"
