"""The run rate's pace: "on track" where the projection scored against the full-period target is
green, "off track" where it is scored otherwise, in the review table and the long CSV and JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kpidsl.cli.commands import cli
from kpidsl.render.periods import PACE

MODEL = '''model "Shop" { owner: "o"  period: monthly }
input orders { source: "Shop" }
input visits { source: "Web" }
kgi sales { value: orders  target: >= 100 }
metric traffic { value: visits  target: >= 6_000 }
metric conversion { value: orders / visits  target: >= 2% }
scenario actual {
  period "2025-01" { orders: 120  visits: 4_000 }
  period "2025-02" { orders: 80  visits: 6_000 }
}
'''
# two months of twelve: 200 orders project to 1,200 against 12 × 100 (green: on track); 10,000 visits to
# 60,000 against 72,000 (off track); conversion is not additive: no run rate


def run(tmp_path, *args, model=MODEL) -> str:
    (tmp_path / "m.kpi").write_text(model, encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(tmp_path / "m.kpi"), *args], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("status, pace", [("green", "on track"), ("amber", "off track"), ("red", "off track"),
                                          ("vetoed", "off track"), ("overdue", "off track"), ("no-data", None),
                                          (None, None)])
def test_pace_by_status(status, pace):
    assert PACE.get(status) == pace


def test_long_csv_says_on_track_and_off_track_on_run_rate_rows(tmp_path):
    lines = run(tmp_path, "--format", "csv").splitlines()
    assert lines[0].endswith(",grade,pace")
    assert "actual,,2025-02,run rate,sales,1200.0,1200.0,1.0,green,,on track" in lines
    assert "actual,,2025-02,run rate,traffic,60000.0,72000.0,0.833333333333,amber,,off track" in lines
    assert all(line.endswith(",") for line in lines[1:] if ",run rate," not in line)


def test_long_json_has_the_pace_of_run_rate_rows(tmp_path):
    rows = json.loads(run(tmp_path, "--format", "json"))["rows"]
    assert {(r["basis"], r["pace"]) for r in rows if r["indicator"] == "sales"} == {
        ("period", None), ("to date", None), ("run rate", "on track")}


def test_review_table_says_on_track(tmp_path):
    out = run(tmp_path)
    assert "run rate 2025: on track: sales; off track: traffic" in out.splitlines()
    longer = MODEL.replace('  period "2025-02"', '  period "2024-12" { orders: 0  visits: 0 }\n  period "2025-02"')
    out = run(tmp_path, model=longer)  # more periods than indicators: the indicators as rows
    assert out.splitlines()[1].split()[-5:] == ["run", "rate", "pace", "vs", "prev"]
    rows = {line.split()[0]: line for line in out.splitlines()[2:5]}
    assert "1,200  on track" in rows["sales"] and "60,000  off track" in rows["traffic"]
    assert "track" not in rows["conversion"]  # not additive: no run rate
