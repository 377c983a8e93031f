"""Standard output that cannot be written: a full disk says so (exit 2), a closed pipe is quiet (exit 1).

Every command runs in its own process with its standard output on ``/dev/full`` or on a pipe whose
reading end is closed; neither may print a traceback, an internal error or Python's complaint at exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .specials import source_env

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "ecommerce.kpi"
UGLY = b'model "M" {owner:"o"   period:monthly}\ninput x{source:"s"}\n'

COMMANDS = {
    "check": ["check", "--no-cache", str(ROOT / "examples")],
    "check --format sarif": ["check", "--no-cache", "--format", "sarif", str(MODEL)],
    "eval": ["eval", str(MODEL)],
    "eval --format csv": ["eval", "--format", "csv", str(MODEL)],
    "tree": ["tree", str(MODEL)],
    "test": ["test", str(ROOT / "examples")],
    "fmt --diff": ["fmt", "--diff", "UGLY"],
    "fmt -": ["fmt", "-"],
    "rule": ["rule"],
}


def _run(args: list[str], stdout, tmp_path: Path) -> subprocess.CompletedProcess:
    ugly = tmp_path / "ugly.kpi"
    ugly.write_bytes(UGLY)
    args = [str(ugly) if a == "UGLY" else a for a in args]
    return subprocess.run([sys.executable, "-m", "kpidsl", *args], input=UGLY, stdout=stdout,
                          stderr=subprocess.PIPE, cwd=tmp_path, env=source_env(), timeout=120)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_full_disk_is_one_message(tmp_path, command):
    with open("/dev/full", "wb") as full:
        done = _run(COMMANDS[command], full, tmp_path)
    assert done.stderr.decode().splitlines()[-1:] == ["kpi: cannot write the output: No space left on device"]
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr
    assert done.returncode == 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_closed_pipe_is_quiet(tmp_path, command):
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = _run(COMMANDS[command], write_end, tmp_path)
    finally:
        os.close(write_end)
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr
    assert b"internal error" not in done.stderr and b"Broken pipe" not in done.stderr
    assert done.returncode == 1
