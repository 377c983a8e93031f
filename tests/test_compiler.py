"""Compiler tests: every compile finding (E003–E503, docs/rules.md), where it starts, and its near miss."""

from __future__ import annotations

import pytest

import kpidsl

from helpers import ECOMMERCE, MODEL_HEADER, error_cols, errors, load, messages

# A small valid tree: every finding test below changes one thing in it.
TREE = """kgi g {
  target: >= 100
  kpi a { weight: 60%  target: >= 1 }
  kpi b { weight: 40%  target: >= 1 }
}
"""


def error_codes(src: str) -> set[str]:
    return {c for c, _ in errors(src)}


def test_base_tree_and_spec_example_have_no_errors():
    assert errors(TREE) == []
    assert errors(ECOMMERCE) == []
    assert errors(MODEL_HEADER + TREE) == []


def test_check_returns_the_model_findings_sorted():
    src = "input x {}\nmetric m { value: y }\nmetric m2 { value: z }"
    model = kpidsl.load_text(src)
    got = kpidsl.check(model)
    assert [(f.code, f.span.line) for f in got if f.is_error] == [("E101", 2), ("E101", 3)]
    assert got == sorted(got, key=lambda f: (f.span, f.code))


def test_model_with_errors_cannot_be_evaluated():
    model = kpidsl.load_text("metric m { value: y }")
    assert model.has_errors
    with pytest.raises(kpidsl.KpiError):
        kpidsl.evaluate(model, {})


# ---------------------------------------------------------------------------------------------
# E003, E004


def test_e003_at_the_second_entry():
    src = 'kgi g {\n  target: >= 1\n  owner: "a"\n  owner: "b"\n}'
    assert error_cols(src) == [("E003", 4, 3)]
    assert errors('kgi g {\n  target: >= 1\n  owner: "a"\n  source: "b"\n}') == []


def test_e003_in_model_header_and_scenario():
    assert error_cols('model "m" {\n  cap: 120%\n  cap: 130%\n}') == [("E003", 3, 3)]
    src = "input x {}\nscenario s {\n  x: 1\n  x: 2\n}"
    assert error_cols(src) == [("E003", 4, 3)]
    assert errors("input x {}\ninput y {}\nscenario s {\n  x: 1\n  y: 2\n}") == []


def test_e003_for_a_target_given_twice():
    src = "kgi g {\n  target: >= 1\n  target: <= 5\n}"
    assert error_cols(src) == [("E003", 3, 3)]


@pytest.mark.parametrize("decl, key", [
    ("input x {\n  target: >= 1\n}", "target"),
    ("input x {\n  value: 1\n}", "value"),
    ("metric m {\n  value: 1\n  parent: g\n}", "parent"),
    ("veto v {\n  target: == 0\n  type: result\n  parent: g\n}", "type"),
    ("kgi g2 {\n  target: >= 1\n  colour: red\n}", "colour"),
    ('model "m" {\n  value: 1\n}', "value"),
    ('model "m" {\n  target: >= 1\n}', "target"),
    ("kgi g2 {\n  target: >= 1\n  expect g2 > 1\n}", "expect"),
])
def test_e004_entry_this_kind_cannot_have(decl, key):
    src = TREE + decl
    found = error_cols(src)
    lines = decl.split("\n")
    line = 6 + next(i for i, ln in enumerate(lines) if ln.strip().startswith(key))
    assert found == [("E004", line, 3)], found


def test_e004_unknown_entry_suggests_the_closest_key():
    (msg,) = messages(TREE + 'kgi g2 {\n  target: >= 1\n  ownr: "x"\n}', "E004")
    assert "owner" in msg


def test_e004_metric_without_value_at_its_name():
    assert error_cols(TREE + "metric m {\n  target: >= 1\n}") == [("E004", 6, 8)]
    assert errors(TREE + "metric m {\n  value: 1\n  target: >= 1\n}") == []


def test_e004_metric_or_input_nested_in_a_kgi():
    src = "kgi g {\n  target: >= 1\n  metric m { value: 1 }\n  input i { }\n}"
    assert error_cols(src) == [("E004", 3, 10), ("E004", 4, 9)]


@pytest.mark.parametrize("decl", [
    "kgi g2 {\n  target: >= 1\n  weight: 50%\n}",
    "metric m {\n  value: 1\n  weight: 50%\n}",
    "input i {\n  weight: 50%\n}",
])
def test_weight_on_the_wrong_kind_is_e204_not_e004(decl):
    src = TREE + decl
    line = 6 + next(i for i, ln in enumerate(decl.split("\n")) if "weight" in ln)
    assert error_cols(src) == [("E204", line, 3)]


def test_weight_on_a_veto_is_e204():
    src = "kgi g {\n  target: >= 1\n  veto v {\n    target: == 0\n    weight: 10%\n  }\n}"
    assert error_cols(src) == [("E204", 5, 5)]
    assert errors("kgi g {\n  target: >= 1\n  veto v {\n    target: == 0\n  }\n}") == []


# ---------------------------------------------------------------------------------------------
# E101, E102, E103


def test_e101_in_a_formula_with_suggestion():
    src = "input orders {}\nmetric m {\n  value: ordres * 2\n}"
    assert error_cols(src) == [("E101", 3, 10)]
    (msg,) = messages(src, "E101")
    assert "ordres" in msg and "orders" in msg
    assert errors("input orders {}\nmetric m {\n  value: orders * 2\n}") == []


def test_e101_without_a_close_name_suggests_nothing_wrong():
    (msg,) = messages("input orders {}\nmetric m { value: zzz }", "E101")
    assert "zzz" in msg and "orders" not in msg


def test_e101_in_parent_with_suggestion():
    src = TREE + "kpi c {\n  parent: gg\n  target: >= 1\n}"
    assert error_cols(src) == [("E101", 7, 11)]
    assert "`g`" in messages(src, "E101")[0]


def test_e101_in_expect():
    src = "input x {}\nscenario s {\n  x: 1\n  expect y > 1\n}"
    assert error_cols(src) == [("E101", 4, 10)]


def test_e102_at_the_second_declaration_across_kinds():
    src = "input x {}\nmetric y { value: x }\nmetric x { value: 1 }"
    assert error_cols(src) == [("E102", 3, 8)]
    src2 = "input x {}\nscenario x { }"
    assert error_cols(src2) == [("E102", 2, 10)]
    assert errors("input x {}\nscenario s { }") == []


def test_e102_for_nested_duplicate():
    src = "kgi g {\n  target: >= 1\n  kpi a { target: >= 1 }\n  kpi a { target: >= 2 }\n}"
    assert ("E102", 4, 7) in error_cols(src)


def test_e102_for_a_second_model_header():
    src = 'model "a" { }\nmodel "b" { }'
    assert error_cols(src) == [("E102", 2, 1)]
    assert errors('model "a" { }') == []


def test_e103_parent_is_an_input():
    src = TREE + "input x {}\nkpi c {\n  parent: x\n  target: >= 1\n}"
    assert error_cols(src) == [("E103", 8, 11)]
    assert "E103" not in error_codes(TREE + "input x {}\nkpi c {\n  parent: g\n  target: >= 1\n}")


@pytest.mark.parametrize("decl", ["metric x { value: 1 }", "veto x { target: == 0\n  parent: g }",
                                  "scenario x { }"])
def test_e103_parent_is_not_a_kgi_or_kpi(decl):
    src = TREE + decl + "\nkpi c {\n  parent: x\n  target: >= 1\n}"
    line = 6 + decl.count("\n") + 2
    assert ("E103", line, 11) in error_cols(src)
    assert "E205" not in error_codes(src)


def test_e103_scenario_in_a_formula():
    src = "input x {}\nscenario s { x: 1 }\nmetric m {\n  value: s + 1\n}"
    assert error_cols(src) == [("E103", 4, 10)]


# ---------------------------------------------------------------------------------------------
# E201, E202, E203, E204


def test_e201_at_the_parent_naming_sum_and_parts():
    src = TREE.replace("weight: 40%", "weight: 30%")
    assert error_cols(src) == [("E201", 1, 5)]
    (msg,) = messages(src, "E201")
    assert "90%" in msg and "60%" in msg and "30%" in msg


def test_e201_sum_above_100():
    src = TREE.replace("weight: 40%", "weight: 50%")
    assert error_cols(src) == [("E201", 1, 5)]
    assert "110%" in messages(src, "E201")[0]


def test_e201_tolerates_float_error():
    src = """kgi g {
  target: >= 1
  kpi a { weight: 10%  target: >= 1 }
  kpi b { weight: 20%  target: >= 1 }
  kpi c { weight: 70%  target: >= 1 }
}"""
    assert errors(src) == []
    src3 = src.replace("70%", "33.333333333%").replace("10%", "33.333333333%").replace("20%", "33.333333334%")
    assert errors(src3) == []
    src_off = src.replace("70%", "69.999%")
    assert error_codes(src_off) == {"E201"}


def test_e201_under_a_nested_kpi():
    src = """kgi g {
  target: >= 1
  kpi a {
    target: >= 1
    kpi a1 { weight: 50%  target: >= 1 }
    kpi a2 { weight: 20%  target: >= 1 }
  }
}"""
    assert error_cols(src) == [("E201", 3, 7)]


def test_e201_with_flat_children():
    src = "kgi g { target: >= 1 }\nkpi a { parent: g  weight: 50%  target: >= 1 }\nkpi b { parent: g  weight: 30%  target: >= 1 }"
    assert error_cols(src) == [("E201", 1, 5)]


def test_e202_mixed_weights_at_the_parent():
    src = TREE.replace("weight: 40%  ", "")
    assert error_cols(src) == [("E202", 1, 5)]
    assert "`b`" in messages(src, "E202")[0]
    assert errors(TREE.replace("weight: 40%  ", "").replace("weight: 60%  ", "")) == []


@pytest.mark.parametrize("w", ["0", "0%", "-10%", "150%", "1.5", "40"])
def test_e203_weight_outside_range(w):
    src = TREE.replace("weight: 60%", f"weight: {w}")
    assert error_cols(src) == [("E203", 3, 11)]  # no E201 beside E203


def test_e203_hint_for_a_bare_number():
    src = TREE.replace("weight: 60%", "weight: 60").replace("weight: 40%", "weight: 40")
    assert error_cols(src) == [("E203", 3, 11), ("E203", 4, 11)]
    assert "40%" in messages(src, "E203")[1] and "60%" in messages(src, "E203")[0]


def test_e203_full_weight_and_fraction_are_fine():
    assert errors("kgi g {\n  target: >= 1\n  kpi a { weight: 100%  target: >= 1 }\n}") == []
    assert errors(TREE.replace("60%", "0.6").replace("40%", "0.4")) == []


def test_e202_suppresses_e201():
    src = """kgi g {
  target: >= 1
  kpi a { weight: 10%  target: >= 1 }
  kpi b { weight: 10%  target: >= 1 }
  kpi c { target: >= 1 }
}"""
    assert error_cols(src) == [("E202", 1, 5)]


def test_e204_on_a_kgi():
    src = "kgi g {\n  target: >= 1\n  weight: 100%\n}"
    assert error_cols(src) == [("E204", 3, 3)]


# ---------------------------------------------------------------------------------------------
# E205, E206, E207


def test_e205_kpi_without_parent():
    src = TREE + "kpi lone {\n  target: >= 1\n}"
    assert error_cols(src) == [("E205", 6, 5)]
    assert errors(TREE + "kpi lone {\n  parent: a\n  target: >= 1\n}") == []


def test_e205_veto_without_parent():
    assert error_cols(TREE + "veto v {\n  target: == 0\n}") == [("E205", 6, 6)]


def test_e205_chain_ending_at_a_kpi():
    src = TREE + "kpi top {\n  target: >= 1\n}\nkpi low {\n  parent: top\n  target: >= 1\n}"
    assert error_cols(src) == [("E205", 6, 5), ("E205", 9, 5)]


def test_e205_not_reported_when_chain_broken_by_e101():
    src = TREE + "kpi c {\n  parent: nosuch\n  target: >= 1\n}\nkpi d {\n  parent: c\n  target: >= 1\n}"
    assert error_cols(src) == [("E101", 7, 11)]


def test_e205_not_reported_when_chain_broken_by_e103():
    src = TREE + "input x {}\nkpi c {\n  parent: x\n  target: >= 1\n}\nkpi d {\n  parent: c\n  target: >= 1\n}"
    assert error_cols(src) == [("E103", 8, 11)]


def test_e205_not_reported_for_an_e206_cycle():
    src = TREE + ("kpi p {\n  parent: q\n  target: >= 1\n}\nkpi q {\n  parent: p\n  target: >= 1\n}\n"
                  "kpi r {\n  parent: p\n  target: >= 1\n}")
    assert error_cols(src) == [("E206", 6, 5)]


def test_e206_once_at_the_first_member_in_file_order():
    src = TREE + ("kpi p {\n  parent: r\n}\nkpi q {\n  parent: p\n}\nkpi r {\n  parent: q\n}")
    assert [f for f in error_cols(src) if f[0] == "E206"] == [("E206", 6, 5)]
    msg = messages(src, "E206")[0]
    assert "p" in msg and "q" in msg and "r" in msg


def test_e206_self_parent():
    src = TREE + "kpi p {\n  parent: p\n  target: >= 1\n}"
    assert error_cols(src) == [("E206", 6, 5)]


def test_e206_two_separate_cycles():
    src = TREE + "kpi p { parent: q }\nkpi q { parent: p }\nkpi r { parent: r }"
    assert [f for f in error_cols(src) if f[0] == "E206"] == [("E206", 6, 5), ("E206", 8, 5)]


def test_e207_kgi_with_parent():
    src = TREE + "kgi g2 {\n  parent: g\n  target: >= 1\n}"
    assert error_cols(src) == [("E207", 7, 3)]


def test_e207_kgi_nested_in_a_kgi():
    src = "kgi g {\n  target: >= 1\n  kgi g2 { target: >= 1 }\n}"
    assert error_cols(src) == [("E207", 3, 7)]


def test_e207_nesting_and_parent_both():
    src = "kgi g {\n  target: >= 1\n  kpi a {\n    parent: g\n    target: >= 1\n  }\n}"
    assert error_cols(src) == [("E207", 4, 5)]
    assert errors("kgi g {\n  target: >= 1\n  kpi a {\n    target: >= 1\n  }\n}") == []


# ---------------------------------------------------------------------------------------------
# E301, E302, E303


def test_e301_two_member_cycle_reported_once_at_the_first():
    src = "metric a { value: b + 1 }\nmetric b { value: a * 2 }"
    assert errors(src) == [("E301", 1)]
    msg = messages(src, "E301")[0]
    assert "`a`" in msg and "`b`" in msg
    assert errors("input c {}\nmetric a { value: b + 1 }\nmetric b { value: c * 2 }") == []


def test_e301_self_reference():
    assert errors("metric a { value: a + 1 }") == [("E301", 1)]


def test_e301_first_member_in_file_order_not_first_reached():
    src = "input i {}\nmetric z { value: x }\nmetric y { value: z }\nmetric x { value: y + i }\nmetric w { value: x }"
    assert errors(src) == [("E301", 2)]


def test_e301_one_per_cycle():
    src = "metric a { value: b }\nmetric b { value: a }\nmetric c { value: c }\nmetric d { value: a + c }"
    assert errors(src) == [("E301", 1), ("E301", 3)]


def test_e301_through_indicators_of_a_tree():
    src = "kgi g {\n  value: a\n  target: >= 1\n  kpi a { value: g / 2  target: >= 1 }\n}"
    assert [c for c, _ in errors(src)] == ["E301"]


@pytest.mark.parametrize("formula, col", [
    ("foo(x)", 10), ("abs(x, x)", 10), ("round(x, 1, 2)", 10), ("clamp(x, 1)", 10),
    ("if(x > 1, 1)", 10), ("x + mean(x)", 14),
])
def test_e302(formula, col):
    src = f"input x {{}}\nmetric m {{\n  value: {formula}\n}}"
    assert error_cols(src) == [("E302", 3, col)]


def test_e302_suggests_a_function():
    assert "min" in messages("input x {}\nmetric m { value: mni(x, 1) }", "E302")[0]


@pytest.mark.parametrize("formula", ["round(x)", "round(x, 2)", "abs(x)", "clamp(x, 0, 1)", "min(x)",
                                     "max(x, 1, 2, 3)", "sum(x, x)", "avg(x)", "if(x > 1, 1, 0)"])
def test_e302_not_for_valid_calls(formula):
    assert errors(f"input x {{}}\nmetric m {{ value: {formula} }}") == []


@pytest.mark.parametrize("formula, col", [
    ("x > 1", 10),
    ("true", 10),
    ("not x", 14),
    ("if(x, 1, 0)", 13),
    ("x + (x > 1)", 15),
    ("x and x > 1", 10),
    ("min(x, x > 1)", 17),
    ("if(x > 1, x > 2, 0)", 10),
    ("(x > 1) == 2", 11),
])
def test_e303(formula, col):
    src = f"input x {{}}\nmetric m {{\n  value: {formula}\n}}"
    assert ("E303", 3, col) in error_cols(src)
    assert error_codes(src) == {"E303"}


@pytest.mark.parametrize("formula", ["if(x > 1 and not x < 0, x, 0)", "if(true, 1, 2)",
                                     "if(x == 1 or x != 2, 1, 0)", "-x ^ 2"])
def test_e303_not_for_well_typed_formulas(formula):
    assert errors(f"input x {{}}\nmetric m {{ value: {formula} }}") == []


# ---------------------------------------------------------------------------------------------
# E401, E402, E403


@pytest.mark.parametrize("levels", [
    "baseline: 100", "baseline: 150", "stretch: 100", "stretch: 50", "baseline: 120  stretch: 110",
])
def test_e401_ge(levels):
    src = f"kgi g {{\n  {levels}\n  target: >= 100\n}}"
    assert error_cols(src) == [("E401", 3, 3)]


def test_e401_ge_in_order():
    assert errors("kgi g {\n  baseline: 80\n  target: >= 100\n  stretch: 120\n}") == []
    assert errors("kgi g {\n  baseline: -5\n  target: >= 0\n  stretch: 1\n}") == []


@pytest.mark.parametrize("levels", [
    "baseline: 100", "baseline: 50", "stretch: 100", "stretch: 150", "baseline: 80  stretch: 90",
])
def test_e401_le(levels):
    src = f"kgi g {{\n  {levels}\n  target: <= 100\n}}"
    assert error_cols(src) == [("E401", 3, 3)]


def test_e401_le_in_order():
    assert errors("kgi g {\n  baseline: 120\n  target: <= 100\n  stretch: 80\n}") == []


def test_e401_on_a_metric():
    src = "metric m {\n  value: 1\n  target: >= 10\n  stretch: 5\n}"
    assert error_cols(src) == [("E401", 3, 3)]


def test_e402_veto_without_target():
    src = "kgi g {\n  target: >= 1\n  veto v {\n    value: 0\n  }\n}"
    assert error_cols(src) == [("E402", 3, 8)]


@pytest.mark.parametrize("key", ["baseline", "stretch"])
def test_e402_veto_with_baseline_or_stretch(key):
    src = f"kgi g {{\n  target: >= 1\n  veto v {{\n    target: <= 0\n    {key}: 5\n  }}\n}}"
    assert error_cols(src) == [("E402", 5, 5)]


@pytest.mark.parametrize("target", ["== 0", "1 .. 2"])
@pytest.mark.parametrize("key, value", [("baseline", "-5"), ("stretch", "5")])
def test_e402_exact_or_band_with_levels(target, key, value):
    src = f"kgi g {{\n  target: {target}\n  {key}: {value}\n}}"
    assert error_cols(src) == [("E402", 3, 3)]
    assert errors(f"kgi g {{\n  target: {target}\n}}") == []


def test_e403_reversed_band():
    assert error_cols("kgi g {\n  owner: \"x\"\n  target: 40% .. 30%\n}") == [("E403", 3, 3)]
    assert errors("kgi g {\n  target: 30% .. 30%\n}") == []
    assert errors("kgi g {\n  target: -2 .. -1\n}") == []
    assert error_codes("kgi g {\n  target: -1 .. -2\n}") == {"E403"}


# ---------------------------------------------------------------------------------------------
# E501, E502, E503


def test_e501_unknown_name_at_the_entry():
    src = "input orders {}\nscenario s {\n  orders: 1\n  ordres: 2\n}"
    assert error_cols(src) == [("E501", 4, 3)]
    assert "orders" in messages(src, "E501")[0]


def test_e501_name_with_a_formula():
    src = "input x {}\nmetric m { value: x }\nscenario s {\n  x: 1\n  m: 2\n}"
    assert error_cols(src) == [("E501", 5, 3)]
    assert errors("input x {}\nmetric m { value: x }\nscenario s {\n  x: 1\n}") == []


def test_e501_a_scenario_name():
    src = "input x {}\nscenario t { }\nscenario s {\n  t: 1\n}"
    assert error_cols(src) == [("E501", 4, 3)]


def test_scenario_may_assign_an_indicator_without_value():
    assert errors(TREE + "scenario s {\n  a: 5\n  b: -1\n  g: 1.5亿\n}") == []


def test_e502_extends_unknown():
    src = "scenario base { }\nscenario s extends bsae {\n}"
    assert error_cols(src) == [("E502", 2, 20)]
    assert "base" in messages(src, "E502")[0]
    assert errors("scenario base { }\nscenario s extends base {\n}") == []


def test_e502_extends_a_non_scenario():
    assert error_cols("input x {}\nscenario s extends x { }") == [("E502", 2, 20)]


def test_e502_cycle_once():
    src = "scenario a extends b { }\nscenario b extends c { }\nscenario c extends a { }\nscenario d extends a { }"
    assert error_cols(src) == [("E502", 1, 20)]


def test_e502_self_cycle():
    assert error_cols("scenario a extends a { }") == [("E502", 1, 20)]


@pytest.mark.parametrize("cond, col", [("x + 1", 10), ("x", 10), ("g.score", 10), ("5", 10)])
def test_e503_expect_not_a_condition(cond, col):
    src = f"kgi g {{ target: >= 1 }}\ninput x {{}}\nscenario s {{\n  expect {cond}\n}}"
    assert error_cols(src)[0][:2] == ("E503", 4)
    assert error_codes(src) == {"E503"}


@pytest.mark.parametrize("cond", ["x > 1", "g.met", "not g.met", "g.score >= 95%", "g.achievement < 1",
                                  "true", "g.met and x == 1"])
def test_expect_conditions_are_fine(cond):
    assert errors(f"kgi g {{ target: >= 1 }}\ninput x {{}}\nscenario s {{\n  expect {cond}\n}}") == []


@pytest.mark.parametrize("attr", ["score", "achievement", "met"])
def test_e503_result_outside_expect(attr):
    src = f"kgi g {{ target: >= 1 }}\nmetric m {{\n  value: g.{attr}\n}}"
    assert error_cols(src) == [("E503", 3, 12)]


def test_e503_unknown_result():
    src = "kgi g { target: >= 1 }\nscenario s {\n  expect g.colour == 1\n}"
    assert error_cols(src) == [("E503", 3, 12)]


# ---------------------------------------------------------------------------------------------
# One run reports everything; effective weights


def test_all_errors_reported_in_one_run():
    src = TREE.replace("weight: 40%", "weight: 30%") + (
        "metric m {\n  value: nosuch + 1\n}\n"
        "scenario s extends nothere {\n}\n")
    assert error_cols(src) == [("E201", 1, 5), ("E101", 7, 10), ("E502", 9, 20)]


def test_every_error_kind_in_one_file():
    src = """kgi g {
  target: >= 100
  target: >= 200
  kpi a { weight: 40  target: >= 1 }
  kpi b { weight: 40%  target: >= 1 }
}
metric m { value: m }
input i { weight: 1 }
scenario s { nope: 1 }
"""
    assert [c for c, _ in errors(src)] == ["E003", "E203", "E301", "E204", "E501"]


def test_implicit_equal_weights():
    model = load(MODEL_HEADER + """kgi g {
  target: >= 1
  kpi a { target: >= 1 }
  kpi b { target: >= 1 }
  kpi c { target: >= 1
    kpi c1 { target: >= 1 }
  }
}""")
    w = {n: model.indicators[n].effective_weight for n in ("a", "b", "c", "c1")}
    assert w == {"a": pytest.approx(1 / 3), "b": pytest.approx(1 / 3), "c": pytest.approx(1 / 3), "c1": 1.0}
    assert model.indicators["g"].effective_weight is None


def test_given_weights_are_effective_weights():
    model = load(TREE)
    assert model.indicators["a"].effective_weight == 0.6
    assert model.indicators["b"].effective_weight == 0.4


def test_tree_links_flat_and_nested_children_in_declaration_order():
    model = load(ECOMMERCE)
    g = model.indicators["annual_sales"]
    assert g.children == ["monthly_sales", "repeat_rate", "new_customers"]
    assert g.vetoes == ["compliance"]
    assert model.indicators["repeat_rate"].children == ["cart_abandonment"]
    assert model.indicators["cart_abandonment"].parent == "repeat_rate"
    assert model.order[:6] == ["annual_sales", "monthly_sales", "repeat_rate", "cart_abandonment",
                               "new_customers", "compliance"]


def test_model_settings_are_read():
    model = load('model "M" {\n  cap: 150%\n  green: 95%\n  amber: 70%\n  owner: "o"\n}')
    s = model.settings
    assert (s.cap, s.green, s.amber, s.owner, s.label) == (1.5, 0.95, 0.7, "o", "M")
    d = load("").settings
    assert (d.cap, d.green, d.amber) == (1.2, 1.0, 0.8)
