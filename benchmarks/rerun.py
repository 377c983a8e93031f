#!/usr/bin/env python3
"""P4 re-runs: `kpi check` over 200 unchanged files, second run, against the cold start of one file.

Goal: ratio ≤ 1.5 against `kpi check --no-cache` of one 50-indicator file.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import alternately, cold, kpi_command, model_text  # noqa: E402

GOAL = 1.5


def main() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "models"
        folder.mkdir()
        for i in range(200):
            (folder / f"m{i:03d}.kpi").write_text(f"# model {i}\n" + model_text(50), encoding="utf-8")
        one = folder / "m000.kpi"
        cold(kpi_command() + ["check", str(folder)], cwd=tmp, repeat=1)  # the first run fills the cache
        single, again = alternately([kpi_command() + ["check", "--no-cache", str(one)],
                                     kpi_command() + ["check", str(folder)]], cwd=tmp, repeat=9)
    ratio = again / single
    print(f"P4 re-runs: second kpi check of 200 unchanged files {again * 1000:.0f} ms; cold check of one file "
          f"{single * 1000:.0f} ms; ratio {ratio:.2f} (goal ≤ {GOAL}) {'ok' if ratio <= GOAL else 'MISSED'}")
    return ratio


if __name__ == "__main__":
    sys.exit(0 if main() <= GOAL else 1)
