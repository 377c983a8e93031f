"""Limits handled on purpose: deep nesting, huge files and lines, extreme numbers, odd files and data."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import kpidsl
from kpidsl import api
from kpidsl.cli.commands import cli

HEADER = 'model "M" { owner: "o"  period: monthly }\ninput x { source: "s" }\n'


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="kpi", env={"NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.exit_code, result.output


def codes(src: str) -> list[tuple[str, int]]:
    model, found = kpidsl.compile_text(src)
    return [(f.code, f.span.line) for f in found]


@pytest.mark.parametrize("formula", [
    "(" * 10_000 + "x" + ")" * 10_000,
    "-" * 10_000 + "x",
    " + ".join(["x"] * 10_000),
    "2 ^ " * 10_000 + "x",
    "not " * 10_000 + "x > 1",
])
def test_expressions_nested_10000_deep_are_one_finding(formula):
    found = codes(HEADER + f"kgi g {{ value: {formula}  target: >= 1 }}\n")
    assert found and {c for c, _ in found} == {"E001"}
    assert all(line == 3 for _, line in found)


def test_blocks_nested_1000_deep_are_one_finding():
    src = HEADER + "kgi g { target: >= 1\n" + "kpi k { target: >= 1\n" * 1000 + "}\n" * 1001
    assert codes(src) == [("E001", 503)]


def test_nesting_below_the_limit_evaluates():
    src = HEADER + "kgi g { value: " + "(" * 300 + "x" + ")" * 300 + " + " + " + ".join(["x"] * 1500) \
        + "  target: >= 1 }\nscenario s { x: 2 }\n"
    model = kpidsl.load_text(src)
    assert kpidsl.evaluate(model, model.scenario_values("s"))["g"].value == 3002


def test_50_mb_file_finishes_within_a_few_times_its_size(tmp_path):
    path = tmp_path / "big.kpi"
    body = HEADER + 'kgi g { value: x  target: >= 1 }\nscenario s { x: 2 }\n'
    filler = ("# " + "commentary " * 9 + "\n").encode()
    with open(path, "wb") as fh:
        fh.write(body.encode())
        fh.write(filler * (50 * 1024 * 1024 // len(filler)))
    size = path.stat().st_size
    tracemalloc.start()
    try:
        model = api.load(path)
        findings = kpidsl.check(model)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert findings == []
    assert peak < 5 * size


def test_100000_character_line():
    label = "长" * 100_000
    src = HEADER + f'kgi g "{label}" {{ value: x  target: >= 1 }}\nscenario s {{ x: 1 }}\n'
    model = kpidsl.load_text(src)
    assert model.indicators["g"].label == label
    assert kpidsl.evaluate(model, {"x": 1.0})["g"].status == "green"


@pytest.mark.parametrize("literal,code", [("1e999", "E002"), ("9" * 400, "E002"), ("1e-999", None),
                                          ("0.0000001%", None)])
def test_extreme_numbers(literal, code):
    src = HEADER + f"kgi g {{ value: x * {literal}  target: >= 0 }}\nscenario s {{ x: 1 }}\n"
    found = codes(src)
    if code:
        assert found == [(code, 3)]
    else:
        model = kpidsl.load_text(src)
        value = kpidsl.evaluate(model, {"x": 1.0})["g"].value
        assert value is not None and value >= 0


def test_overflow_at_run_time_is_unknown_not_an_error():
    src = HEADER + "kgi g { value: x ^ 10000 * 1e300  target: >= 0 }\nscenario s { x: 10 }\n"
    model = kpidsl.load_text(src)
    assert kpidsl.evaluate(model, {"x": 10.0})["g"].status == "no-data"


def test_a_folder_an_unreadable_an_empty_and_a_binary_file(tmp_path, monkeypatch):
    assert run("eval", str(tmp_path))[0] == 2
    empty = tmp_path / "empty.kpi"
    empty.write_bytes(b"")
    assert run("check", str(empty)) == (0, "All checks passed.\n")
    code, out = run("eval", str(empty))
    assert code == 1 and "no scenarios" in out
    binary = tmp_path / "bin.kpi"
    binary.write_bytes(bytes(range(256)) * 4)
    code, out = run("check", "--format", "json", str(binary))
    assert code == 1 and [f["code"] for f in json.loads(out)] == ["E000"]
    locked = tmp_path / "locked.kpi"
    locked.write_text("kgi g {}", encoding="utf-8")

    real_open = os.open

    def refuse(file, *a, **k):
        if os.fspath(file) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *a, **k)

    monkeypatch.setattr(os, "open", refuse)
    code, out = run("check", str(locked))
    assert code == 2 and "locked.kpi" in out and "Permission denied" in out


CONVERSION = HEADER.replace("input x", "input visits") + (
    'input orders { source: "s" }\n'
    'kgi sales {  # noqa: W101\n  kpi conv { value: orders / visits  target: >= 2%  source: "s" }\n}\n')


@pytest.mark.parametrize("name,content,where", [
    ("empty.csv", "", "empty.csv"),
    ("header.csv", "visits,orders\n", "header.csv:1"),
    ("ragged.csv", "visits,orders\n1,2,3\n", "ragged.csv:2"),
    ("dup.csv", "visits,visits\n1,2\n", "dup.csv:1"),
    ("list.json", "[1, 2]", "list.json"),
    ("null.json", '{"visits": null, "orders": 1}', "`visits`"),
    ("nested.yaml", "visits:\n  a: 1\norders: 2\n", "nested.yaml"),
    ("bool.yaml", "visits: true\norders: 2\n", "`visits`"),
    ("bad.toml", "visits = \n", "bad.toml"),
    ("bad.json", '{"visits": 1,', "bad.json:1"),
    ("word.toml", 'visits = "lots"\norders = 1\n', "`visits`"),
    ("python.yaml", "visits: !!python/object/apply:os.system ['echo hacked']\n", "python.yaml"),
])
def test_bad_data_files_name_the_file_and_place(tmp_path, name, content, where):
    model = tmp_path / "m.kpi"
    model.write_text(CONVERSION, encoding="utf-8")
    data = tmp_path / name
    data.write_text(content, encoding="utf-8")
    code, out = run("eval", "--data", str(data), str(model))
    assert code == 2
    assert where in out


def test_csv_with_a_byte_order_mark(tmp_path):
    model = tmp_path / "m.kpi"
    model.write_text(CONVERSION, encoding="utf-8")
    data = tmp_path / "bom.csv"
    data.write_bytes("\ufeffscenario,visits,orders\njan,1000,25\n".encode())
    code, out = run("eval", "--format", "json", "--data", str(data), str(model))
    assert code == 0
    assert json.loads(out)["scenarios"][0]["name"] == "jan"


def test_toml_config_syntax_error(tmp_path, monkeypatch):
    from kpidsl.checking import config

    config.for_directory.cache_clear()
    (tmp_path / "kpi.toml").write_text("ignore = ]\n", encoding="utf-8")
    (tmp_path / "m.kpi").write_text(CONVERSION, encoding="utf-8")
    code, out = run("check", str(tmp_path / "m.kpi"))
    config.for_directory.cache_clear()
    assert code == 2 and "kpi.toml" in out and "line" in out


def test_path_argument_kinds(tmp_path):
    assert Path(tmp_path).is_dir()
    assert run("check", str(tmp_path))[0] == 0  # a folder without .kpi files: nothing to find
