#!/usr/bin/env python3
"""R1 report: `kpi report` of a 1,000-indicator model with 12 months of data, against `kpi eval
--format json` of the same model and data.

Goal: the report takes at most 2× the time of the JSON (both cold processes, median of --repeat
runs), and the page stays under 2 MB.

    python benchmarks/report.py                        # 1,000 indicators × 12 months
    python benchmarks/report.py --indicators 80 --repeat 1
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import alternately, kpi_command, model_text  # noqa: E402

GOAL = 2.0
MAX_BYTES = 2_000_000


def data_csv(n_indicators: int, months: int) -> str:
    """A month per row (``period``) and a column per input of ``model_text(n_indicators)``."""
    rng = random.Random(17)
    groups = max(1, n_indicators // 8)
    head = ["period"] + [f"{x}{g}" for g in range(groups) for x in ("a", "b")]
    rows = [",".join(head)]
    for m in range(1, months + 1):
        rows.append(",".join([f"2025-{m:02d}"] + [str(rng.randint(5, 120)) for _ in head[1:]]))
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> tuple[float, int]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--indicators", type=int, default=1000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        model, data, page = Path(tmp) / "model.kpi", Path(tmp) / "months.csv", Path(tmp) / "report.html"
        model.write_text(model_text(args.indicators), encoding="utf-8")
        data.write_text(data_csv(args.indicators, args.months), encoding="utf-8")
        common = [str(model), "--data", str(data)]
        json, html = alternately([kpi_command() + ["eval", *common, "--format", "json"],
                                  kpi_command() + ["report", *common, "-o", str(page)]], cwd=tmp,
                                 repeat=args.repeat, envs=[None, {"SOURCE_DATE_EPOCH": "0"}])
        size = page.stat().st_size
    ratio = html / json
    ok = ratio <= GOAL and size < MAX_BYTES
    print(f"R1 report: kpi report of {args.indicators} indicators × {args.months} months {html * 1000:.0f} ms, "
          f"{size / 1e6:.2f} MB; kpi eval --format json {json * 1000:.0f} ms; ratio {ratio:.2f} "
          f"(goal ≤ {GOAL}, < {MAX_BYTES / 1e6:.0f} MB) {'ok' if ok else 'MISSED'}")
    return ratio, size


if __name__ == "__main__":
    ratio, size = main()
    sys.exit(0 if ratio <= GOAL and size < MAX_BYTES else 1)
