#!/usr/bin/env python3
"""P1 start-up: `kpi check --no-cache` on a 50-indicator file, cold, against importing the libraries.

Goal: ratio ≤ 1.25 against `python -c 'import click, attrs, lark'`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import alternately, cold, kpi_command, model_text  # noqa: E402

GOAL = 1.25


def main() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fifty.kpi"
        path.write_text(model_text(50), encoding="utf-8")
        cold(kpi_command() + ["check", "--no-cache", str(path)], cwd=tmp, repeat=2)  # warm lark's cache
        floor, ours = alternately([[sys.executable, "-c", "import click, attrs, lark"],
                                   kpi_command() + ["check", "--no-cache", str(path)]], cwd=tmp, repeat=11)
    ratio = ours / floor
    print(f"P1 start-up: kpi check --no-cache (50 indicators) {ours * 1000:.0f} ms; import click, attrs, lark "
          f"{floor * 1000:.0f} ms; ratio {ratio:.2f} (goal ≤ {GOAL}) {'ok' if ratio <= GOAL else 'MISSED'}")
    return ratio


if __name__ == "__main__":
    sys.exit(0 if main() <= GOAL else 1)
