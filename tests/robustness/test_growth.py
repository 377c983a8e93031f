"""Time and memory that grow no faster than the input (docs/robustness.md, "Time and memory").

Each generator makes a file of a given size out of one pattern that a class of inputs repeats: an
open string of escaped quotes, a chain of scenarios or of parents, one long string, declarations,
declarations cut in the middle, orphan kpis, unknown names, a long name before a syntax error, many
findings on one line, an example repeated, and each token of the fuzz suite repeated.

- **Time**: every command on every generator, in this process, at three sizes a factor 2 apart
  (the best of a few runs each); the exponent fitted to time against size (the slope of log time
  on log size) must stay below ``MAX_EXPONENT``: work linear in the input gives 1 (less, while
  fixed costs weigh), work quadratic in it 2.
- **Memory**: one command on one file in a child process; its peak resident memory, less that of
  the same command on a tiny file, divided by the file's size.

``KPI_GROWTH_SCALE=4`` runs the time tests at four times the sizes.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import source_env
from kpidsl.cli.commands import cli
from robustness.test_fuzz import TOKENS

ROOT = Path(__file__).resolve().parents[2]
HEADER = 'model "M" { owner: "o"  period: monthly }\ninput x { source: "s" }\n'

#: Above this fitted exponent a command's time grows faster than its input (quadratic gives 2).
MAX_EXPONENT = 1.5
SCALE = int(os.environ.get("KPI_GROWTH_SCALE", "1"))


# ---------------------------------------------------------------------------------------------
# Generators: size in bytes -> the file's bytes (about that size)


def _repeat(head: str, unit: str, size: int, tail: str = "") -> bytes:
    return (head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail).encode()


def open_escapes(size: int) -> bytes:
    """A string left open, full of escaped quotes: each quote could start a string again."""
    return _repeat('kgi k { owner: "', '\\"', size)


def scenario_chain(size: int) -> bytes:
    """Scenarios each extending the one before."""
    head = HEADER + "kgi g { value: x  target: >= 1 }\nscenario s0 { x: 1 }\n"
    n = max(2, (size - len(head)) // 32)
    return (head + "".join(f"scenario s{i} extends s{i - 1} {{ }}\n" for i in range(1, n))).encode()


def dated_scenario_chain(size: int) -> bytes:
    """Scenarios each extending the one before, the first with an as-of date past the deadline."""
    head = (HEADER.replace("monthly }", "monthly  due: 2025-06-30 }") + "kgi g { value: x  target: >= 1 }\n"
            "scenario s0 { x: 0  as_of: 2025-07-01 }\n")
    n = max(2, (size - len(head)) // 32)
    return (head + "".join(f"scenario s{i} extends s{i - 1} {{ }}\n" for i in range(1, n))).encode()


def parent_chain(size: int) -> bytes:
    """Kpis each the `parent:` of the next: one chain as deep as the file is long."""
    n = max(2, size // 58)
    return ('model "Deep" { owner: "O"  period: yearly }\nkgi k0 { target: >= 1  source: "S" }\n'
            + "".join(f'kpi k{i} {{ parent: k{i - 1}  target: >= 1  source: "S" }}\n' for i in range(1, n))
            + "scenario s { " + "  ".join(f"k{i}: 2" for i in range(n)) + " }\n").encode()


def one_string(size: int) -> bytes:
    """One label as long as the file."""
    return (HEADER + 'kgi g "' + "a" * size + '" { value: x  target: >= 1 }\nscenario s { x: 2 }\n').encode()


def declarations(size: int) -> bytes:
    """A model of the shape of the benchmarks: kgis of six weighted kpis whose formulas read two
    inputs, and a scenario with every input."""
    out, inputs, total, g = ['model "Generated" { owner: "Planning"  period: monthly }\n'], [], 0, 0
    while total < size:
        group = [f'input a{g} "A {g}" {{ source: "ERP" }}\ninput b{g} {{ source: "CRM" }}\n'
                 f'kgi goal{g} "Goal {g}" {{\n  value: a{g} + b{g}\n  target: >= 90\n  owner: "Owner {g}"\n']
        group += [f"  kpi k{g}_{k} {{ value: a{g} * {k + 1} + b{g} / 2  weight: {20 if k < 2 else 15}%  "
                  "baseline: 10  target: >= 100  stretch: 150 }\n" for k in range(6)]
        group.append("}\n")
        inputs += [f"a{g}: 50", f"b{g}: 40"]
        total += sum(map(len, group)) + 16
        out += group
        g += 1
    return ("".join(out) + "scenario s { " + "  ".join(inputs) + " }\n").encode()


def many_scenarios(size: int) -> bytes:
    """Declarations, then twenty scenarios each extending the first with a value of its own: every
    scenario is evaluated over the whole model, so eval must not hold them all."""
    text = declarations(size).decode()
    return (text + "".join(f"scenario t{i} extends s {{ a0: {i} }}\n" for i in range(20))).encode()


def chain_of_values(size: int) -> bytes:
    """A chain of scenarios each extending the one before with a value for one more input: each
    scenario's values are all those before it, so they must not all be held resolved at once."""
    n = max(2, size // 70)
    return ('model "M" { owner: "o"  period: monthly }\nkgi g { value: x0  target: >= 1 }\n'
            + "".join(f'input x{i} {{ source: "s" }}\n' for i in range(n)) + "scenario s0 { x0: 1 }\n"
            + "".join(f"scenario s{i} extends s{i - 1} {{ x{i}: {i} }}\n" for i in range(1, n))).encode()


def cut(size: int) -> bytes:
    """Declarations cut in the middle of one: a syntax error halfway through the file."""
    whole = declarations(2 * size)
    return whole[:len(whole) // 2]


def orphans(size: int) -> bytes:
    """Kpis that link to nothing: a finding for every 40 bytes."""
    n = max(1, (size - len(HEADER)) // 40)
    return (HEADER + "".join(f"kpi o{i} {{ value: x  target: >= 1 }}\n" for i in range(n))).encode()


def unknown_names(size: int) -> bytes:
    """Formulas and parents that name undeclared indicators: each finding suggests a name."""
    n = max(1, (size - len(HEADER)) // 66)
    return (HEADER + "kgi g { target: >= 1 }\n"
            + "".join(f"kpi k{i} {{ value: y{i}  parent: p{i}  target: >= 1 }}\n" for i in range(n))).encode()


def long_name_error(size: int) -> bytes:
    """A syntax error after a name as long as the file."""
    return (HEADER + "kgi g { value: x + " + "a" * size + " = 1 }\n").encode()


def findings_on_one_line(size: int) -> bytes:
    """A line of entries given twice: many findings on one long line."""
    return _repeat(HEADER + 'kgi g { value: x  target: >= 1 ', 'owner: "o" ', size, "}\n")


def _example(name: str):
    text = (ROOT / "examples" / f"{name}.kpi").read_text(encoding="utf-8")

    def repeated(size: int) -> bytes:
        """An example written again and again (its names declared many times)."""
        return (text * max(1, size // len(text))).encode()

    return repeated


def _token(token: bytes, where: str):
    head = {"alone": b"", "in a value": (HEADER + "kgi g { value: ").encode()}[where]

    def repeated(size: int) -> bytes:
        return head + token * max(1, (size - len(head)) // len(token))

    return repeated


CHECK, FMT = ["check", "--no-cache"], ["fmt", "--check"]
EVAL = [["eval", "--allow-missing"], ["eval", "--allow-missing", "--format", "json"]]
#: Every command, and every output format whose size a class of input could blow up.
ALL = [["check", "--no-cache"], ["check", "--no-cache", "--format", "sarif"], ["eval", "--allow-missing"],
       ["eval", "--allow-missing", "--format", "json"], ["eval", "--allow-missing", "--format", "tree"],
       ["test"], ["fmt", "--check"], ["tree"], ["tree", "--format", "mermaid"]]
#: Every command once.
EACH = [["check", "--no-cache"], ["eval", "--allow-missing"], ["test"], ["fmt", "--check"], ["tree"]]
#: What evaluates, and what only reads: a deep chain is cheap to check and costly to evaluate.
EVALUATING = [args for args in ALL if args[0] in ("eval", "test")]
READING = [args for args in ALL if args[0] not in ("eval", "test")]

#: name -> (generator, smallest size, commands). The sizes are where quadratic work already takes
#: most of the time, and small enough that the largest run takes a fraction of a second.
GROWTH = {
    "open string of escaped quotes": (open_escapes, 2_000, ALL),
    "scenario chain": (scenario_chain, 6_000, ALL),
    "scenario chain with an as-of date": (dated_scenario_chain, 6_000, EVALUATING),
    "parent chain": (parent_chain, 116_000, READING),
    "parent chain, evaluated": (parent_chain, 12_000, EVALUATING),
    "one long string": (one_string, 250_000, EACH),
    "declarations": (declarations, 8_000, ALL),
    "declarations cut": (cut, 40_000, EACH),
    "orphan kpis": (orphans, 16_000, ALL),
    "unknown names": (unknown_names, 25_000, EACH),
    "long name before an error": (long_name_error, 8_000, EACH),
    "findings on one line": (findings_on_one_line, 8_000, EACH),
    **{f"{name} repeated": (_example(name), 12_000, EACH)
       for name in ("ecommerce", "customer_service", "manufacturing", "sales_department")},
    **{f"fuzz token {i} {where}": (_token(token, where), 6_000, EACH)
       for i, token in enumerate(TOKENS) for where in ("alone", "in a value")},
}


# ---------------------------------------------------------------------------------------------
# Time


def _seconds(args: list[str], path: Path) -> float:
    """The best time of three in-process runs (two when they are long, one when it is very long)."""
    runner, best, spent = CliRunner(), math.inf, 0.0
    for run in range(3):
        start = time.perf_counter()
        result = runner.invoke(cli, [*args, str(path)], prog_name="kpi", env={"NO_COLOR": "1"})
        took = time.perf_counter() - start
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 1, 2), result.output[-300:]
        best, spent = min(best, took), spent + took
        if took > 2 or run and spent > 0.2:
            break
    return best


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """The least-squares slope of log(seconds) on log(size)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


@pytest.mark.parametrize("name", GROWTH)
def test_time_grows_linearly(name, tmp_path):
    make, smallest, commands = GROWTH[name]
    files = []
    for k in (1, 2, 4):
        path = tmp_path / f"{k}.kpi"
        path.write_bytes(make(smallest * k * SCALE))
        files.append(path)
    sizes = [p.stat().st_size for p in files]
    slow = []
    for args in commands:
        seconds = [_seconds(args, p) for p in files]
        e = exponent(sizes, seconds)
        if e > MAX_EXPONENT:  # measure again before failing: the machine may have been busy
            seconds = [min(t, _seconds(args, p)) for t, p in zip(seconds, files)]
            e = exponent(sizes, seconds)
        if e > MAX_EXPONENT:
            slow.append(f"kpi {' '.join(args)}: {', '.join(f'{t * 1000:.0f} ms' for t in seconds)} "
                        f"for {', '.join(f'{s:,}' for s in sizes)} bytes (exponent {e:.2f})")
    assert not slow, "\n".join(slow)


def test_a_syntax_error_costs_about_what_the_valid_file_costs(tmp_path):
    # the declarations before the error are the fast parser's; lark reads only from the last one on
    valid, broken = tmp_path / "valid.kpi", tmp_path / "broken.kpi"
    valid.write_bytes(declarations(400_000))
    broken.write_bytes(cut(400_000))
    assert _seconds(CHECK, broken) < 2 * _seconds(CHECK, valid)


def test_the_fit_tells_linear_from_quadratic():
    sizes = [1000, 2000, 4000]
    assert exponent(sizes, [0.01, 0.02, 0.04]) == pytest.approx(1)
    assert exponent(sizes, [0.01, 0.04, 0.16]) == pytest.approx(2)
    assert exponent(sizes, [0.011, 0.012, 0.014]) < 0.5  # fixed costs first


# ---------------------------------------------------------------------------------------------
# Memory

_PEAK = """import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"""


def peak_kb(args: list[str], path: Path) -> int:
    """The peak resident memory (KB) of ``kpi ARGS PATH`` in a child process."""
    done = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, "-m", "kpidsl", *args, str(path)],
                          capture_output=True, text=True, env=source_env(), timeout=300, check=True)
    code, peak = map(int, done.stdout.split())
    assert code in (0, 1, 2), (args, code)
    return peak


_BASELINES: dict[tuple[str, ...], int] = {}


def ratio(args: list[str], path: Path, tmp_path: Path) -> float:
    """Peak memory of ``kpi ARGS PATH`` less that of the same command on a tiny file, per byte of the file."""
    key = tuple(args)
    if key not in _BASELINES:
        tiny = tmp_path / "tiny.kpi"
        tiny.write_bytes(HEADER.encode() + b"kgi g { value: x  target: >= 1 }\nscenario s { x: 1 }\n")
        _BASELINES[key] = min(peak_kb(args, tiny) for _ in range(2))
    return (peak_kb(args, path) - _BASELINES[key]) * 1024 / path.stat().st_size


#: Every output format of check and of eval.
CHECKS = [CHECK + ["--format", f] for f in ("text", "json", "sarif", "github")]
EVALS = [["eval", "--allow-missing", "--format", f] for f in ("table", "json", "csv", "tree")]
#: (generator, size, command, the most memory it may take per byte of the file): 40 for check and
#: fmt, 60 for eval, whatever the file holds (docs/robustness.md, "Time and memory").
MEMORY = [
    *[(make, size, args, 40) for make, size in ((one_string, 2_000_000), (open_escapes, 1_000_000), (cut, 2_000_000),
                                                (declarations, 1_000_000), (orphans, 1_000_000),
                                                (unknown_names, 1_000_000), (findings_on_one_line, 1_000_000))
      for args in (CHECK, FMT)],
    *[(make, 1_000_000, args, 40) for make in (orphans, findings_on_one_line) for args in CHECKS[1:]],
    *[(make, size, args, 60) for make, size in ((one_string, 2_000_000), (declarations, 1_000_000),
                                                (many_scenarios, 1_000_000)) for args in EVALS],
    *[(make, size, args, 60) for make, size in ((open_escapes, 1_000_000), (cut, 2_000_000), (orphans, 1_000_000),
                                                (unknown_names, 1_000_000), (findings_on_one_line, 1_000_000))
      for args in EVAL],
    (chain_of_values, 200_000, ["test"], 60),
]


@pytest.mark.parametrize("make, size, args, most", MEMORY,
                         ids=[f"{m.__name__}-{' '.join(a)}" for m, _, a, _ in MEMORY])
def test_memory_stays_within_a_multiple_of_the_file(make, size, args, most, tmp_path):
    path = tmp_path / "big.kpi"
    path.write_bytes(make(size))
    assert ratio(args, path, tmp_path) <= most
