"""Mutated examples and test files through every command: a documented exit code, never a traceback.

``KPI_FUZZ_EXAMPLES`` sets how many mutants hypothesis tries (default 150; `KPI_FUZZ_EXAMPLES=2000`
for the long run).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hypothesis.extra.lark import from_lark

from kpidsl.cli.commands import cli
from helpers import mutants
from test_properties import PADDED, grammar

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p.read_bytes() for p in sorted((ROOT / "examples").glob("*.kpi"))
           + sorted((ROOT / "tests" / "data").glob("*.kpi"))]
TOKENS = [b"{", b"}", b":", b'"', b"#", b"%", b"..", b">=", "亿".encode(), b"\x00", "\ufffd".encode(),
          b"\r", "\ufeff".encode(), b"\n", b"(", b")", b"-", b"expect ", b"kpi ", b"veto v { } ", b"parent: ",
          b"weight: 40 ", b"1e999", b"9" * 400, b"0.0000001%", b"/ 0", b"^ 999", b"\\", b";", b",", b"=>",
          b"extends ", b".score", b"\t", b"2025-02-30", b"\xff", b"\xe4\xb8", b"if(", b"round(", b"not "]
EXAMPLES = int(os.environ.get("KPI_FUZZ_EXAMPLES", "150"))
COMMANDS = [["check"], ["check", "--format", "sarif"], ["eval", "--allow-missing"], ["eval", "--format", "json"],
            ["test"], ["fmt", "--check"], ["tree"], ["tree", "--format", "mermaid"]]


def byte_mutants():
    return mutants(SOURCES, TOKENS, max_ops=5, reach=120)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(byte_mutants())
def test_every_command_survives_mutants(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("m")
    path = folder / "model.kpi"
    path.write_bytes(data)
    runner = CliRunner()
    for args in COMMANDS:
        start = time.monotonic()
        result = runner.invoke(cli, [*args, str(path)], prog_name="kpi", env={"NO_COLOR": "1"})
        took = time.monotonic() - start
        out = result.output
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, out[-500:])
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
        assert "Traceback" not in out and "internal error" not in out, (args, out[-800:])
        assert took < 10, (args, took)
    assert path.read_bytes() == data  # `fmt --check` never writes


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(st.deferred(lambda: from_lark(grammar(), start="file", explicit=PADDED)))
def test_every_command_survives_grammar_generated_sources(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("g")
    path = folder / "model.kpi"
    path.write_text(text, encoding="utf-8")
    runner = CliRunner()
    for args in COMMANDS:
        result = runner.invoke(cli, [*args, str(path)], prog_name="kpi", env={"NO_COLOR": "1"})
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output[-500:])
        assert "Traceback" not in result.output and "internal error" not in result.output, args
