"""User text never drives the terminal: a table of hostile strings × every human-readable output.

Each hostile string goes wherever a user can put text — labels, units, owners, the model's and a
scenario's label (written with ``\\uXXXX`` escapes), scenario names from a data file, raw bytes in a
source line, the file's own name, command-line arguments — and each output must be free of what a
terminal acts on: C0 controls but the newline between lines (ESC among them), DEL, C1 controls,
bidirectional embeddings, overrides and isolates, line and paragraph separators. The text is still
shown, escaped (``\\u001b``). JSON and SARIF keep it exact: JSON escapes it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from kpidsl.cli.commands import cli
from kpidsl.render.text import clean

HOSTILE = {
    "osc8 hyperlink": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "colour": "\x1b[31mred\x1b[0m",
    "clear screen": "\x1b[2J\x1b[H",
    "c1 csi": "\x9b2J",
    "rtl override": "abc\u202egnp.exe",
    "isolates": "\u2066x\u2069\u2067y\u2068",
    "forged row": "x\nforged  FORGED  100%  >= 1 │ 1  ✓  100.0%  green",
    "carriage return": "ok\rFAKE",
    "separators": "a\u2028b\u2029c",
    "bell backspace del": "\x07\x08\x7f",
    "tab vt ff": "a\tb\x0bc\x0cd",
}

#: What must not reach a terminal: C0 but the newline, DEL, C1, bidi controls, line/paragraph separators.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def kpi_string(text: str) -> str:
    """``text`` as a .kpi string literal: everything but plain printable characters as ``\\uXXXX``."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text) + '"'


def model(h: str) -> str:
    s = kpi_string(h)
    return (f"model {s} {{ owner: {s}  period: monthly }}\n"
            f"input x {s} {{ unit: {s}  source: \"s\" }}\n"
            f"kgi g {s} {{ value: x  target: >= 2  unit: {s}\n"
            f"  kpi k {s} {{ value: x  target: >= 2  owner: {s} }}\n"
            f"  kpi j {{ value: x / 2  target: >= 1  owner: \"o\"  unit: {s} }}\n"
            "}\n"
            f"metric m {s} {{ value: x * 2  target: >= 1  unit: {s} }}\n"
            f"scenario s {s} {{ x: 1\n  expect g.met\n}}\n")


def file_name(h: str) -> str:
    return "m" + h.replace("/", "_") + ".kpi"


def run(tmp_path: Path, *args: str, stdout_only: bool = False) -> str:
    """The output of ``kpi ARGS`` (standard output and error, or standard output alone) as a terminal
    would get it: click strips nothing (``color=True``), while kpi's own colours stay off (not a
    terminal, NO_COLOR)."""
    result = CliRunner().invoke(cli, list(args), prog_name="kpi", env={"NO_COLOR": "1"}, color=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "internal error" not in result.output
    return result.stdout if stdout_only else result.output


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def eval_with(fmt: str):
    def output(tmp_path: Path, h: str) -> str:
        path = write(tmp_path, file_name(h), model(h))
        data = write(tmp_path, "d.json", json.dumps({h: {"x": 3}, "plain": {"x": 1}}))
        return (run(tmp_path, "eval", "--format", fmt, path)
                + run(tmp_path, "eval", "--format", fmt, "--data", data, "--drags", "all", path))
    return output


def tree_text(tmp_path: Path, h: str) -> str:
    path = write(tmp_path, file_name(h), model(h))
    return run(tmp_path, "tree", path) + run(tmp_path, "tree", "--scenario", "s", path)


def check_text(tmp_path: Path, h: str) -> str:
    """The excerpt of a finding on a line with raw hostile text in a comment, and a message that
    quotes raw hostile text in code, in files with hostile names."""
    commented = write(tmp_path, file_name(h), f'input unused {{ source: "s" }}  # {h} ok\n')
    broken = write(tmp_path, "b" + file_name(h), f"kgi g {{ target: >= 1 }}\n{h}\n")
    return run(tmp_path, "check", "--no-cache", commented) + run(tmp_path, "check", "--no-cache", broken)


def test_failures(tmp_path: Path, h: str) -> str:
    return run(tmp_path, "test", write(tmp_path, file_name(h), model(h)))


test_failures.__test__ = False  # an output, not a test


def cli_messages(tmp_path: Path, h: str) -> str:
    """Messages of the command line that quote what it was given."""
    path = write(tmp_path, "m.kpi", model("label"))
    missing = write(tmp_path, "missing.json", json.dumps({h: {}}))
    return "".join([
        run(tmp_path, "eval", "--scenario", h, path),
        run(tmp_path, "tree", "--scenario", h, path),
        run(tmp_path, "eval", "--data", missing, path),
        run(tmp_path, "eval", "--set", f"{h}=1", path),
        run(tmp_path, "eval", str(tmp_path / file_name(h))),
        run(tmp_path, "check", str(tmp_path / file_name(h))),
        run(tmp_path, "fmt", "--check", write(tmp_path, file_name(h), "input  a {}\n")),
        run(tmp_path, "fmt", write(tmp_path, file_name(h), "input  a {}\n")),
        run(tmp_path, "rule", h),
    ])


OUTPUTS = {
    "eval table": eval_with("table"),
    "eval tree": eval_with("tree"),
    "tree text": tree_text,
    "check text": check_text,
    "test failures": test_failures,
    "cli messages": cli_messages,
}


@pytest.mark.parametrize("output", list(OUTPUTS))
@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_no_control_character_reaches_the_terminal(tmp_path, output, hostile):
    h = HOSTILE[hostile]
    out = OUTPUTS[output](tmp_path, h)
    found = sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(out)})
    assert not found, f"{output} prints {found} raw:\n{out}"
    assert not re.search("^forged", out, re.M), f"{output} starts a line with user text:\n{out}"
    shown = [h, h.replace("/", "_")]  # in a file name, `/` is `_`
    if output == "check text":  # raw in a source line: its first line, a tab as a space
        shown.append(h.split("\n")[0].replace("\t", " "))
    assert any(clean(text) in out for text in shown), f"{output} does not show the text:\n{out}"


def test_a_forged_row_stays_in_its_cell(tmp_path):
    out = eval_with("table")(tmp_path, HOSTILE["forged row"])
    assert not any(line.startswith("forged") for line in out.splitlines())
    assert "x\\nforged  FORGED" in out


def test_the_excerpt_caret_stands_under_the_escaped_text(tmp_path):
    path = write(tmp_path, "m.kpi", 'input a { source: "\x1b[2J\u202e\t" }  input unused { source: "s" }\n')
    lines = run(tmp_path, "check", "--no-cache", path).splitlines()
    assert lines[1] == ' 1 | input a { source: "\\u001b[2J\\u202e " }  input unused { source: "s" }'
    assert lines[4] == lines[1] and lines[5] == "   |" + " " * lines[1][4:].index("unused") + "^" * 6


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_json_and_sarif_keep_the_text_exact(tmp_path, hostile):
    h = HOSTILE[hostile]
    path = write(tmp_path, file_name(h), model(h))
    data = write(tmp_path, "d.json", json.dumps({h: {"x": 3}}))
    doc = json.loads(run(tmp_path, "eval", "--format", "json", "--data", data, path, stdout_only=True))
    (scenario,) = doc["scenarios"]
    assert doc["model"] == h and scenario["name"] == h
    assert {i["name"]: (i["label"], i["unit"]) for i in scenario["indicators"]}["x"] == (h, h)
    unused = write(tmp_path, "u" + file_name(h), 'input unused { source: "s" }\n')
    (finding,) = json.loads(run(tmp_path, "check", "--no-cache", "--format", "json", unused, stdout_only=True))
    assert finding["path"] == unused
    sarif = json.loads(run(tmp_path, "check", "--no-cache", "--format", "sarif", unused, stdout_only=True))
    (result,) = sarif["runs"][0]["results"]
    assert unquote(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).endswith("u" + file_name(h))


def test_clean_escapes_exactly_what_a_terminal_acts_on():
    for c in map(chr, range(0x2100)):
        assert (clean(c) != c) == (bool(UNSAFE.match(c)) or c == "\n" or unicodedata.category(c) == "Cs"), hex(ord(c))
    assert clean("a\nb\tc\rd\x1b\u202e") == "a\\nb\\tc\\rd\\u001b\\u202e"
    assert clean("可用率 ✓ — é") == "可用率 ✓ — é"
