"""Shared pieces of the benchmarks: generated models, timing of cold processes, the kpi command."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def kpi_command() -> list[str]:
    """The installed `kpi` beside this Python, else `python -m kpidsl`."""
    exe = Path(sys.executable).parent / "kpi"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("kpi")
    return [found] if found else [sys.executable, "-m", "kpidsl"]


def cold(args: list[str], cwd: str | Path | None = None, repeat: int = 7, env: dict | None = None) -> float:
    """Median wall time of running ``args`` as a new process, in seconds. A run that exits non-zero
    raises ``subprocess.CalledProcessError``: a command that failed timed nothing worth reporting."""
    return alternately([args], cwd=cwd, repeat=repeat, envs=[env])[0]


def alternately(commands: list[list[str]], cwd: str | Path | None = None, repeat: int = 7,
                envs: list[dict | None] | None = None) -> list[float]:
    """The median wall time of each of ``commands`` as a new process (``envs``: extra variables for
    each), run in turn ``repeat`` times: a ratio of two of them is taken in the same minutes, so that
    a busy spell of the machine weighs on both sides instead of on one."""
    times: list[list[float]] = [[] for _ in commands]
    run_envs = []
    for extra in envs or [None] * len(commands):
        run_env = dict(os.environ, NO_COLOR="1", **(extra or {}))
        # as an installed package would: with bytecode caches (pip writes them for the libraries too)
        run_env.pop("PYTHONDONTWRITEBYTECODE", None)
        run_envs.append(run_env)
    for _ in range(repeat):
        for args, run_env, spent in zip(commands, run_envs, times):
            start = time.perf_counter()
            subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=run_env,
                           check=True)
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def model_text(n_indicators: int) -> str:
    """A clean model of about ``n_indicators`` declarations: trees of a kgi, four kpis and a veto."""
    out = ['model "Generated" { owner: "Planning"  period: monthly }']
    for g in range(max(1, n_indicators // 8)):
        out.append(f'input a{g} "A {g}" {{ source: "ERP" }}')
        out.append(f'input b{g} {{ source: "CRM" }}')
        out.append(f'kgi goal{g} "Goal {g}" {{\n  value: a{g} + b{g}\n  target: >= 90\n  owner: "Owner {g}"')
        for k in range(4):
            out.append(f'  kpi k{g}_{k} {{ value: a{g} * {k + 1} + b{g} / 2  weight: 25%  baseline: 10  '
                       f'target: >= 100  stretch: 150  type: {"process" if k == 0 else "result"} }}')
        out.append(f'  veto v{g} {{ value: b{g}  target: <= 1万 }}')
        out.append("}")
    return "\n".join(out) + "\n"
