"""Bounds written as formulas over inputs: targets, bands, baselines and stretches computed per scenario."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpidsl
from kpidsl.cli.commands import cli
from kpidsl.parsing.parser import parse_text
from kpidsl.errors import FindingSink

np = pytest.importorskip("numpy")
from kpidsl.evaluation import arrays  # noqa: E402

M = 'model "Sales" { owner: "Sales office"  period: monthly }\n'
QUOTAS = M + """
input sales "销售额" { source: "ERP" }
input last_year_sales "去年销售额" { source: "ERP" }
input quota "个人指标" { source: "HR" }
input plan { source: "Finance" }
kgi growth "同比增长" { value: sales  target: >= last_year_sales * 120%  owner: "Sales" }
kgi attainment { value: sales  baseline: quota * 50%  target: >= quota  stretch: quota * 130%  owner: "Sales" }
kgi on_plan { value: sales  target: plan * 95% .. plan * 105%  owner: "Finance" }
"""


def ev(text, **values):
    return kpidsl.evaluate(kpidsl.load_text(text), values, allow_missing=True)


def test_targets_bands_and_levels_follow_the_inputs_they_read():
    e = ev(QUOTAS, sales=600, last_year_sales=400, quota=500, plan=640)
    assert e["growth"].met is True and e["growth"].score == 1.0  # 600 >= 480
    assert e["attainment"].met is True
    assert e["attainment"].score == pytest.approx(1 + 0.2 * (600 - 500) / (650 - 500))
    assert e["on_plan"].met is False  # 600 < 608
    e = ev(QUOTAS, sales=375, last_year_sales=400, quota=500, plan=600)
    assert e["growth"].met is False and e["growth"].score == pytest.approx(375 / 480)
    assert e["attainment"].score == pytest.approx((375 - 250) / (500 - 250))
    assert e["on_plan"].met is False and e["on_plan"].score == 0.0


def test_a_bound_with_no_data_makes_the_indicator_no_data_and_is_needed():
    e = ev(QUOTAS, sales=600, last_year_sales=400, plan=600)
    assert e["attainment"].status == "no-data" and e["attainment"].met is None
    assert e["growth"].status == "green"
    model = kpidsl.load_text(QUOTAS)
    with pytest.raises(kpidsl.MissingValues) as err:
        kpidsl.evaluate(model, {"sales": 1, "last_year_sales": 1, "plan": 1})
    assert err.value.names == ("quota",)


def test_an_input_read_only_by_a_bound_is_used():
    model = kpidsl.load_text(QUOTAS)
    assert [f.code for f in kpidsl.check(model) if f.code == "W106"] == []


@pytest.mark.parametrize("bound, code", [
    ("target: >= trend * 110%", "E304"), ("target: >= goal", "E304"), ("baseline: trend", "E304"),
    ("target: trend .. 10", "E304"), ("target: >= \"x\"", "E001"), ("stretch: 2025-01-01", "E001"),
    ("target: >= unknown * 2", "E101"), ("target: >= x > 1", "E303"),
])
def test_bounds_read_inputs_only(bound, code):
    text = M + ('input x { source: "ERP" }\nmetric trend { value: x * 2 }\n'
                'kgi goal { value: x  target: >= 1  source: "ERP" }\n'
                f'kgi k {{ value: x  {"target: >= 1  " if "target" not in bound else ""}{bound}  source: "ERP" }}\n')
    _, findings = kpidsl.compile_text(text)
    assert code in [f.code for f in findings if f.is_error], [str(f) for f in findings]


def test_levels_out_of_order_are_static_errors_when_constant_and_scenario_problems_when_not():
    _, findings = kpidsl.compile_text(M + 'kgi k { baseline: 100  target: >= 90  source: "ERP" }\n')
    assert "E401" in [f.code for f in findings]
    text = M + 'input q { source: "HR" }\nkgi k { baseline: 100  target: >= q  source: "ERP" }\n'
    model, findings = kpidsl.compile_text(text)
    assert not [f for f in findings if f.is_error]
    good = kpidsl.evaluate(model, {"k": 110, "q": 120})
    assert good["k"].score == pytest.approx(0.5) and good.problems == ()
    bad = kpidsl.evaluate(model, {"k": 110, "q": 80})
    assert bad["k"].status == "no-data" and bad["k"].met is True
    assert bad.problems == ("`k` has baseline 100, target 80 in this scenario; they must run baseline < target "
                            "< stretch, so it is not scored: check the data its levels are computed from",)
    batch = arrays.evaluate_columns(model, {"k": np.array([110.0, 110.0]), "q": np.array([120.0, 80.0])}, 2)
    assert list(batch.problems) == [1] and batch.problems[1] == list(bad.problems)


def test_the_command_line_shows_problems_and_targets_as_written(tmp_path):
    path = tmp_path / "q.kpi"
    path.write_text(M + 'input q { source: "HR" }\nkgi k { baseline: 100  target: >= q * 110%  source: "ERP" }\n'
                    "scenario s { k: 110  q: 50 }\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", str(path)], prog_name="kpi", env={"NO_COLOR": "1"})
    assert r.exit_code == 0 and ">= q * 110%" in r.output
    assert "s: `k` has baseline 100, target 55 in this scenario" in r.output
    r = CliRunner().invoke(cli, ["eval", "--format", "json", str(path)], prog_name="kpi")
    k = json.loads(r.output)["scenarios"][0]["indicators"][0]
    assert k["target"] == {"op": ">=", "value": None, "text": ">= q * 110%"}


def test_formula_bounds_format_and_parse_alike():
    from kpidsl.parsing import lark_backend
    from kpidsl.render.formatter import format_source

    once = format_source(QUOTAS)
    assert format_source(once) == once and "target: >= last_year_sales * 120%" in once
    assert "target: plan * 95% .. plan * 105%" in once
    before, after = kpidsl.load_text(QUOTAS), kpidsl.load_text(once)
    assert [i.target.text for i in before.indicators.values() if i.target] == [
        i.target.text for i in after.indicators.values() if i.target]
    fast, slow = FindingSink("a"), FindingSink("a")
    assert parse_text(QUOTAS, fast) == lark_backend.parse_plain(QUOTAS, slow)


VALUES = st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.0, -1.0, 100.0, 1e300, -1e300, 0.5]),
                   st.floats(-1e6, 1e6, allow_nan=False))


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.fixed_dictionaries({k: VALUES for k in ("sales", "last_year_sales", "quota", "plan")}),
                min_size=1, max_size=8))
def test_scalar_and_arrays_agree_on_formula_bounds(rows):
    model = kpidsl.load_text(QUOTAS)
    rows = [{k: v for k, v in row.items() if v is not None} for row in rows]
    cols = {k: np.array([row.get(k, math.nan) for row in rows]) for k in ("sales", "last_year_sales", "quota", "plan")}
    batch = arrays.evaluate_columns(model, cols, len(rows))
    for i, row in enumerate(rows):
        e = kpidsl.evaluate(model, row, allow_missing=True)
        for name, r in e.results.items():
            got = float(batch.score[name][i])
            assert (r.score is None and got != got) or r.score == got, (name, row)
            assert batch.status_text(name)[i] == r.status
        assert batch.problems.get(i, []) == list(e.problems)


def test_a_percentage_inside_a_bound_formula_does_not_make_the_value_a_percentage(tmp_path):
    path = tmp_path / "q.kpi"
    path.write_text(QUOTAS + "scenario s { sales: 580  last_year_sales: 450  quota: 520  plan: 600 }\n",
                    encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", str(path)], prog_name="kpi", env={"NO_COLOR": "1"})
    growth = next(line for line in r.output.splitlines() if line.startswith("growth"))
    assert " 580 " in growth and "%  ✓" not in growth.split("│")[1][:12]
