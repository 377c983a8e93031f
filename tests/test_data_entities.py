"""Entities and as-of dates in data files: an ``entities`` table in TOML, JSON and YAML (each entity a
series, as the rows of one CSV ``entity`` are), and ``as_of`` in every format."""

from __future__ import annotations

import datetime
import json

import pytest
from click.testing import CliRunner

from kpidsl.cli.commands import cli
from kpidsl.data import DataError, read_data

MODEL = '''model "Shop" { owner: "o"  period: monthly }
input orders { source: "Shop" }
input quota { source: "HR" }
kgi sales { value: orders  target: >= quota  due: 2025-01-31 }
'''

ENTITIES = {
    "d.toml": '[s]\nquota = 10\nas_of = 2025-03-01\n[s.entities.north]\nquota = 100\n[s.entities.north."2025-01"]\n'
              'orders = 50\n[s.entities.south]\nas_of = 2025-01-15\n[s.entities.south."2025-01"]\norders = 5\n',
    "d.json": json.dumps({"s": {"quota": 10, "as_of": "2025-03-01", "entities": {
        "north": {"quota": 100, "2025-01": {"orders": 50}},
        "south": {"as_of": "2025-01-15", "2025-01": {"orders": 5}}}}}),
    "d.yaml": 's:\n  quota: 10\n  as_of: 2025-03-01\n  entities:\n    north:\n      quota: 100\n      "2025-01": {orders: 50}\n'
              '    south:\n      as_of: 2025-01-15\n      "2025-01": {orders: 5}\n',
    "d.csv": "entity,period,orders,quota,as_of\nnorth,2025-01,50,100,2025-03-01\nsouth,2025-01,5,10,2025-01-15\n",
}


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_entities_and_as_of_in_every_format(tmp_path, name):
    (tmp_path / name).write_text(ENTITIES[name], encoding="utf-8")
    got = [(d.name if d.name != "d" else "s", d.entity, d.values, d.periods, d.as_of)
           for d in read_data(str(tmp_path / name))]
    north = {"quota": 100.0}
    assert [(n, e, a) for n, e, _, _, a in got] == [
        ("s", "north", datetime.date(2025, 3, 1)), ("s", "south", datetime.date(2025, 1, 15))]
    if name != "d.csv":
        assert got[0][2] == north and got[1][2] == {"quota": 10.0} and got[0][3] == {"2025-01": {"orders": 50.0}}


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_each_entity_stands_at_its_own_date(tmp_path, name):
    (tmp_path / "m.kpi").write_text(MODEL, encoding="utf-8")
    (tmp_path / name).write_text(ENTITIES[name], encoding="utf-8")
    out = CliRunner().invoke(cli, ["eval", str(tmp_path / "m.kpi"), "--data", str(tmp_path / name), "--to-date",
                                   "--format", "csv"]).output
    rows = [line.split(",") for line in out.splitlines() if ",sales," in line]
    # north stands at March 1st, past its due date: overdue; south at January 15th, before it: red
    assert [(r[0].split(" · ")[1].split()[0], r[-1]) for r in rows] == [("north", "overdue"), ("south", "red")]


@pytest.mark.parametrize("name,text", [
    ("f.toml", "orders = 5\nquota = 10\nas_of = 2025-03-01\n"),
    ("f.json", '{"orders": 5, "quota": 10, "as_of": "2025-03-01"}'),
    ("f.yaml", "orders: 5\nquota: 10\nas_of: 2025-03-01\n"),
    ("f.csv", "scenario,orders,quota,as_of\nf,5,10,2025-03-01\n"),
])
def test_as_of_of_a_scenario_without_periods(tmp_path, name, text):
    (tmp_path / "m.kpi").write_text(MODEL, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    for fmt in ("csv", "table"):
        result = CliRunner().invoke(cli, ["eval", str(tmp_path / "m.kpi"), "--data", str(tmp_path / name),
                                          "--format", fmt])
        assert result.exit_code == 0 and "overdue" in result.output, result.output
    before = CliRunner().invoke(cli, ["eval", str(tmp_path / "m.kpi"), "--data", str(tmp_path / name),
                                      "--as-of", "2025-01-01"])
    assert before.exit_code == 0, before.output
    assert "overdue" not in before.output and "red" in before.output  # --as-of overrides the data's date


@pytest.mark.parametrize("name,text,words", [
    ("e.toml", 'as_of = "soon"\norders = 1\n', "e.toml: `as_of`: `as_of` is the day the values stand at: expected a "
     "date such as 2025-06-30, found `soon`"),
    ("e.json", '{"as_of": 20250301, "orders": 1}', "expected a date such as 2025-06-30, found `20250301"),
    ("e.json", '{"as_of": "2025-02-30", "orders": 1}', "`2025-02-30` is not a calendar date"),
    ("e.toml", '[s.entities]\nnorth = 5\n', "scenario `s`, entity `north`: an entity's values are a mapping"),
    ("e.toml", '[s.entities.north.entities.x]\norders = 1\n', "entities do not nest"),
    ("e.toml", '[s.entities.north."2025-01"]\norders = 1\n[s.entities.north."2025-Q1"]\norders = 1\n',
     "holds months (`2025-01`) and quarters (`2025-Q1`)"),
    ("e.csv", "entity,period,orders,as_of\nn,2025-01,1,2025-03-01\nn,2025-02,1,2025-04-01\n",
     "e.csv:3: column `as_of`: 2025-04-01 differs from 2025-03-01"),
    ("e.csv", "scenario,orders,as_of\na,1,March\n", "e.csv:2: column `as_of`: `as_of` is the day"),
    ("e.json", '{"a": {"orders": 1}, "as_of": "2025-01-01"}', "e.json: `as_of` beside scenarios: a scenario's "
     "as-of date goes in its own table (`a`)"),
])
def test_bad_entities_and_dates(tmp_path, name, text, words):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_data(str(tmp_path / name))
    assert words in str(exc.value)
