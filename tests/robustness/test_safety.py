"""No text the user wrote reaches generated code; YAML is loaded safely; fmt writes atomically."""

from __future__ import annotations

import io
import keyword
import re
import socket
import tokenize

import pytest
from click.testing import CliRunner

import kpidsl
from kpidsl.cli import commands as cli_mod
from kpidsl.cli.commands import cli
from kpidsl.evaluation import arrays, scalar
from kpidsl.evaluation.plan import CONSTANTS, plan_of

HOSTILE_NAMES = ["__import__", "exec", "eval", "os", "system", "open", "v", "s", "a", "m", "t0", "_div",
                 "_values", "__builtins__", "getattr", "globals", "lambda_", "不安全", "print"]


def hostile_model() -> str:
    lines = ['model "M\\")\\n#" { owner: "o\\"); __import__(\'os\').system(\'x\') #"  period: monthly }']
    for i, name in enumerate(HOSTILE_NAMES):
        label = f'"{name}\\")) # \\n \\u0027 {i}"'
        lines.append(f'input {name}_in {label} {{ source: "exec(\\"x\\")" }}')
    lines.append('kgi __import__ "x\\")" {\n  value: ' + " + ".join(f"{n}_in" for n in HOSTILE_NAMES[:6])
                 + "\n  target: >= 1")
    for name in HOSTILE_NAMES[1:]:
        lines.append(f'  kpi {name} "{name}" {{ value: if({name}_in > 0, {name}_in / 2, 0)  target: >= 1  '
                     'source: "s" }')
    lines.append("}")
    lines.append("scenario sc { " + "  ".join(f"{n}_in: 1" for n in HOSTILE_NAMES)
                 + "\n  expect __import__.score >= 0 and not exec.met or v > 1 }")
    return "\n".join(lines) + "\n"


def _assert_only_generated(source: str, primitives) -> None:
    allowed_names = {f"p_{k}" for k in primitives} | set(CONSTANTS) | {"def", "return", "r", "n", "run", "INF"}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME:
            assert tok.string in allowed_names or re.fullmatch(r"t\d+|expect_\d+_\d+", tok.string), tok.string
        assert tok.type in (tokenize.NAME, tokenize.NUMBER, tokenize.OP, tokenize.NEWLINE, tokenize.NL,
                            tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER), tokenize.tok_name[tok.type]
        assert not keyword.iskeyword(tok.string) or tok.string in ("def", "return", "True", "False", "None")
    for text in ("import", "system", "exec(", "#", '"', "'", "不安全"):
        assert text not in source


def test_hostile_names_and_strings_never_reach_generated_code():
    model = kpidsl.load_text(hostile_model())
    assert not model.has_errors, model.findings
    _assert_only_generated(scalar.program(plan_of(model)).source, scalar.PRIMITIVES)
    ev = kpidsl.evaluate(model, model.scenario_values("sc"), name="sc", expects="sc")
    assert ev["__import__"].value == 6 and [e.passed for e in ev.expects] == [True]


def test_hostile_names_never_reach_the_vectorised_program():
    pytest.importorskip("numpy")
    model = kpidsl.load_text(hostile_model())
    program = arrays.program(plan_of(model))
    _assert_only_generated(program.source, arrays.PRIMITIVES)
    assert "r[" in program.source


def test_every_command_runs_the_hostile_model(tmp_path):
    path = tmp_path / "hostile.kpi"
    path.write_text(hostile_model(), encoding="utf-8")
    for args in (["check"], ["eval"], ["eval", "--format", "csv"], ["test"], ["tree", "--format", "dot"],
                 ["tree", "--format", "mermaid"]):
        result = CliRunner().invoke(cli, [*args, str(path)], prog_name="kpi", env={"NO_COLOR": "1"})
        assert result.exit_code in (0, 1), (args, result.output)
        assert "Traceback" not in result.output


def test_yaml_tags_that_would_run_code_are_refused(tmp_path):
    from kpidsl.data import DataError, read_data

    path = tmp_path / "evil.yaml"
    path.write_text("orders: !!python/object/apply:os.system ['touch hacked']\n", encoding="utf-8")
    with pytest.raises(DataError):
        read_data(str(path))
    assert not (tmp_path / "hacked").exists()


def test_nothing_touches_the_network(tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("network use")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    path = tmp_path / "hostile.kpi"
    path.write_text(hostile_model(), encoding="utf-8")
    for args in (["check"], ["eval"], ["test"], ["fmt", "--check"], ["tree"]):
        result = CliRunner().invoke(cli, [*args, str(path)], prog_name="kpi")
        assert result.exit_code in (0, 1), result.output


UGLY = 'model "M" {owner:"o"   period:monthly}\r\ninput x{source:"s"}\r\n'


def test_fmt_keeps_crlf_and_the_byte_order_mark(tmp_path):
    path = tmp_path / "m.kpi"
    path.write_bytes(b"\xef\xbb\xbf" + UGLY.encode())
    result = CliRunner().invoke(cli, ["fmt", str(path)], prog_name="kpi")
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == data.count(b"\n") >= 2
    assert data != b"\xef\xbb\xbf" + UGLY.encode()


def test_fmt_keeps_lf_files_lf(tmp_path):
    path = tmp_path / "m.kpi"
    path.write_bytes(UGLY.replace("\r\n", "\n").encode())
    CliRunner().invoke(cli, ["fmt", str(path)], prog_name="kpi")
    assert b"\r" not in path.read_bytes() and not path.read_bytes().startswith(b"\xef")


def test_interrupted_fmt_leaves_the_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "m.kpi"
    path.write_bytes(UGLY.encode())

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_mod.os, "replace", interrupted)
    result = CliRunner().invoke(cli, ["fmt", str(path)], prog_name="kpi")
    assert result.exit_code != 0
    assert path.read_bytes() == UGLY.encode()
    assert [p.name for p in tmp_path.iterdir()] == ["m.kpi"]  # no temporary file left behind


def test_fmt_does_not_touch_a_file_with_a_syntax_error(tmp_path):
    path = tmp_path / "m.kpi"
    broken = b'kgi g {target: => 1}\n'
    path.write_bytes(broken)
    result = CliRunner().invoke(cli, ["fmt", str(path)], prog_name="kpi")
    assert result.exit_code == 2 and "E001" in result.output
    assert path.read_bytes() == broken
