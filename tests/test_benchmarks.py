"""The benchmarks run: each script at a small size ends with its report and no traceback.

Their timings are not judged here (a tiny model on a busy machine says nothing about the goals);
what is judged is that every script still runs against the current code, that the result checks
inside them (batch outputs agreeing, page faults counted) still hold, and that a failing command
is reported as a failure instead of being timed.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from conftest import ROOT

BENCH = ROOT / "benchmarks"


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=BENCH, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), (done.returncode, done.stdout, done.stderr)  # 1: a goal missed
    return done


def _module(name: str):
    """A benchmark script imported as a module (they import ``common`` from their own folder)."""
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def test_throughput_reports_times_faults_and_scaling(tmp_path):
    out = tmp_path / "figures.json"
    done = _run("throughput.py", "--decls", "200", "--repeat", "1", "--scaling", "100,200", "--json", str(out))
    figures = json.loads(out.read_text())
    assert figures["decls"] == 200
    assert figures["tomllib_faults"] > 0 and figures["kpidsl_faults"] > 0
    assert [step["decls"] for step in figures["scaling"]] == [100, 200]
    assert "page faults" in done.stdout and "worst step" in done.stdout


def test_batch_paths_agree():
    done = _run("batch.py", "--rows", "300", "--runs", "1")
    assert "4,800 rows, 0 differ beyond 1e-12" in done.stdout  # 300 scenarios × 16 declarations
    assert "(b) and (c) write the same text" in done.stdout
    assert "P3 batches:" in done.stdout


def test_warehouse_paths_agree():
    pytest.importorskip("duckdb")
    done = _run("warehouse.py", "--rows", "3000", "--csv-rows", "1000", "--runs", "1", "--threshold-rows", "100",
                timeout=300)
    assert "3,000 rows compared, 0 disagree" in done.stdout, done.stdout
    assert "files identical" in done.stdout and "W1 warehouse:" in done.stdout
    assert "16,000 results compared, 0 differ" in done.stdout, done.stdout


def test_batch_compare_finds_a_difference(tmp_path):
    batch = _module("batch")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("name,score\nx,0.5\ny,0.25\n", encoding="utf-8")
    b.write_text("name,score\nx,0.5000000000000001\ny,0.26\n", encoding="utf-8")
    assert batch._compare(str(a), str(b)) == (3, 1)  # within 1e-12 is the same; 0.25 against 0.26 is not


@pytest.mark.parametrize("script, heading", [("startup.py", "P1 start-up:"), ("rerun.py", "P4 re-runs:")])
def test_cold_start_benchmarks(script, heading):
    assert _run(script).stdout.startswith(heading)


def test_a_failing_command_is_not_timed():
    common = _module("common")
    with pytest.raises(subprocess.CalledProcessError):
        common.cold([sys.executable, "-c", "raise SystemExit(2)"], repeat=1)


def test_stages_runs():
    done = _run("stages.py", "--sizes", "100", "--scenarios", "2")
    assert "parse/s" in done.stdout


def test_the_language_server_benchmark_runs():
    pytest.importorskip("pytest_lsp")
    done = _run("lsp.py", "--edit-decls", "80", "--decls", "160", "--repeat", "2", timeout=300)
    assert "L1 edits:" in done.stdout
    assert all(f"L2 {what}:" in done.stdout for what in ("hover", "definition", "completion", "inlay hints"))
def test_to_date_agrees_with_pandas():
    pytest.importorskip("pandas")
    done = _run("to_date.py", "--entities", "20", "--months", "14", "--runs", "1")
    assert "agree to 1e-9" in done.stdout, done.stdout



def test_report_benchmark_runs():
    done = _run("report.py", "--indicators", "40", "--months", "3", "--repeat", "1")
    assert done.stdout.startswith("R1 report:") and " MB;" in done.stdout
