#!/usr/bin/env python
"""Performance goal P5: 1,000 entities × 24 months through the e-commerce model, to date, from CSV.

Generates a CSV (``entity``, ``period`` and the inputs of examples/ecommerce.kpi, as the e-commerce
model with how each input accumulates, ``MODEL`` below) and times, in this process:

  (a) a pandas script written as an analyst would: ``read_csv``, ``groupby`` and cumulative sums
      (and means) per entity and year, the formulas as column expressions, the scoring as
      ``numpy.where`` (the ``analyst`` function below);
  (b) kpidsl from the same file: ``read_series_columns`` and ``evaluate_rows`` to date (the months
      on their own and the run rate left out, as (a) has neither).

Prints the best of ``--runs`` rounds (the two taking turns) and the ratio (b)/(a); the goal is a ratio of at most 2.0, with
every to-date value and score of (b) equal to (a)'s to 1e-9. Exits 1 when either fails.
pandas is a benchmark dependency only: ``pip install -e '.[bench]'``.

    python benchmarks/to_date.py                  # 1,000 entities × 24 months
    python benchmarks/to_date.py --entities 50 --runs 1
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The e-commerce example with how its inputs accumulate over months (sums by default).
MODEL = (ROOT / "examples" / "ecommerce.kpi").read_text(encoding="utf-8").replace(
    'input avg_order_value "客单价" { unit: JPY  source: "CRM" }',
    'input avg_order_value "客单价" { unit: JPY  source: "CRM"  accumulate: avg }').replace(
    'kpi repeat_rate "重复购买率" { weight: 35%  target: >= 75%  unit: "%"  owner: "CRM team" }',
    'kpi repeat_rate "重复购买率" { weight: 35%  target: >= 75%  unit: "%"  owner: "CRM team"  accumulate: avg }').replace(
    '  unit: "%"\n  type: process', '  unit: "%"\n  accumulate: avg\n  type: process')
MODEL = MODEL.replace('source: "Customer survey"  period: quarterly }',
                      'source: "Customer survey"  period: quarterly  accumulate: avg }')
COLUMNS = ("orders", "avg_order_value", "violations", "repeat_rate", "new_customers", "cart_abandonment",
           "ad_impressions", "ad_clicks", "csat_product", "csat_delivery", "csat_support")


def generate(path: str, entities: int, months: int, seed: int = 2025) -> None:
    """One row per entity and month, every input supplied, rows in a shuffled order of entities."""
    rnd = random.Random(seed)
    periods = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("entity,period," + ",".join(COLUMNS) + "\n")
        for e in rnd.sample(range(entities), entities):
            for p in periods:
                fh.write(f"store{e:04d},{p}," + ",".join((
                    str(rnd.randint(800, 1600)), str(rnd.randint(5000, 8000)), "1" if rnd.random() < 0.01 else "0",
                    f"{rnd.uniform(0.6, 0.85):.4f}", str(rnd.randint(120, 260)), f"{rnd.uniform(0.12, 0.32):.3f}",
                    str(rnd.randint(1, 600_000)), str(rnd.randint(0, 40_000)), f"{rnd.uniform(70, 95):.1f}",
                    f"{rnd.uniform(70, 95):.1f}", f"{rnd.uniform(70, 95):.1f}")) + "\n")


# --------------------------------------------------------------------------------------------------
# (a) the analyst's pandas script


def analyst(path: str):
    import numpy as np
    import pandas as pd

    df = pd.read_csv(path)
    df = df.sort_values(["entity", "period"], kind="stable").reset_index(drop=True)
    df["year"] = df["period"].str[:4]
    g = df.groupby(["entity", "year"], sort=False)
    months = g.cumcount() + 1
    ytd = pd.DataFrame({c: g[c].cumsum() for c in ("orders", "violations", "new_customers", "ad_impressions",
                                                    "ad_clicks")})
    for c in ("avg_order_value", "repeat_rate", "cart_abandonment", "csat_product", "csat_delivery", "csat_support"):
        ytd[c] = g[c].cumsum() / months
    tol = lambda t: 1e-9 * np.maximum(1.0, np.abs(t))  # noqa: E731

    def at_least(a, t, baseline=None, stretch=None, cap=1.2):
        met = a >= t - tol(t)
        yes = 1.0 if stretch is None else 1.0 + (cap - 1.0) * np.clip((a - t) / (stretch - t), 0.0, 1.0)
        no = np.maximum(0.0, (a - baseline) / (t - baseline)) if baseline is not None else np.maximum(0.0, a / t)
        return np.where(met, yes, no)

    def at_most(a, t):
        return np.where(a <= t + tol(t), 1.0, np.where(a > 0, t / a, 0.0))

    out = pd.DataFrame({"entity": df["entity"], "period": df["period"]})
    monthly = ytd["orders"] * ytd["avg_order_value"]
    out["monthly_sales"] = monthly
    out["annual_sales"] = monthly * 12
    out["ad_ctr"] = ytd["ad_clicks"] / ytd["ad_impressions"]
    out["satisfaction"] = (ytd["csat_product"] + ytd["csat_delivery"] + ytd["csat_support"]) / 3
    out["monthly_sales.score"] = at_least(monthly, 833e4, baseline=700e4, stretch=950e4)
    out["cart_abandonment.score"] = at_most(ytd["cart_abandonment"], 0.2)
    out["repeat_rate.score"] = out["cart_abandonment.score"]
    out["new_customers.score"] = at_least(ytd["new_customers"], 200.0 * months)  # additive: 200 a month
    out["ad_ctr.score"] = at_least(out["ad_ctr"], 0.05)
    out["satisfaction.score"] = at_least(out["satisfaction"], 85.0)
    compliant = np.abs(ytd["violations"]) <= 1e-9
    rollup = 0.4 * out["monthly_sales.score"] + 0.35 * out["repeat_rate.score"] + 0.25 * out["new_customers.score"]
    out["annual_sales.score"] = np.where(compliant, rollup, 0.0)
    return out


# --------------------------------------------------------------------------------------------------
# (b) kpidsl


def kpidsl_run(model, path: str):
    from kpidsl import api
    from kpidsl.data import read_series_columns

    series, ids, periods, columns = read_series_columns(path, model)
    return series, ids, periods, api.evaluate_rows(model, columns, ids, periods, own=False, run_rate=False)


def compare(expected, got) -> list[str]:
    """Where (b)'s to-date values and scores differ from (a)'s by more than 1e-9 (relative)."""
    import numpy as np

    series, ids, periods, result = got
    entities = np.array([series[i][1] for i in ids.tolist()])
    order = np.lexsort((np.array([p.text for p in periods]), entities))  # pandas' rows: by entity, then period
    assert (entities[order] == expected["entity"].to_numpy()).all()
    bad = []
    for col in expected.columns[2:]:
        name, _, what = col.partition(".")
        ours = (result.to_date.score if what else result.to_date.value)[name][order]
        theirs = expected[col].to_numpy(dtype=float)
        if not np.allclose(ours, theirs, rtol=1e-9, atol=1e-9, equal_nan=True):
            i = int(np.flatnonzero(~np.isclose(ours, theirs, rtol=1e-9, atol=1e-9, equal_nan=True))[0])
            bad.append(f"{col} row {i}: kpidsl {ours[i]!r}, pandas {theirs[i]!r}")
    return bad


def best(fns, runs: int) -> list[tuple[float, object]]:
    """The best time of each of ``fns`` over ``runs`` rounds, and its last result; the functions take
    turns in each round, so that a busy spell of a shared machine falls on both."""
    times: list[list[float]] = [[] for _ in fns]
    outs: list = [None] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            outs[i] = fn()
            times[i].append(time.perf_counter() - start)
    return [(min(t), out) for t, out in zip(times, outs)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=1000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("to_date.py: pandas is not installed; it is a benchmark dependency only: "
              f"{sys.executable} -m pip install -e '{ROOT}[bench]'", file=sys.stderr)
        return 1
    from kpidsl import api

    model = api.load_text(MODEL, "ecommerce_months.kpi")
    assert model.evaluable, [str(f) for f in model.findings if f.is_error]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "months.csv")
        generate(path, args.entities, args.months)
        kpidsl_run(model, path)  # the plans are built once per model, as in a long-lived process
        (t_a, expected), (t_b, got) = best([lambda: analyst(path), lambda: kpidsl_run(model, path)], args.runs)
    rows = args.entities * args.months
    bad = compare(expected, got)
    ratio = t_b / t_a
    print(f"P5 to date: {args.entities:,} entities × {args.months} months ({rows:,} rows), best of {args.runs}")
    print(f"  (a) pandas, as an analyst writes it   {t_a * 1000:8.1f} ms")
    print(f"  (b) kpidsl read + evaluate_rows       {t_b * 1000:8.1f} ms   ratio {ratio:.2f} (goal ≤ 2.0)")
    for line in bad[:10]:
        print(f"  DIFFERS {line}")
    print("  to-date values and scores agree to 1e-9" if not bad else f"  {len(bad)} columns differ")
    return 0 if ratio <= 2.0 and not bad and not math.isnan(ratio) else 1


if __name__ == "__main__":
    sys.exit(main())
