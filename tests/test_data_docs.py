"""docs/data.md: its files are what the page says they are, and its commands print what it shows
(KPI_UPDATE_GOLDEN=1 rewrites the shown output)."""

from __future__ import annotations

import json
import os
import re
import shlex

import pytest
from click.testing import CliRunner

import kpidsl
from conftest import ROOT
from kpidsl.cli.commands import cli
from kpidsl.data import read_data

PAGE = ROOT / "docs" / "data.md"
FILE = re.compile(r"^```(\w+) ([\w.]+)\n(.*?)^```", re.S | re.M)
CONSOLE = re.compile(r"```console\n\$ (kpi [^\n]*)\n(.*?)```", re.S)


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    for m in FILE.finditer(PAGE.read_text(encoding="utf-8")):
        (tmp_path / m.group(2)).write_text(m.group(3), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(command: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, shlex.split(command)[1:], prog_name="kpi", env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_the_page_shows_every_format(folder):
    langs = {m.group(1) for m in FILE.finditer(PAGE.read_text(encoding="utf-8"))}
    assert {"kpi", "csv", "toml", "json", "yaml"} <= langs
    assert not kpidsl.load(folder / "shop.kpi").has_errors


def test_the_three_quarter_files_hold_the_same_scenarios(folder):
    got = [[(s.name, s.values) for s in read_data(str(folder / f"quarter.{ext}"))] for ext in ("toml", "json", "yaml")]
    assert got[0] == got[1] == got[2] and [name for name, _ in got[0]] == ["apr", "may"]
    assert got[0][0][1]["revenue"] == 10_500_000


def test_a_flat_file_is_one_scenario_named_after_it(folder):
    [june] = read_data(str(folder / "june.yaml"))
    assert june.name == "june" and june.values["visits"] == 505_000


def test_the_commands_print_what_the_page_shows(folder):
    text = PAGE.read_text(encoding="utf-8")
    blocks = list(CONSOLE.finditer(text))
    assert blocks
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        PAGE.write_text(CONSOLE.sub(lambda m: f"```console\n$ {m.group(1)}\n{_run(m.group(1))[1]}```", text),
                        encoding="utf-8")
        return
    for m in blocks:
        code, out, _ = _run(m.group(1))
        assert code == 0 and out == m.group(2), m.group(1)


def test_sources_and_left_out_scenarios_are_said(folder):
    code, out, err = _run("kpi eval shop.kpi --data june.yaml --set satisfaction=90 --format json")
    assert code == 0
    [june] = json.loads(out)["scenarios"]
    assert june["name"] == "june" and june["source"] == ["june.yaml", "--set"]
    assert "not named by the data were not evaluated: plan" in err
    code, out, err = _run("kpi eval shop.kpi --data actuals.csv --scenario plan --scenario jan")
    assert code == 0 and "not evaluated" not in err
    assert "scenarios from the model: plan" in out and "scenarios from actuals.csv: jan" in out
    code, out, _ = _run("kpi eval shop.kpi")
    assert "scenarios from" not in out  # the model's own scenarios need no note
