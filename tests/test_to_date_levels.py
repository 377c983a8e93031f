"""``kpi eval --to-date``: every output shows the level each score was computed against (the sum of
the periods' levels of an additive indicator, the level from the inputs to date of any other), not
the target as written."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import ROOT
from kpidsl.cli.commands import cli

MODEL = ROOT / "examples" / "sales_monthly.kpi"
DATA = ROOT / "examples" / "sales_monthly.csv"


def kpi(*args: str) -> str:
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(cli, ["eval", str(MODEL), "--data", str(DATA), *args],
                                                     prog_name="kpi")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return result.output.replace(str(ROOT) + "/", "")


@pytest.mark.parametrize("args, name", [
    (["--to-date"], "eval_to_date_table.txt"),
    (["--to-date", "--format", "tree"], "eval_to_date_tree.txt"),
    (["--to-date", "--format", "json"], "eval_to_date.json"),
    (["--to-date", "--format", "csv"], "eval_to_date.csv"),
    (["--to-date", "--period", "2025-03", "--format", "csv"], "eval_to_date_march.csv"),
])
def test_to_date_outputs_golden(golden, args, name):
    golden(name, kpi(*args))


@pytest.mark.parametrize("args, text", [
    # chen's quota is 120 a month: 1,440 for the year, 360 to the end of March; 40 visits a month
    (["--to-date"], ">= 1,440 万元"),
    (["--to-date", "--period", "2025-03"], ">= 360 万元"),
    (["--to-date", "--format", "tree"], "target >= 480"),
    (["--to-date", "--format", "csv"], '">= 1,440 万元"'),
])
def test_to_date_shows_the_level_to_date(args, text):
    assert text in kpi(*args)


def test_to_date_json_keeps_the_target_as_written_beside_the_level():
    chen = json.loads(kpi("--to-date", "--format", "json"))["scenarios"][0]
    booked = next(i for i in chen["indicators"] if i["name"] == "booked")
    assert booked["target"] == {"op": ">=", "value": 1440.0, "text": ">= quota"} and booked["value"] == 1319


def test_a_period_on_its_own_shows_the_target_as_written():
    out = kpi("--period", "2025-03")
    assert ">= quota" in out and "1,440" not in out
