"""kpi check's result cache: used when nothing changed, never stale, never fatal."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ---------------------------------------------------------------------------------------------------
# A cache entry is trusted only when it is exactly what `store` writes for this key and this file.

def _entry() -> Path:
    (entry,) = Path(cache.FOLDER).rglob("*.json")
    return entry


def _valid(entry: Path, path: Path, findings: list) -> dict:
    return {"key": entry.parent.name + entry.stem, "path": str(path), "findings": findings}


W101 = [3, 1, 3, 2, "W101", "no target"]
CORRUPT = {  # what an entry holds instead of what `store` wrote; each is a miss, never an error
    "not JSON": lambda e, p: b"{not json",
    "not UTF-8": lambda e, p: b"\xff\xfe\x00",
    "an empty list": lambda e, p: b"[]",
    "a list of the wrong shape": lambda e, p: b'[["m.kpi", 1]]',
    "the old format": lambda e, p: json.dumps([[str(p), 3, 1, 3, 2, "W101", "x"]]).encode(),
    "the old format, a message that is a number": lambda e, p: json.dumps([[str(p), 3, 1, 3, 2, "W101", 5]]).encode(),
    "the old format, a null path": lambda e, p: json.dumps([[None, 3, 1, 3, 2, "W101", "x"]]).encode(),
    "the old format, a line of 1.5": lambda e, p: json.dumps([[str(p), 1.5, 1, 3, 2, "W101", "x"]]).encode(),
    "the old format, a line that is text": lambda e, p: json.dumps([[str(p), "3", 1, 3, 2, "W101", "x"]]).encode(),
    "an empty object": lambda e, p: b"{}",
    "another key": lambda e, p: {**_valid(e, p, []), "key": "0" * 64},
    "another file": lambda e, p: {**_valid(e, p, []), "path": "other.kpi"},
    "a null path": lambda e, p: {**_valid(e, p, []), "path": None},
    "an extra field": lambda e, p: {**_valid(e, p, []), "extra": 1},
    "findings that are an object": lambda e, p: _valid(e, p, {}),
    "a message that is a number": lambda e, p: _valid(e, p, [[3, 1, 3, 2, "W101", 5]]),
    "a line of 1.5": lambda e, p: _valid(e, p, [[1.5, 1, 3, 2, "W101", "m"]]),
    "a line of 0": lambda e, p: _valid(e, p, [[0, 1, 3, 2, "W101", "m"]]),
    "a line that is true": lambda e, p: _valid(e, p, [[True, 1, 3, 2, "W101", "m"]]),
    "an unknown code": lambda e, p: _valid(e, p, [[3, 1, 3, 2, "X999", "m"]]),
    "a code that is a list": lambda e, p: _valid(e, p, [[3, 1, 3, 2, ["W101"], "m"]]),
    "a row too long": lambda e, p: _valid(e, p, [[*W101, "more"]]),
    "a row that is null": lambda e, p: _valid(e, p, [None]),
    "nested 100,000 deep": lambda e, p: b"[" * 100_000 + b"]" * 100_000,
    "a 5,000-digit number": lambda e, p: b'{"key": 1' + b"0" * 5000 + b"}",
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_corrupt_entry_is_a_miss_and_rewritten(model, monkeypatch, case):
    run(str(model))
    entry = _entry()
    content = CORRUPT[case](entry, model)
    entry.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    result = CliRunner().invoke(cli, ["check", str(model)], prog_name="kpi")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1 and "W101 kgi `g` has no target" in result.output, result.output
    _no_compiling(monkeypatch)
    assert run(str(model)) == (1, ["W101"])  # rewritten: served from the cache again


def test_the_entry_names_its_key_and_file(model):
    run(str(model))
    entry = _entry()
    doc = json.loads(entry.read_bytes())
    assert doc["key"] == entry.parent.name + entry.stem and doc["path"] == str(model)
    assert [row[4] for row in doc["findings"]] == ["W101"]


def _fifo(entry, stack):
    from robustness.specials import Fifo

    entry.unlink()
    return stack.enter_context(contextlib.closing(Fifo(entry, payload=b"[]")))


def _linked(target):
    def make(entry, stack):
        entry.unlink()
        entry.symlink_to(target(entry))

    return make


def _forged_elsewhere(entry):
    forged = entry.parent.parent.parent / "forged.json"
    forged.write_text(json.dumps({"key": entry.parent.name + entry.stem, "path": "m.kpi", "findings": []}))
    return forged


def _a_folder(entry, stack):
    entry.unlink()
    entry.mkdir()


ENTRY_KINDS = {
    "a FIFO": _fifo,
    "a link to /dev/zero": _linked(lambda e: Path("/dev/zero")),
    "a link to a well-formed entry": _linked(_forged_elsewhere),
    "a folder": _a_folder,
}


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")
@pytest.mark.parametrize("kind", list(ENTRY_KINDS))
def test_an_entry_that_is_not_a_regular_file_is_never_read(model, monkeypatch, kind):
    from robustness.specials import memory_cap

    monkeypatch.chdir(model.parent)
    run("m.kpi")
    entry = _entry()
    with contextlib.ExitStack() as stack:
        fifo = ENTRY_KINDS[kind](entry, stack)
        with memory_cap():
            assert run("m.kpi") == (1, ["W101"])
    assert fifo is None or not fifo.opened
    if kind != "a folder":  # a folder cannot be replaced by a file; it stays a miss
        assert entry.is_file() and not entry.is_symlink()
        _no_compiling(monkeypatch)
        assert run("m.kpi") == (1, ["W101"])


@pytest.mark.parametrize("level", ["the cache folder", "an entry's folder"])
def test_a_cache_behind_a_symbolic_link_is_neither_read_nor_written(model, monkeypatch, tmp_path, level):
    monkeypatch.chdir(model.parent)
    run("m.kpi")
    entry = _entry()
    linked = Path(cache.FOLDER) if level == "the cache folder" else entry.parent
    elsewhere = tmp_path / "elsewhere"
    linked.rename(elsewhere)
    linked.symlink_to(elsewhere)
    moved = elsewhere / (entry.name if level == "an entry's folder" else entry.relative_to(cache.FOLDER))
    moved.write_text(json.dumps({"key": entry.parent.name + entry.stem, "path": "m.kpi", "findings": []}))
    before = sorted((p, p.read_bytes()) for p in elsewhere.rglob("*") if p.is_file())
    assert run("m.kpi") == (1, ["W101"])  # the forged entry behind the link was not read
    assert sorted((p, p.read_bytes()) for p in elsewhere.rglob("*") if p.is_file()) == before  # nor written


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                     max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_json_in_an_entry_is_a_miss_or_well_formed_findings(model, data):
    path = str(model)
    good = [[3, 1, 3, 2, "W101", "m"]]
    k = "ab" + "0" * 62
    doc = data.draw(st.one_of(
        _json,
        st.fixed_dictionaries({"key": st.just(k) | _json, "path": st.just(path) | _json,
                               "findings": st.just(good) | _json}),
        st.fixed_dictionaries({"key": st.just(k), "path": st.just(path),
                               "findings": st.lists(st.lists(_json, min_size=6, max_size=6) | st.just(good[0]),
                                                    max_size=3)}),
    ))
    folder = Path(cache.FOLDER) / k[:2]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{k[2:]}.json").write_text(json.dumps(doc), encoding="utf-8")
    found = cache.load(k, path)
    assert found is None or all(
        f.path == path and f.code in cache.RULES and isinstance(f.message, str)
        and all(type(n) is int and n >= 1 for n in f.span) for f in found)
    if found is not None:
        assert doc["key"] == k and doc["path"] == path  # an entry for another key or file is never served
