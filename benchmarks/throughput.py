#!/usr/bin/env python3
"""Throughput of `kpi check` against `tomllib` on the same content, and how `check` scales.

Usage: python benchmarks/throughput.py [--decls 10000] [--repeat 15] [--scaling 1000,10000,100000]
       [--no-scaling]

1. Writes a generated model of about ``--decls`` declarations (the shape of ``benchmarks/run``:
   trees of a kgi with six weighted kpis whose formulas read two inputs, a veto and a metric) as a
   ``.kpi`` file and as the same content in TOML (one table per declaration, nested kpis as
   sub-tables, formulas and thresholds as strings, numbers as numbers).
2. Runs cold ``python -c`` processes, alternately, median of ``--repeat`` each (15: on the 2-core
   machine these figures come from, single runs of either vary by ±20%):
   (a) ``tomllib.load`` of the TOML file;
   (b) read the ``.kpi`` file, ``kpidsl.api.compile_text`` and ``kpidsl.api.check(model)``.
   Imports are EXCLUDED from both: each process imports first, then times only the work (reading
   the file included in both). kpidsl's fast parser is plain code: nothing is built or loaded
   before the first parse. Prints declarations per second for both and the ratio kpidsl time / tomllib time
   (goal: at most 1.0), and the page faults of each one's timed work: a first touch of fresh memory
   costs from about 2 to about 10 µs on the virtual machines these figures come from, depending on
   the host, so the side that touches more memory gains or loses the most from one day to the next.
3. Scaling: for each size, cold processes (median of 5) time read + parse + compile + check; it prints the
   cost per declaration and the step ratio to the previous size (goal: no step above 1.3), and at the
   largest size the peak memory of the process (``resource.getrusage`` max RSS, goal under 1 GB).

Exits 1 when a goal is missed (``benchmarks/run`` runs every benchmark and reports that).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(n: int) -> tuple[str, str, int]:
    """About ``n`` declarations as ``.kpi`` text, the same content as TOML, and the declaration count."""
    kpi = ['model "Generated" { owner: "Planning"  period: monthly }']
    toml = ['[model]', 'label = "Generated"', 'owner = "Planning"', 'period = "monthly"', ""]
    count = 0
    for g in range(max(1, n // 10)):
        kpi.append(f'input a{g} "A {g}" {{ source: "ERP" }}')
        kpi.append(f'input b{g} {{ source: "CRM" }}')
        kpi.append(f'kgi goal{g} "Goal {g}" {{\n  value: a{g} + b{g}\n  target: >= 90\n  owner: "Owner {g}"')
        toml += [f"[input.a{g}]", f'label = "A {g}"', 'source = "ERP"', "",
                 f"[input.b{g}]", 'source = "CRM"', "",
                 f"[kgi.goal{g}]", f'label = "Goal {g}"', f'value = "a{g} + b{g}"', 'target = ">= 90"',
                 f'owner = "Owner {g}"', ""]
        for k in range(6):
            w = "20%" if k < 2 else "15%"
            kpi.append(f'  kpi k{g}_{k} {{ value: a{g} * {k + 1} + b{g} / 2  weight: {w}  baseline: 10  '
                       'target: >= 100  stretch: 150 }')
            toml += [f"[kgi.goal{g}.kpi.k{g}_{k}]", f'value = "a{g} * {k + 1} + b{g} / 2"',
                     f"weight = {0.2 if k < 2 else 0.15}", "baseline = 10", 'target = ">= 100"',
                     "stretch = 150", ""]
        kpi.append(f'  veto v{g} {{ value: b{g}  target: <= 1万 }}')
        kpi.append("}")
        kpi.append(f'metric m{g} {{ value: max(a{g}, b{g}) - min(a{g}, 1)  target: 0 .. 500 }}')
        toml += [f"[kgi.goal{g}.veto.v{g}]", f'value = "b{g}"', 'target = "<= 1万"', "",
                 f"[metric.m{g}]", f'value = "max(a{g}, b{g}) - min(a{g}, 1)"', 'target = "0 .. 500"', ""]
        count += 10
    return "\n".join(kpi) + "\n", "\n".join(toml) + "\n", count


_TOML_CHILD = """
import sys, time, tomllib, resource
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t = time.perf_counter()
with open(sys.argv[1], "rb") as fh:
    data = tomllib.load(fh)
took = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
print(took, usage.ru_maxrss, usage.ru_minflt - faults)
"""

_KPI_CHILD = """
import sys, time, resource
sys.path.insert(0, sys.argv[2])
from kpidsl import api
from kpidsl.parsing import parser
import kpidsl.checking.lint, kpidsl.parsing.descent  # imports are excluded; lark is imported only after a syntax error
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t = time.perf_counter()
text, found = api.read_source(sys.argv[1])
model, found = api.compile_text(text, sys.argv[1])
findings = api.check(model)
took = time.perf_counter() - t
assert model is not None and not findings, findings[:3]
usage = resource.getrusage(resource.RUSAGE_SELF)
print(took, usage.ru_maxrss, usage.ru_minflt - faults)
"""


def _run(code: str, *args: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return [float(x) for x in out.stdout.split()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--decls", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--scaling", default="1000,10000,100000")
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{platform.system()}; cold processes, imports excluded (timed inside each process)")
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        kpi_text, toml_text, count = generate(args.decls)
        kpi_path, toml_path = Path(tmp, "model.kpi"), Path(tmp, "model.toml")
        kpi_path.write_text(kpi_text, encoding="utf-8")
        toml_path.write_text(toml_text, encoding="utf-8")
        tomls, kpis = [], []
        for _ in range(args.repeat):  # alternately, so that a busy spell weighs on both
            tomls.append(_run(_TOML_CHILD, str(toml_path)))
            kpis.append(_run(_KPI_CHILD, str(kpi_path), str(ROOT)))
        # each child prints (seconds, peak RSS in KB, page faults of the timed work)
        t_toml, t_kpi = (statistics.median(r[0] for r in runs) for runs in (tomls, kpis))
        # page faults of the timed work: first touches of fresh memory, whose cost varies with the host
        f_toml, f_kpi = (int(statistics.median(r[2] for r in runs)) for runs in (tomls, kpis))
        print(f"{count:,} declarations: .kpi {len(kpi_text.encode()):,} bytes, TOML {len(toml_text.encode()):,} bytes")
        print(f"  tomllib.load                        {t_toml * 1000:8.1f} ms  {count / t_toml:>9,.0f} decl/s"
              f"  {f_toml:,} page faults")
        print(f"  kpidsl read+compile_text+check      {t_kpi * 1000:8.1f} ms  {count / t_kpi:>9,.0f} decl/s"
              f"  {f_kpi:,} page faults")
        ratio = t_kpi / t_toml
        print(f"  ratio kpidsl / tomllib: {ratio:.2f}  (goal <= 1.0: {'met' if ratio <= 1.0 else 'NOT met'})")
        result.update(decls=count, tomllib_s=t_toml, kpidsl_s=t_kpi, ratio=ratio,
                      tomllib_faults=f_toml, kpidsl_faults=f_kpi)
        if not args.no_scaling:
            print("scaling (read + parse + compile + check, median of 5 cold processes per size):")
            prev = None
            steps = []
            for n in (int(s) for s in args.scaling.split(",")):
                text, _, c = generate(n)
                path = Path(tmp, f"scale{n}.kpi")
                path.write_text(text, encoding="utf-8")
                runs = [_run(_KPI_CHILD, str(path), str(ROOT)) for _ in range(5)]
                took = statistics.median(r[0] for r in runs)  # one slow spell must not decide a step
                rss_kb = max(r[1] for r in runs)
                per = took / c
                step = per / prev if prev else None
                steps.append(step)
                print(f"  {c:>8,} decl  {took * 1000:9.1f} ms  {per * 1e6:7.2f} µs/decl"
                      + (f"  step {step:.2f}" if step else "")
                      + f"  peak RSS {rss_kb / 1024:7.1f} MB")
                prev = per
                result.setdefault("scaling", []).append(dict(decls=c, seconds=took, us_per_decl=per * 1e6,
                                                             step=step, peak_rss_mb=rss_kb / 1024))
            worst = max((s for s in steps if s), default=1.0)
            print(f"  worst step {worst:.2f} (goal <= 1.3: {'met' if worst <= 1.3 else 'NOT met'}); "
                  f"peak RSS at the largest size {result['scaling'][-1]['peak_rss_mb']:.0f} MB "
                  f"(goal < 1024: {'met' if result['scaling'][-1]['peak_rss_mb'] < 1024 else 'NOT met'})")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    met = result["ratio"] <= 1.0
    if "scaling" in result:
        worst = max((r["step"] for r in result["scaling"] if r["step"]), default=1.0)
        met = met and worst <= 1.3 and result["scaling"][-1]["peak_rss_mb"] < 1024
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
