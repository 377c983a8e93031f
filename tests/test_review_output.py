"""What a review meeting reads: drags it can act on, statuses the numbers agree with, met and own
achievement, and values in the form their targets are written."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import kpidsl
from kpidsl.cli.commands import cli
from kpidsl.evaluation.drags import drags_of, points_text
from kpidsl.render.text import fmt_pct

M = 'model "Plant" { owner: "Plant manager"  period: monthly }\n'


def run(tmp_path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "m.kpi"
    path.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", *args, str(path)], prog_name="kpi", env={"NO_COLOR": "1"})
    return r.exit_code, r.output


TWO_LEVELS = M + """
input x { source: "ERP" }
kgi g "Goal" { target: >= 1  owner: "CEO"
  kpi a { weight: 50%  target: >= 100  owner: "A" }
  kpi b { weight: 50%  target: >= 100  owner: "B"
    kpi b1 { weight: 50%  target: >= 100 }
    kpi b2 { weight: 50%  target: >= 100 }
  }
  veto safe { value: x  target: == 0 }
}
scenario s { a: 80  b1: 60  b2: 100  x: 0 }
scenario hit extends s { x: 1 }
"""


def test_drags_list_leaves_with_their_path_and_parents_only_when_asked(tmp_path):
    code, out = run(tmp_path, TWO_LEVELS, "--scenario", "s")
    assert code == 0
    assert "s: largest drags: a 10.0 pts, b1 10.0 pts (via b)" in out
    assert " b 10.0" not in out and ", b " not in out  # the parent is not counted with its driver
    _, out = run(tmp_path, TWO_LEVELS, "--scenario", "s", "--drag-parents")
    assert "s: largest drags: a 10.0 pts, b 10.0 pts, b1 10.0 pts (via b)" in out


def test_drags_never_list_zero_points_and_the_listed_points_add_up_to_the_gap(tmp_path):
    model = kpidsl.load_text(TWO_LEVELS)
    ev = kpidsl.evaluate(model, model.scenario_values("s"))
    group = drags_of(model, ev)["g"]
    assert [d.name for d in group] == ["a", "b1"] and "b2" not in [d.name for d in group]
    assert sum(d.points for d in group) == pytest.approx(1 - ev["g"].score)
    assert [d.path for d in group] == [("g", "a"), ("g", "b", "b1")]


def test_a_fired_veto_is_the_first_and_whole_reason(tmp_path):
    code, out = run(tmp_path, TWO_LEVELS, "--scenario", "hit")
    assert code == 0
    assert "hit: largest drags: g vetoed by safe (scores 0 whatever its KPIs do)" in out
    assert "b1" not in out.split("largest drags")[1]
    _, out = run(tmp_path, TWO_LEVELS, "--scenario", "hit", "--format", "json")
    drags = json.loads(out)["scenarios"][0]["drags"]
    assert drags == [{"name": "g", "drag": 1.0, "kgi": "g", "path": ["g"], "leaf": False, "vetoed_by": ["safe"]}]


def test_a_veto_under_a_kpi_replaces_that_kpis_drivers():
    text = M + ("input x { }\nkgi g { target: >= 1\n  kpi a { weight: 50%  target: >= 100 }\n"
                "  kpi b { weight: 50%\n    kpi b1 { weight: 100%  target: >= 100 }\n"
                "    veto v { value: x  target: == 0 }\n  }\n}\n")
    model = kpidsl.load_text(text)
    ev = kpidsl.evaluate(model, {"a": 90, "b1": 50, "x": 3})
    group = drags_of(model, ev)["g"]
    assert [(d.name, d.vetoed_by) for d in group] == [("b", ("v",)), ("a", ())]
    assert group[0].points == pytest.approx(0.5)


def test_drags_count_option_and_grouping_by_kgi(tmp_path):
    text = M + ("kgi g1 { target: >= 1\n  kpi a { weight: 50%  target: >= 100 }\n  kpi b { weight: 50%  target: >= 100 }\n}\n"
                "kgi g2 { target: >= 1\n  kpi c { weight: 100%  target: >= 100 }\n}\n"
                "scenario s { a: 50  b: 90  c: 70 }\n")
    _, out = run(tmp_path, text, "--drags", "1")
    assert "s: largest drags on g1: a 25.0 pts, … 1 more" in out
    assert "s: largest drags on g2: c 30.0 pts" in out
    _, out = run(tmp_path, text, "--drags", "all")
    assert "s: largest drags on g1: a 25.0 pts, b 5.0 pts" in out
    code, out = run(tmp_path, text, "--drags", "-1")
    assert code == 2 and "whole number" in out


@pytest.mark.parametrize("points, text", [(0.0625, "6.3"), (0.0005, "0.1"), (0.00049, "0.0"), (0.119, "11.9"),
                                          (0.0045652, "0.5"), (0.062499999999999986, "6.3"), (0.017499999999999998, "1.8")])
def test_drag_points_round_half_up(points, text):
    assert points_text(points) == text


@pytest.mark.parametrize("score, status, text", [
    (0.99996, "amber", "99.9%"), (0.79996, "red", "79.9%"), (0.99996, "green", "100.0%"),
    (0.9996, "amber", "99.9%"), (0.8, "amber", "80.0%"), (0.5, "red", "50.0%"), (None, "no-data", "—"),
    (0.94996, "amber", "94.9%"),
])
def test_a_displayed_score_never_crosses_its_status_band(score, status, text):
    green = 0.95 if score == 0.94996 else 1.0
    assert fmt_pct(score, status, green, 0.8) == text


def test_table_scores_agree_with_statuses(tmp_path):
    text = M + "kgi g { target: >= 100 }\nkgi h { target: >= 100 }\nscenario s { g: 99.996  h: 79.996 }\n"
    _, out = run(tmp_path, text)
    assert "99.9%  amber" in out and "79.9%  red" in out
    assert "100.0%  amber" not in out and "80.0%  red" not in out


def test_met_and_own_achievement_are_shown(tmp_path):
    text = M + ("kgi g { value: x  target: >= 12亿\n  kpi a { weight: 100%  target: >= 100 }\n}\n"
                "input x { }\nscenario s { x: 12.6亿  a: 85 }\n")
    _, out = run(tmp_path, text)
    row = next(line for line in out.splitlines() if line.startswith("g "))
    assert "✓" in row and "100.0%" in row and "85.0%  amber" in row  # met, own 100%, scored 85% from a
    head = out.splitlines()[1]
    assert "met" in head and "own" in head


def test_a_parent_scored_from_its_drivers_needs_no_value(tmp_path):
    text = M + 'kgi g "销售" { target: >= 100\n  kpi a { weight: 100%  target: >= 10 }\n}\nscenario m { a: 9 }\n'
    code, out = run(tmp_path, text, "--format", "json")
    assert code == 0, out
    g = json.loads(out)["scenarios"][0]["indicators"][0]
    assert g["score"] == pytest.approx(0.9) and g["met"] is None and g["achievement"] is None
    assert g["status"] == "amber"
    code, _ = run(tmp_path, M + "kgi g { target: >= 100 }\nscenario m { }\n")
    assert code == 1  # a leaf with a target still needs its value


def test_a_value_shows_in_the_form_its_target_is_written(tmp_path):
    text = M + "input c { }\ninput i { }\nkgi ctr { value: c / i  target: >= 5% }\nscenario s { c: 4  i: 100 }\n"
    _, out = run(tmp_path, text)
    row = next(line for line in out.splitlines() if line.startswith("ctr"))
    assert "4%" in row and "0.04" not in row


def test_json_names_the_model_its_owners_and_path(tmp_path):
    _, out = run(tmp_path, TWO_LEVELS, "--format", "json", "--scenario", "s")
    data = json.loads(out)
    assert data["model"] == "Plant" and data["owner"] == "Plant manager" and data["path"].endswith("m.kpi")
    rows = {r["name"]: r for r in data["scenarios"][0]["indicators"]}
    assert rows["g"]["owner"] == "CEO" and rows["b1"]["owner"] == "B" and rows["x"]["owner"] == "Plant manager"
    assert rows["a"]["label"] is None and rows["g"]["label"] == "Goal"


def test_csv_is_long_with_labels_targets_units_and_no_float_noise(tmp_path):
    text = M + 'input x "Ratio" { unit: "%" }\nkgi g "Goal" { value: x * 3  target: >= 75%  unit: "%" }\nscenario s { x: 0.25 }\n'
    code, out = run(tmp_path, text, "--format", "csv")
    assert code == 0
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["scenario", "indicator", "label", "kind", "unit", "target", "value", "met", "achievement",
                       "score", "status"]
    assert rows[1] == ["s", "g", "Goal", "kgi", "%", ">= 75%", "0.75", "true", "1.0", "1.0", "green"]
    assert rows[2] == ["s", "x", "Ratio", "input", "%", "", "0.25", "", "", "", ""]


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
                                  "\tx", "=1"])
def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path, cell):
    import csv
    import io

    data = tmp_path / "d.csv"
    with open(data, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["scenario", "g"], [cell, "1"]])
    text = M + 'kgi g "' + cell.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '" { target: >= 1 }\n'
    for args in (["--data", str(data)], ["--data", str(data), "--scenario", cell.strip()]):
        code, out = run(tmp_path, text, "--format", "csv", *args)
        assert code == 0, out
        rows = list(csv.reader(io.StringIO(out)))[1:]
        for row in rows:
            for c in (row[0], row[2]):
                assert not c.startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert rows[0][2] == "'" + cell
        assert rows[0][0] == ("'" + cell if cell.strip() == cell else cell.strip())  # data cells are trimmed
