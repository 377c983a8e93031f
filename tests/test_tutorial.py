"""The tutorial's commands produce the output it shows (KPI_UPDATE_GOLDEN=1 rewrites it)."""

from __future__ import annotations

import os
import re
import shlex

import pytest
from click.testing import CliRunner

from conftest import ROOT
from kpidsl.cli.commands import cli

TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"```console\n\$ (kpi [^\n]*)\n(.*?)```", re.S)


def _run(command: str) -> str:
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(cli, args, prog_name="kpi", env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_tutorial_commands_produce_what_it_shows(monkeypatch):
    monkeypatch.chdir(ROOT / "docs" / "tutorial")
    text = TUTORIAL.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    assert len(blocks) >= 8
    commands = {m.group(1).split()[1] for m in blocks}
    assert {"check", "fmt", "eval", "test", "tree"} <= commands
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        new = BLOCK.sub(lambda m: f"```console\n$ {m.group(1)}\n{_run(m.group(1))}```", text)
        TUTORIAL.write_text(new, encoding="utf-8")
        return
    for m in blocks:
        assert m.group(2) == _run(m.group(1)), m.group(1)


def test_tutorial_files_match_the_page():
    text = TUTORIAL.read_text(encoding="utf-8")
    shown = re.findall(r"```kpi(?:-draft)?\n(.*?)```", text, re.S)
    files = [(ROOT / "docs" / "tutorial" / n).read_text(encoding="utf-8") for n in ("shop_draft.kpi", "shop.kpi")]
    assert shown == files


@pytest.mark.parametrize("name,code", [("shop_draft.kpi", 1), ("shop.kpi", 0)])
def test_tutorial_files_check_as_described(name, code):
    result = CliRunner().invoke(cli, ["check", str(ROOT / "docs" / "tutorial" / name)], prog_name="kpi")
    assert result.exit_code == code


CHAPTER = ROOT / "docs" / "tutorial" / "monthly_review.md"


def test_monthly_review_commands_produce_what_it_shows(monkeypatch):
    monkeypatch.chdir(ROOT / "docs" / "tutorial")
    text = CHAPTER.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    assert len(blocks) >= 3
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        CHAPTER.write_text(BLOCK.sub(lambda m: f"```console\n$ {m.group(1)}\n{_run(m.group(1))}```", text),
                           encoding="utf-8")
        return
    for m in blocks:
        assert m.group(2) == _run(m.group(1)), m.group(1)


def test_monthly_review_data_and_scenario_are_the_files_and_hold():
    import kpidsl
    from kpidsl import api

    text = CHAPTER.read_text(encoding="utf-8")
    [shown_csv] = re.findall(r"```csv\n(.*?)```", text, re.S)
    assert shown_csv == (ROOT / "docs" / "tutorial" / "months.csv").read_text(encoding="utf-8")
    [scenario] = re.findall(r"```kpi\n(.*?)```", text, re.S)
    model = kpidsl.load_text((ROOT / "docs" / "tutorial" / "shop.kpi").read_text(encoding="utf-8") + scenario)
    assert not model.has_errors
    passed, failures = api.run_expects(model)
    assert failures == [] and passed == 9  # the file's six, the chapter's three

