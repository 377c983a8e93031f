"""kpi check's result cache: used when nothing changed, never stale, never fatal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpidsl import api
from kpidsl.cli import cache
from kpidsl.checking import config
from kpidsl.cli.commands import cli

SRC = 'model "M" { owner: "o"  period: monthly }\nkgi g { source: "ERP" }\n'  # W101


def run(*args):
    result = CliRunner().invoke(cli, ["check", "--format", "json", *args], prog_name="kpi")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [f["code"] for f in json.loads(result.output)]


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config.for_directory.cache_clear()
    path = tmp_path / "m.kpi"
    path.write_text(SRC, encoding="utf-8")
    yield path
    config.for_directory.cache_clear()


def _no_compiling(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("compiled although cached")

    monkeypatch.setattr(api, "compile_text", refuse)


def test_second_run_is_served_from_the_cache(model, monkeypatch):
    assert run(str(model)) == (1, ["W101"])
    assert (Path(cache.FOLDER) / ".gitignore").read_text(encoding="utf-8").strip().endswith("*")
    _no_compiling(monkeypatch)
    assert run(str(model)) == (1, ["W101"])


def test_changed_content_is_checked_again(model, monkeypatch):
    run(str(model))
    model.write_text(SRC.replace('source: "ERP"', 'source: "ERP"  target: >= 1'), encoding="utf-8")
    assert run(str(model)) == (0, [])


def test_changed_configuration_is_checked_again(model):
    run(str(model))
    (model.parent / "kpi.toml").write_text('ignore = ["W101"]\n', encoding="utf-8")
    config.for_directory.cache_clear()
    assert run(str(model)) == (0, [])
    assert run("--select", "W1", str(model)) == (0, [])


def test_changed_tool_is_checked_again(model, monkeypatch):
    run(str(model))
    monkeypatch.setattr(cache, "fingerprint", lambda: "another build")
    _no_compiling(monkeypatch)
    result = CliRunner().invoke(cli, ["check", str(model)], prog_name="kpi")
    # the refusal to compile proves the entry of the old build was not used
    assert isinstance(result.exception, AssertionError) and "although cached" in str(result.exception)


def test_broken_cache_is_ignored(model):
    run(str(model))
    for entry in Path(cache.FOLDER).rglob("*.json"):
        entry.write_text("{not json", encoding="utf-8")
    assert run(str(model)) == (1, ["W101"])
    for entry in Path(cache.FOLDER).rglob("*.json"):
        entry.write_text('[["m.kpi", 1, 1, 1, 2, "X999", "?"]]', encoding="utf-8")
    assert run(str(model)) == (1, ["W101"])


def test_no_cache_neither_reads_nor_writes(model, monkeypatch):
    assert run("--no-cache", str(model)) == (1, ["W101"])
    assert not Path(cache.FOLDER).exists()


def test_unwritable_cache_folder_is_not_fatal(model, monkeypatch):
    blocker = model.parent / "blocker"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setattr(cache, "FOLDER", str(blocker / ".kpi_cache"))
    assert run(str(model)) == (1, ["W101"])
