#!/usr/bin/env python3
"""Time parse, compile (with every check), and evaluation on generated models.

Usage: python benchmarks/stages.py [--sizes 1000,10000,100000] [--scenarios 20]

A model of N indicators is N/10 trees: a kgi with six weighted kpis (formulas over two inputs
each), a veto and a metric. Prints indicators per second for each stage.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpidsl import evaluate  # noqa: E402
from kpidsl.parsing import lark_backend, parser  # noqa: E402
from kpidsl.compiler import passes as compiler
from kpidsl.errors import FindingSink  # noqa: E402


def generate(n: int) -> tuple[str, dict[str, float]]:
    """A model of about ``n`` indicators (inputs included) and one scenario's values."""
    out = ['model "Generated" { owner: "Planning"  period: monthly }']
    values = {}
    for g in range(max(1, n // 10)):
        out.append(f'input a{g} "A {g}" {{ source: "ERP" }}')
        out.append(f'input b{g} {{ source: "CRM" }}')
        out.append(f'kgi goal{g} "Goal {g}" {{\n  value: a{g} + b{g}\n  target: >= 90\n  owner: "Owner {g}"')
        for k in range(6):
            out.append(f'  kpi k{g}_{k} {{ value: a{g} * {k + 1} + b{g} / 2  weight: '
                       f'{"20%" if k < 2 else "15%"}  baseline: 10  target: >= 100  stretch: 150 }}')
        out.append(f'  veto v{g} {{ value: b{g}  target: <= 1万 }}')
        out.append("}")
        out.append(f'metric m{g} {{ value: max(a{g}, b{g}) - min(a{g}, 1)  target: 0 .. 500 }}')
        values[f"a{g}"] = 10.0 + g % 50
        values[f"b{g}"] = 100.0 + g % 30
    return "\n".join(out) + "\n", values


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2], result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--scenarios", type=int, default=20)
    args = ap.parse_args()
    print(f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
          f"{platform.system()}; medians")
    print(f"{'indicators':>10} {'bytes':>10} | {'parse/s':>10} {'compile+check/s':>16} "
          f"{'eval ms/scenario':>17} {'eval indicators/s':>18}")
    lark_backend._parser()  # built (or loaded from the cache) once per process, as in the CLI
    for n in (int(s) for s in args.sizes.split(",")):
        text, values = generate(n)
        count = text.count("{") - 1  # declarations with a block, the model header aside
        repeat = 5 if n <= 10_000 else 1
        t_parse, tree = best(lambda: parser.parse_text(text, FindingSink("gen.kpi")), repeat)
        t_comp, model = best(lambda: compiler.compile_tree(tree, text, FindingSink("gen.kpi")), repeat)
        assert not model.findings, model.findings[:3]
        k = args.scenarios
        t_eval, _ = best(lambda: [evaluate(model, values, name=str(i)) for i in range(k)], 1)
        per = t_eval / k
        print(f"{count:>10} {len(text.encode()):>10} | {count / t_parse:>10,.0f} {count / t_comp:>16,.0f} "
              f"{per * 1000:>17.2f} {count / per:>18,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
