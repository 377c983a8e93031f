"""Each period on its own and to date: aggregate-then-calculate, additive levels, accumulation, data."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from kpidsl import api
from kpidsl.cli.commands import cli
from kpidsl.compiler.periods import additive

SHOP = '''model "Shop" { owner: "Head of e-commerce"  period: monthly }
input orders { source: "Shop" }
input visits { source: "Web" }
input price { source: "Shop"  accumulate: avg }
input stock { source: "WMS"  accumulate: last }
input low { source: "WMS"  accumulate: min }
input high { source: "WMS"  accumulate: max }
input quota { source: "HR" }
input plan_rate { source: "Plan"  accumulate: avg }
kgi revenue {
  value: orders * price
  target: >= 100
  kpi volume { value: orders * 2 - orders / 2  target: >= quota  weight: 50% }
  kpi conversion { value: orders / visits  target: >= plan_rate  unit: "%"  weight: 50% }
}
metric stock_level { value: stock + low + high  target: >= 0 }
'''

PERIODS = {"2025-01": {"orders": 10, "visits": 100, "price": 2, "stock": 5, "low": 1, "high": 9, "plan_rate": 0.10},
           "2025-02": {"orders": 30, "visits": 200, "price": 4, "stock": 7, "low": 3, "high": 4, "plan_rate": 0.20},
           "2025-03": {"orders": 20, "visits": 100, "price": 3, "stock": 6, "low": 2, "high": 8, "plan_rate": 0.12}}


def run(text=SHOP, periods=PERIODS, values=None):
    model = api.load_text(text)
    return model, api.evaluate_series(model, "actual", values or {"quota": 20}, periods)


def test_to_date_is_aggregate_then_calculate():
    _, sev = run()
    td = sev.last.to_date
    assert td["conversion"].value == pytest.approx(60 / 400)  # not the mean of 10%, 15%, 20%
    assert td["orders"].value == 60 and td["price"].value == pytest.approx(3)
    assert td["stock"].value == 6 and td["low"].value == 1 and td["high"].value == 9
    assert td["revenue"].value == pytest.approx(60 * 3)


def test_additive_levels_are_the_sums_of_each_periods_levels():
    model, sev = run()
    assert additive(model) >= {"volume"} and "conversion" not in additive(model) and "revenue" not in additive(model)
    assert [pe.bounds["to_date"]["volume"] for pe in sev.periods] == [20, 40, 60]  # a quota of 20 a month
    assert [pe.bounds["to_date"]["revenue"] for pe in sev.periods] == [100, 100, 100]  # not additive: as written
    # the level of a ratio comes from the inputs to date: plan_rate averages to 14%
    assert sev.last.bounds["to_date"]["conversion"] == pytest.approx(0.14)
    assert sev.last.to_date["conversion"].met is True
    assert sev.periods[0].own["conversion"].met is True and sev.periods[1].own["conversion"].met is False


def test_a_constant_level_of_an_additive_indicator_grows_with_the_periods():
    text = SHOP.replace("target: >= quota", "target: >= 20  baseline: 10  stretch: 40")
    _, sev = run(text)
    b = sev.last.bounds["to_date"]
    assert b["volume"] == 60
    ach = sev.last.to_date["volume"].achievement  # 90 against 60, stretch 120: 1 + 0.2 * 30/60
    assert ach == pytest.approx(1.1)


def test_to_date_starts_again_each_year_unless_the_model_says_series():
    periods = {"2024-12": PERIODS["2025-01"], "2025-01": PERIODS["2025-02"], "2025-02": PERIODS["2025-03"]}
    _, sev = run(periods=periods)
    assert [pe.elapsed for pe in sev.periods] == [1, 1, 2]
    assert sev.last.to_date["orders"].value == 50
    _, sev = run(SHOP.replace("period: monthly", "period: monthly  to_date: series"), periods)
    assert [pe.elapsed for pe in sev.periods] == [1, 2, 3] and sev.last.to_date["orders"].value == 60
    assert sev.last.projection is None  # the series is complete


def test_run_rate_projects_sums_to_the_year_and_scores_against_the_full_target():
    _, sev = run()
    p, b = sev.last.projection, sev.last.bounds["projection"]
    assert p["orders"].value == pytest.approx(240) and p["price"].value == pytest.approx(3)
    assert b["volume"] == pytest.approx(240)  # 12 months of a quota of 20
    assert p["volume"].status == sev.last.to_date["volume"].status


def test_periods_inherit_the_scenarios_values_and_a_period_may_override_them():
    _, sev = run(periods={"2025-01": {**PERIODS["2025-01"], "quota": 5}, "2025-02": PERIODS["2025-02"]})
    assert [pe.bounds["own"]["volume"] for pe in sev.periods] == [5, 20]
    assert sev.last.bounds["to_date"]["volume"] == 25


def test_missing_values_in_a_period_are_reported_or_unknown():
    periods = {"2025-01": PERIODS["2025-01"], "2025-02": {k: v for k, v in PERIODS["2025-02"].items() if k != "visits"}}
    with pytest.raises(api.MissingValues):
        run(periods=periods)
    model = api.load_text(SHOP)
    sev = api.evaluate_series(model, "a", {"quota": 20}, periods, allow_missing=True)
    assert sev.last.own["conversion"].status == "no-data" and sev.last.to_date["conversion"].value is None


def test_mixed_granularities_and_bad_periods_are_errors():
    model = api.load_text(SHOP)
    with pytest.raises(api.KpiError, match="months .* quarters|quarters .* months"):
        api.evaluate_series(model, "a", {}, {"2025-01": {}, "2025-Q1": {}})
    with pytest.raises(api.KpiError, match="not a period"):
        api.evaluate_series(model, "a", {}, {"July": {}})


IN_FILE = SHOP + '''scenario actual {
  quota: 20
  period "2025-01" { orders: 10  visits: 100  price: 2  stock: 5  low: 1  high: 9  plan_rate: 10% }
  period "2025-02" {
    orders: 30  visits: 200  price: 4  stock: 7  low: 3  high: 4  plan_rate: 20%
    expect orders == 30
    expect conversion.met
  }
  expect orders == 40
}
scenario more extends actual {
  period "2025-03" { orders: 20  visits: 100  price: 3  stock: 6  low: 2  high: 8  plan_rate: 12% }
  expect orders == 60
}
'''


def test_kpi_test_checks_each_period_and_to_date(tmp_path):
    path = tmp_path / "shop.kpi"
    path.write_text(IN_FILE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(path)])
    assert result.exit_code == 1, result.output
    assert "FAILED actual 2025-02: expect conversion.met" in result.output  # 15% against a plan of 20%
    assert "more 2025-02" not in result.output  # a period's lines are its scenario's own, not inherited
    assert result.output.endswith("3 passed, 1 failed\n")


def test_eval_long_csv_and_json(tmp_path):
    path = tmp_path / "shop.kpi"
    path.write_text(IN_FILE, encoding="utf-8")
    out = CliRunner().invoke(cli, ["eval", str(path), "--scenario", "more", "--format", "csv"]).output
    lines = out.splitlines()
    assert lines[0] == "scenario,entity,period,basis,indicator,value,bound,score,status,grade,pace"
    assert "more,,2025-03,to date,volume,90.0,60.0,1.0,green,," in lines
    assert "more,,2025-03,run rate,volume,360.0,240.0,1.0,green,,on track" in lines
    data = json.loads(CliRunner().invoke(cli, ["eval", str(path), "--scenario", "more", "--format", "json"]).output)
    row = next(r for r in data["rows"] if r["basis"] == "to date" and r["period"] == "2025-03"
               and r["indicator"] == "conversion")
    assert row["value"] == pytest.approx(0.15) and row["bound"] == pytest.approx(0.14) and row["grade"] is None


def test_eval_one_period_and_to_date_use_the_scenario_table(tmp_path):
    path = tmp_path / "shop.kpi"
    path.write_text(IN_FILE, encoding="utf-8")
    out = CliRunner().invoke(cli, ["eval", str(path), "--scenario", "more", "--period", "2025-02"]).output
    assert "more 2025-02" in out.splitlines()[0]
    out = CliRunner().invoke(cli, ["eval", str(path), "--scenario", "more", "--to-date"]).output
    assert "more to date 2025-03" in out.splitlines()[0]
    bad = CliRunner().invoke(cli, ["eval", str(path), "--period", "2030-01"])
    assert bad.exit_code == 2 and "no scenario has the period `2030-01`" in bad.output


CSV = """entity,period,orders,visits,price,stock,low,high,plan_rate,quota
north,2025-01,10,100,2,5,1,9,10%,20
north,2025-02,30,200,4,7,3,4,20%,20
south,2025-01,5,100,2,5,1,9,10%,10
=cmd,2025-01,5,100,2,5,1,9,10%,10
"""


def test_csv_entities_and_periods(tmp_path):
    (tmp_path / "m.kpi").write_text(SHOP, encoding="utf-8")
    (tmp_path / "actuals.csv").write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "m.kpi"), "--data", str(tmp_path / "actuals.csv"),
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "actuals,north,2025-02,to date,orders,40.0,,,,," in lines
    assert "actuals,south,2025-01,period,volume,7.5,10.0,0.75,red,," in lines
    assert any(line.startswith("actuals,'=cmd,2025-01,") for line in lines)  # neutralised for spreadsheets


@pytest.mark.parametrize("name, text", [
    ("d.toml", '[actual."2025-01"]\norders = 10\n[actual."2025-02"]\norders = 30\n'),
    ("d.json", '{"actual": {"quota": 20, "2025-01": {"orders": 10}, "2025-02": {"orders": 30}}}'),
    ("d.yaml", 'actual:\n  "2025-01": {orders: 10}\n  "2025-02": {orders: 30}\n'),
    ("actual.json", '{"2025-01": {"orders": 10}, "2025-02": {"orders": 30}}'),
])
def test_nested_periods_in_every_format(tmp_path, name, text):
    from kpidsl.data import read_data

    (tmp_path / name).write_text(text, encoding="utf-8")
    [ds] = read_data(str(tmp_path / name))
    assert ds.name == "actual" and ds.periods == {"2025-01": {"orders": 10.0}, "2025-02": {"orders": 30.0}}


@pytest.mark.parametrize("name, text, words", [
    ("d.csv", "period,orders\n2025-13,1\n", "d.csv:2: column `period`: `2025-13`: a month runs from 01 to 12"),
    ("d.csv", "period,orders\n2025-01,1\n2025-01,2\n", "d.csv:3: period `2025-01` of scenario `d` is given twice"),
    ("d.csv", "period,orders\n2025-01,1\n2025-Q1,2\n", "holds months (`2025-01`) and quarters (`2025-Q1`)"),
    ("d.csv", "entity,period,orders\n,2025-01,1\n", "d.csv:2: the `entity` cell is empty"),
    ("d.json", '{"a": {"July": {"orders": 1}}}', "a nested mapping is a period's values, but `July` is not a period"),
])
def test_bad_period_data(tmp_path, name, text, words):
    from kpidsl.data import DataError, read_data

    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_data(str(tmp_path / name))
    assert words in str(exc.value)


def test_models_without_periods_evaluate_as_before():
    model = api.load_text(SHOP + 'scenario s { orders: 1  visits: 10  price: 1  stock: 1  low: 1  high: 1  quota: 1'
                          '  plan_rate: 1% }\n')
    ev = api.evaluate(model, model.scenario_values("s"))
    assert ev["volume"].value == 1.5 and not math.isnan(ev["revenue"].score)


def test_long_csv_column_wise_is_the_text_of_series_one_at_a_time(tmp_path, monkeypatch):
    from kpidsl.cli import periods as cli_periods

    (tmp_path / "m.kpi").write_text(SHOP.replace("target: >= quota", "target: quota * 50% .. quota * 2"),
                                    encoding="utf-8")
    rows = CSV + "south,2024-12,5,100,2,5,1,9,10%,10\nsouth,2024-11,,100,2,5,1,9,10%,10\n"
    (tmp_path / "d.csv").write_text(rows, encoding="utf-8")
    args = ["eval", str(tmp_path / "m.kpi"), "--data", str(tmp_path / "d.csv"), "--format", "csv", "--allow-missing"]
    fast = CliRunner().invoke(cli, args)
    calls = []
    monkeypatch.setattr(cli_periods, "csv_rows", lambda *a: calls.append(a) or False)
    slow = CliRunner().invoke(cli, args)
    assert calls and fast.exit_code == slow.exit_code == 0
    assert fast.output == slow.output and "..20.0," in fast.output
    missing = CliRunner().invoke(cli, args[:-1])  # without --allow-missing: the series path names what is missing
    assert missing.exit_code == 1 and "has no value for `orders`" in missing.output


LAGS = '''model "Lag" { owner: "o"  period: monthly }
input sales { source: "ERP" }
kgi growth { value: sales / year_ago(sales) - 1  target: >= 10% }
metric change { value: sales - previous(sales)  target: >= previous(sales) * 0% }
'''


def test_previous_and_year_ago_read_other_periods_unknown_where_the_data_lacks_them():
    model = api.load_text(LAGS)
    sev = api.evaluate_series(model, "a", {}, {"2024-01": {"sales": 100}, "2024-02": {"sales": 110},
                                               "2025-01": {"sales": 120}, "2025-02": {"sales": 115}})
    own = {pe.period.text: pe.own for pe in sev.periods}
    assert own["2024-01"]["growth"].value is None and own["2024-01"]["growth"].status == "no-data"
    assert own["2025-01"]["growth"].value == pytest.approx(0.2)
    assert own["2025-01"]["change"].value is None  # 2024-12 is not in the data
    assert own["2025-02"]["change"].value == -5 and own["2025-02"]["change"].status == "red"
    td = sev.last.to_date
    assert td["growth"].value == pytest.approx(235 / 210 - 1)  # to date against the same months a year before
    assert sev.last.bounds["own"]["change"] == 0
    snapshot = api.evaluate(model, {"sales": 100})  # a scenario without periods has no other period
    assert snapshot["growth"].value is None


@pytest.mark.parametrize("formula, words", [
    ("previous(sales + 1)", "takes the name of an input"),
    ("previous(growth)", "computed by its `value` formula"),
    ("previous(nope)", "`nope` is not declared"),
    ("year_ago(sales, 2)", "takes one argument"),
])
def test_lag_functions_read_supplied_names_only(formula, words):
    _, findings = api.compile_text(LAGS + f"metric m {{ value: {formula} }}\n")
    errors = [f for f in findings if f.is_error]
    assert len(errors) == 1 and errors[0].code in ("E302", "E101") and words in errors[0].message


def test_set_overrides_every_period(tmp_path):
    path = tmp_path / "shop.kpi"
    path.write_text(IN_FILE, encoding="utf-8")
    out = CliRunner().invoke(cli, ["eval", str(path), "--scenario", "actual", "--set", "orders=5", "--format", "csv"])
    lines = out.output.splitlines()
    assert "actual,,2025-02,period,orders,5.0,,,,," in lines and "actual,,2025-02,to date,orders,10.0,,,,," in lines


def test_tree_of_a_scenario_with_periods_shows_its_last_period_to_date(tmp_path):
    path = tmp_path / "shop.kpi"
    path.write_text(IN_FILE, encoding="utf-8")
    out = CliRunner().invoke(cli, ["tree", str(path), "--scenario", "more"]).output
    assert out.splitlines()[0].endswith("scenario more to date 2025-03")
    assert "reads: orders = 60" in out
