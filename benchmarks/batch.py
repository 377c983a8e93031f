#!/usr/bin/env python
"""Performance goal P3: `kpi eval --data rows.csv --format csv` on a 100,000-row batch.

Generates a CSV batch for examples/ecommerce.kpi and times, end to end in fresh processes:

  (a) a hand-written script: the csv module plus NumPy, computing the tree's values and scores
      directly and writing a CSV (the `handwritten` function below);
  (b) `python -m kpidsl eval --data rows.csv --format csv examples/ecommerce.kpi > out.csv`;
  (c) the vectorised path in-process (read_csv_columns/select_batch -> evaluate_columns -> CSV text
      written to a file), started as `python -c`, i.e. what the CLI runs once it is wired.

Prints medians of 3 and the ratios (b)/(a) and (c)/(a); the goal is a ratio of at most 2.0, with
(c) agreeing with (a) to 1e-12 and (b) writing what (c) writes. Exits 1 when any of that fails.

    python benchmarks/batch.py                 # 100,000 rows
    python benchmarks/batch.py --rows 10000 --runs 5
    python benchmarks/batch.py --skip-cli      # leave out (b) (slow before the CLI is wired)
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples" / "ecommerce.kpi"
COLUMNS = ("orders", "avg_order_value", "violations", "repeat_rate", "new_customers", "cart_abandonment",
           "ad_impressions", "ad_clicks", "csat_product", "csat_delivery", "csat_support")


def generate(path: str, rows: int, seed: int = 2025) -> None:
    """A batch of plausible months: one row per scenario, every input supplied."""
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for _ in range(rows):
            impressions = rnd.randint(0, 600_000) if rnd.random() > 0.001 else 0  # a few divisions by zero
            fh.write(",".join((
                str(rnd.randint(800, 1600)),
                str(rnd.randint(5000, 8000)),
                "1" if rnd.random() < 0.03 else "0",
                f"{rnd.uniform(0.6, 0.85):.4f}",
                str(rnd.randint(120, 260)),
                f"{rnd.uniform(0.12, 0.32):.3f}",
                str(impressions),
                str(rnd.randint(0, 40_000)),
                f"{rnd.uniform(70, 95):.1f}",
                f"{rnd.uniform(70, 95):.1f}",
                f"{rnd.uniform(70, 95):.1f}",
            )) + "\n")


# --------------------------------------------------------------------------------------------------
# (a) the hand-written baseline: what someone would write for this one tree without the language


def handwritten(inp: str, out: str) -> None:
    import csv

    import numpy as np

    with open(inp, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    cols = {h: np.array([float(c) if c else np.nan for c in col]) for h, col in zip(header, zip(*rows))}
    n = len(rows)
    tol = lambda t: 1e-9 * max(1.0, abs(t))  # noqa: E731

    with np.errstate(all="ignore"):
        monthly = cols["orders"] * cols["avg_order_value"]
        annual = monthly * 12
        compliance = cols["violations"]
        ctr = np.where(cols["ad_impressions"] == 0, np.nan, cols["ad_clicks"] / cols["ad_impressions"])
        satisfaction = (cols["csat_product"] + cols["csat_delivery"] + cols["csat_support"]) / 3
        repeat, cart, newc = cols["repeat_rate"], cols["cart_abandonment"], cols["new_customers"]

        def at_least(a, t, baseline=None, stretch=None, cap=1.2):
            met = a >= t - tol(t)
            if stretch is None:
                yes = 1.0
            else:
                yes = 1.0 + (cap - 1.0) * np.clip((a - t) / (stretch - t), 0.0, 1.0)
            no = np.maximum(0.0, (a - baseline) / (t - baseline)) if baseline is not None else np.maximum(0.0, a / t)
            return np.where(np.isnan(a), np.nan, met), np.where(np.isnan(a), np.nan, np.where(met, yes, no))

        def at_most(a, t):
            met = a <= t + tol(t)
            no = np.where(a > 0, t / a, 0.0)
            return np.where(np.isnan(a), np.nan, met), np.where(np.isnan(a), np.nan, np.where(met, 1.0, no))

        m_monthly, s_monthly = at_least(monthly, 833e4, baseline=700e4, stretch=950e4)
        m_cart, s_cart = at_most(cart, 0.2)
        m_repeat, a_repeat = at_least(repeat, 0.75)
        s_repeat = 1.0 * s_cart
        m_new, s_new = at_least(newc, 200.0)
        m_ctr, s_ctr = at_least(ctr, 0.05)
        m_sat, s_sat = at_least(satisfaction, 85.0)
        m_annual, a_annual = at_least(annual, 1e8)
        compliance_met = np.abs(compliance) <= tol(0.0)
        compliance_score = np.where(compliance_met, 1.0, 0.0)
        s_annual = 0.4 * s_monthly + 0.35 * s_repeat + 0.25 * s_new
        s_annual = np.where(compliance_met, s_annual, 0.0)

    def status(s):
        return np.where(np.isnan(s), "no-data", np.where(s >= 1.0 - 1e-9, "green",
                                                         np.where(s >= 0.8 - 1e-9, "amber", "red")))

    def num(a):
        return ["" if x != x else repr(float(f"{x:.12g}")) for x in a.tolist()]

    def met(m):
        return ["" if x != x else "true" if x else "false" for x in np.asarray(m, dtype=float).tolist()]

    blank = [""] * n
    declared = [  # name, label, kind, unit, target, value, met, achievement, score, status
        ("annual_sales", "年销售额", "kgi", "JPY", ">= 1亿", annual, m_annual, a_annual, s_annual,
         np.where(compliance_met, status(s_annual), "vetoed")),
        ("monthly_sales", "月销售额", "kpi", "", ">= 833万", monthly, m_monthly, s_monthly, s_monthly,
         status(s_monthly)),
        ("repeat_rate", "重复购买率", "kpi", "%", ">= 75%", repeat, m_repeat, a_repeat, s_repeat, status(s_repeat)),
        ("cart_abandonment", "购物车放弃率", "kpi", "%", "<= 20%", cart, m_cart, s_cart, s_cart, status(s_cart)),
        ("new_customers", "新客户数", "kpi", "", ">= 200", newc, m_new, s_new, s_new, status(s_new)),
        ("compliance", "合规", "veto", "", "'== 0", compliance, compliance_met, compliance_score, compliance_score,
         np.where(compliance_met, "pass", "fail")),
        ("ad_ctr", "广告点击率", "metric", "%", ">= 5%", ctr, m_ctr, s_ctr, s_ctr, status(s_ctr)),
        ("satisfaction", "顾客满意度", "metric", "", ">= 85", satisfaction, m_sat, s_sat, s_sat, status(s_sat)),
    ]
    inputs = [("orders", "月订单数", "orders"), ("avg_order_value", "客单价", "JPY"), ("violations", "合规违规次数", ""),
              ("ad_impressions", "广告展示次数", ""), ("ad_clicks", "广告点击次数", ""),
              ("csat_product", "满意度：商品", ""), ("csat_delivery", "满意度：配送", ""),
              ("csat_support", "满意度：客服", "")]
    columns = []
    for name, label, kind, unit, target, value, m, a, s, st in declared:
        columns.append((name, label, kind, unit, target, num(value), met(m), num(a), num(s), st.tolist()))
    for name, label, unit in inputs:
        columns.append((name, label, "input", unit, "", num(cols[name]), blank, blank, blank, blank))
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["scenario", "indicator", "label", "kind", "unit", "target", "value", "met", "achievement",
                    "score", "status"])
        for i in range(n):
            sc = f"row{i + 1}"
            w.writerows([sc, name, label, kind, unit, target, v[i], m[i], a[i], s[i], st[i]]
                        for name, label, kind, unit, target, v, m, a, s, st in columns)


# --------------------------------------------------------------------------------------------------
# (c) the vectorised path, as the CLI will run it

VECTORISED = r"""
import sys
from kpidsl import api
from kpidsl.data import iter_results_csv, select_batch
from kpidsl.evaluation.arrays import evaluate_columns
model_path, data, out = sys.argv[1:4]
model = api.load(model_path)
assert not any(f.is_error for f in model.findings)
names, columns, n = select_batch(model, data)
result = evaluate_columns(model, columns, n)
if result.missing:
    sys.exit("missing values")
with open(out, "w", encoding="utf-8", newline="") as fh:
    for piece in iter_results_csv(model, names, result.fields):
        fh.write(piece)
"""


def timed(cmd: list[str], stdout=None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=stdout, cwd=ROOT)
    return time.perf_counter() - t0


def median_time(cmd: list[str], runs: int, out_path: str | None = None) -> float:
    times = []
    for _ in range(runs):
        if out_path is not None:
            with open(out_path, "w") as fh:
                times.append(timed(cmd, stdout=fh))
        else:
            times.append(timed(cmd))
    return statistics.median(times)


def _compare(a_path: str, b_path: str) -> tuple[int, int]:
    """(lines compared, lines whose cells differ beyond 1e-12 or in text) between two result CSVs."""
    import csv

    with open(a_path, newline="", encoding="utf-8") as fa, open(b_path, newline="", encoding="utf-8") as fb:
        ra, rb = list(csv.reader(fa)), list(csv.reader(fb))
    if len(ra) != len(rb):
        return len(ra), abs(len(ra) - len(rb))
    bad = 0
    for x, y in zip(ra, rb):
        if x == y:
            continue
        for u, v in zip(x, y):
            if u == v:
                continue
            try:
                if math.isclose(float(u), float(v), rel_tol=1e-12, abs_tol=1e-12):
                    continue
            except ValueError:
                pass
            bad += 1
            break
    return len(ra), bad


GOAL = 2.0


def main() -> int:
    """Exits 1 when the goal is missed or when the outputs differ (``benchmarks/run`` reports it)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-cli", action="store_true", help="do not time (b), the kpi command")
    ap.add_argument("--handwritten", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.handwritten:
        handwritten(*args.handwritten)
        return 0
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "rows.csv")
        generate(data, args.rows)
        out_a, out_b, out_c = (os.path.join(tmp, f"out_{k}.csv") for k in "abc")
        print(f"{args.rows:,} rows, {os.path.getsize(data) / 1e6:.1f} MB; medians of {args.runs}; {sys.version.split()[0]}")
        a = median_time([py, __file__, "--handwritten", data, out_a], args.runs)
        print(f"(a) hand-written csv + NumPy script     {a:7.3f} s")
        c = median_time([py, "-c", VECTORISED, str(MODEL), data, out_c], args.runs)
        print(f"(c) vectorised path in-process          {c:7.3f} s   (c)/(a) = {c / a:.2f}")
        lines, bad = _compare(out_a, out_c)
        print(f"    (c) against (a): {lines - 1:,} rows, {bad} differ beyond 1e-12")
        met = bad == 0 and c / a <= GOAL
        if not args.skip_cli:
            cmd = [py, "-m", "kpidsl", "eval", "--data", data, "--format", "csv", str(MODEL)]
            try:
                b = median_time(cmd, args.runs, out_b)
            except subprocess.CalledProcessError as exc:
                print(f"(b) kpi eval --format csv failed (exit {exc.returncode})")
                met = False
            else:
                print(f"(b) python -m kpidsl eval --format csv  {b:7.3f} s   (b)/(a) = {b / a:.2f}")
                with open(out_b, encoding="utf-8") as fb, open(out_c, encoding="utf-8") as fc:
                    same = fb.read() == fc.read()
                print(f"    (b) and (c) write {'the same' if same else 'DIFFERENT'} text")
                met = met and same and b / a <= GOAL
        print(f"P3 batches: goal ratio <= {GOAL} with the same results: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
