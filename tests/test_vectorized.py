"""The array runtime (kpidsl.evaluation.arrays) against the scalar runtime, row by row, on the same plan."""

from __future__ import annotations

import datetime
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

import kpidsl  # noqa: E402
from kpidsl.render import evaluation as render_eval  # noqa: E402
from kpidsl import data  # noqa: E402
from kpidsl.evaluation import arrays as vz  # noqa: E402
from kpidsl.data import DataError, check_names, read_data, select  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.kpi"))
NAN = math.nan


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return False
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def supplied_names(model) -> list[str]:
    return [n for n, ind in model.indicators.items() if ind.formula is None]


def columns_of(rows: list[dict], names: list[str]) -> dict:
    return {k: np.array([r.get(k, NAN) for r in rows], dtype=float) for k in names}


def compare(model, rows: list[dict], as_of=None) -> int:
    """Evaluate ``rows`` both ways and compare everything; returns how many rows were compared."""
    names = supplied_names(model)
    batch = vz.evaluate_columns(model, columns_of(rows, names), len(rows), as_of)
    grades = [g.name for g in model.grades]
    compared = 0
    for r, values in enumerate(rows):
        ev = kpidsl.evaluate(model, values, allow_missing=True, as_of=as_of)
        drags = dict(ev.drags)
        compared += 1
        assert batch.missing.get(r, ()) == ev.missing, r
        for nm, res in ev.results.items():
            got_v = float(batch.value[nm][r])
            got_s = float(batch.score[nm][r])
            got_a = float(batch.achievement[nm][r])
            ctx = (r, nm, values)
            assert _same(None if got_v != got_v else got_v, res.value), ctx
            assert _same(None if got_s != got_s else got_s, res.score), ctx
            assert _same(None if got_a != got_a else got_a, res.achievement), ctx
            assert batch.met_value(nm, r) == res.met, ctx
            assert vz.STATUSES[int(batch.status[nm][r])] == res.status, ctx
            drag = float(batch.drags(nm)[r])
            assert _same(None if drag != drag else drag, drags.get(nm)), ctx
            if nm in batch.grade:  # the grade's index, and its coefficient
                g = float(batch.grade[nm][r])
                assert (None if g != g else grades[int(g)]) == res.grade, ctx
                c = float(batch.coefficient[nm][r]) if nm in batch.coefficient else NAN
                assert _same(None if c != c else c, res.coefficient), ctx
            else:
                assert res.grade is None and res.coefficient is None, ctx
    return compared


# ---------------------------------------------------------------------------------------------
# the examples


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_scenarios(path):
    model = kpidsl.load(path)
    assert model.evaluable
    rows = [model.scenario_values(n) for n in model.scenarios]
    assert compare(model, rows) == len(rows)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_csv_text(path):
    model = kpidsl.load(path)
    names = list(model.scenarios)
    rows = [model.scenario_values(n) for n in names]
    batch = vz.evaluate_columns(model, columns_of(rows, supplied_names(model)), len(rows))
    evals = [kpidsl.evaluate(model, v, name=n, allow_missing=True) for n, v in zip(names, rows)]
    assert data.results_csv(model, names, batch.fields) == render_eval.to_csv(model, evals)


def _interesting(model, name):
    """Values near the thresholds of the model, and the usual suspects."""
    xs = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 100.0, 1e300, -1e300, 1e-300]
    for ind in model.indicators.values():
        t = ind.target
        for level in (t and t.value, t and t.low, t and t.high, ind.baseline, ind.stretch):
            if level is not None:
                xs += [level, level * (1 + 1e-10), level * (1 - 1e-10), level + 1, level - 1, level * 1.1]
    return st.one_of(st.none(), st.sampled_from(xs), st.floats(-1e7, 1e7, allow_nan=False))


def _rows(model):
    names = supplied_names(model)
    row = st.fixed_dictionaries({n: _interesting(model, n) for n in names}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})
    return st.lists(row, min_size=1, max_size=12)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_random_rows(path):
    model = kpidsl.load(path)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_rows(model))
    def run(rows):
        compare(model, rows)

    run()


def test_spec_worked_example():
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    rows = [model.scenario_values("q3"), {**model.scenario_values("q3"), "violations": 1.0},
            {k: v for k, v in model.scenario_values("q3").items() if k != "violations"}]
    batch = vz.evaluate_columns(model, columns_of(rows, supplied_names(model)), 3)
    assert batch.score["annual_sales"][0] == pytest.approx(0.835551, abs=1e-6)
    assert batch.status_text("annual_sales") == ["amber", "vetoed", "no-data"]
    assert batch.status_text("compliance") == ["pass", "fail", "no-data"]
    assert batch.score["annual_sales"][1] == 0.0 and math.isnan(batch.score["annual_sales"][2])
    assert batch.missing == {2: ("violations",)}
    assert batch.drags("monthly_sales")[0] == pytest.approx(0.118797, abs=1e-6)
    assert compare(model, rows) == 3


# ---------------------------------------------------------------------------------------------
# generated models

INPUTS = ("x0", "x1", "x2", "x3")
LITERALS = ("0", "1", "2", "0.5", "3", "10", "1e300", "2.5", "0.1", "0.2", "0.3", "100", "1_000", "75%", "1万")


def _exprs(kind: int = 0):
    """Numeric formulas (``kind`` 0) or conditions (1) over the inputs, every operator and function."""
    num_leaf = st.one_of(st.sampled_from(INPUTS), st.sampled_from(INPUTS), st.sampled_from(LITERALS))
    cmp = st.sampled_from(("==", "!=", "<", "<=", ">", ">="))
    cond_leaf = st.one_of(st.sampled_from(("true", "false")),
                          st.tuples(num_leaf, cmp, num_leaf).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                          st.tuples(st.sampled_from(INPUTS), cmp, num_leaf).map(lambda t: f"({t[0]} {t[1]} {t[2]})"))

    def extend(children):
        num, cond = children.map(lambda t: t[0]), children.map(lambda t: t[1])
        return st.tuples(
            st.one_of(
                st.tuples(num, st.sampled_from("+-*/^"), num).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                num.map(lambda a: f"(-{a})"),
                st.tuples(st.sampled_from(("min", "max", "sum", "avg")), st.lists(num, min_size=1, max_size=4))
                .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
                num.map(lambda a: f"abs({a})"),
                num.map(lambda a: f"round({a})"),
                st.tuples(num, st.one_of(st.sampled_from(("0", "1", "2", "0.5", "400")), num))
                .map(lambda t: f"round({t[0]}, {t[1]})"),
                st.tuples(num, num, num).map(lambda t: f"clamp({t[0]}, {t[1]}, {t[2]})"),
                st.tuples(cond, num, num).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
            ),
            st.one_of(
                st.tuples(num, st.sampled_from(("==", "!=", "<", "<=", ">", ">=")), num)
                .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                st.tuples(cond, st.sampled_from(("and", "or")), cond).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                cond.map(lambda c: f"(not {c})"),
                st.tuples(cond, st.sampled_from(("==", "!=")), cond).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                st.tuples(cond, cond, cond).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
            ),
        )

    both = st.recursive(st.tuples(num_leaf, cond_leaf), extend, max_leaves=12)
    return both.map(lambda t: t[kind])


LEVELS = (-5, -1, 0, 0.1, 0.5, 1, 2, 3, 10, 100)
GRADE_FLOORS = (1.1, 1.0, 0.9, 0.8, 0.5, 0.1, 1e-9)


@st.composite
def _target(draw, veto=False):
    kind = draw(st.sampled_from((">=", "<=", "==", "..")))
    a, b, c = sorted(draw(st.lists(st.sampled_from(LEVELS), min_size=3, max_size=3, unique=True)))
    if kind == "==":
        return f"target: == {a}"
    if kind == "..":
        return f"target: {a} .. {c}"
    parts = []
    if kind == ">=":
        parts.append(f"target: >= {b}")
        if not veto and draw(st.booleans()):
            parts.append(f"baseline: {a}")
        if not veto and draw(st.booleans()):
            parts.append(f"stretch: {c}")
    else:
        parts.append(f"target: <= {b}")
        if not veto and draw(st.booleans()):
            parts.append(f"baseline: {c}")
        if not veto and draw(st.booleans()):
            parts.append(f"stretch: {a}")
    return "  ".join(parts)


@st.composite
def models(draw):
    exprs = _exprs()
    lines = ['model "T" {', '  owner: "t"  period: yearly', f"  cap: {draw(st.sampled_from(('120%', '150%')))}"]
    if draw(st.booleans()):
        lines.append("  due: 2025-06-30")
    if draw(st.booleans()):  # grades from the highest band down, the last without `score:`
        floors = sorted(draw(st.lists(st.sampled_from(GRADE_FLOORS), max_size=4, unique=True)), reverse=True)
        for i, floor in enumerate([*floors, None]):
            coef = draw(st.sampled_from(("", "  coefficient: 1.5", "  coefficient: 0", "  coefficient: 80%")))
            score = "" if floor is None else f"score: >= {floor}"
            lines.append(f"  grade g{i} {{ {score}{coef} }}")
    lines.append("}")
    lines += [f"input {x} {{ }}" for x in INPUTS]
    nk = draw(st.integers(1, 4))
    weighted = draw(st.booleans())
    weights = [100 // nk] * nk
    weights[-1] += 100 - sum(weights)

    def body(name, extra, depth):
        parts = [extra]
        if draw(st.booleans()):
            parts.append(f"value: {draw(exprs)}")
        if draw(st.integers(0, 3)):
            parts.append(draw(_target()))
        return parts

    def adjust(lead):  # bonus and deduction items, their total maybe limited
        items = [f"{lead}adjustment a{len(out)}_{j} {{ value: {draw(exprs)} }}" for j in range(draw(st.integers(0, 2)))]
        if items and draw(st.booleans()):
            items.append(f"{lead}adjustments: {draw(st.sampled_from(('-10% .. 5%', '0 .. 0.2', '-1 .. 0')))}")
        return items

    out = ["kgi goal {"]
    out += ["  " + p for p in body("goal", "", 0) if p]
    out += adjust("  ")
    for i in range(nk):
        out.append(f"  kpi k{i} {{")
        out += ["    " + p for p in body(f"k{i}", f"weight: {weights[i]}%" if weighted else "", 1) if p]
        if i == 0 and draw(st.booleans()):
            for j in range(draw(st.integers(1, 2))):
                out.append(f"    kpi k0_{j} {{ {draw(_target())} }}")
            if draw(st.booleans()):
                out.append(f"    veto k0_veto {{ value: {draw(exprs)}  {draw(_target(veto=True))} }}")
            out += adjust("    ")
        out.append("  }")
    for j in range(draw(st.integers(0, 2))):
        value = f"value: {draw(exprs)}  " if draw(st.booleans()) else ""
        out.append(f"  veto v{j} {{ {value}{draw(_target(veto=True))} }}")
    out.append("}")
    for j in range(draw(st.integers(0, 2))):
        target = draw(_target()) if draw(st.booleans()) else ""
        out.append(f"metric m{j} {{ value: {draw(exprs)}  {target} }}")
    return "\n".join(lines + out) + "\n"


VALUES = st.one_of(st.none(), st.sampled_from((0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 0.1, 0.2, 1e300, -1e300,
                                               1e-300, 10.0, 100.0, -5.0, 0.3)),
                   st.floats(-1e6, 1e6, allow_nan=False))


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(models(), st.data(), st.sampled_from((None, datetime.date(2025, 6, 30), datetime.date(2025, 7, 1))))
def test_generated_models(text, data, as_of):
    model, findings = kpidsl.compile_text(text)
    assert model is not None and model.evaluable, (text, [str(f) for f in findings if f.is_error])
    names = supplied_names(model)
    row = st.fixed_dictionaries({n: VALUES for n in names}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})
    rows = data.draw(st.lists(row, min_size=1, max_size=8))
    compared = compare(model, rows, as_of)
    assume(compared > 0)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_exprs(0), min_size=1, max_size=4), st.lists(_exprs(1), min_size=1, max_size=4), st.data())
def test_generated_formulas(numbers, conditions, data):
    """Many formulas per model, conditions turned into numbers, many rows: the helpers' edges."""
    lines = [f"input {x} {{ }}" for x in INPUTS]
    lines += [f"metric n{i} {{ value: {e}  target: >= 0 }}" for i, e in enumerate(numbers)]
    lines += [f"metric c{i} {{ value: if({e}, 1, 0) }}" for i, e in enumerate(conditions)]
    lines += [f"metric d{i} {{ value: if({e}, 1, if(not {e}, 0, 2)) }}" for i, e in enumerate(conditions)]
    model = kpidsl.load_text("\n".join(lines) + "\n")
    assert model.evaluable
    row = st.fixed_dictionaries({n: VALUES for n in INPUTS}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})
    rows = data.draw(st.lists(row, min_size=1, max_size=20))
    compare(model, rows)


@pytest.mark.parametrize("formula, x0, x1, expected", [
    ("x0 / x1", 1.0, 0.0, None),
    ("x0 / x1", 0.0, -0.0, None),
    ("1 / (x0 / x1)", 1.0, 0.0, None),
    ("if((x0 / x1) > 1, 1, 0)", 2.0, 0.0, None),
    ("if(x0 * 1e300 > 1, 1, 0)", 1e300, 0.0, 1.0),
    ("1 / (x0 ^ x1)", 10.0, 400.0, None),
    ("x0 ^ x1", -8.0, 3.0, -512.0),
    ("x0 ^ x1", NAN, 0.0, 1.0),
    ("min(x0, x1)", 0.0, -0.0, 0.0),
    ("max(x1, x0)", -0.0, 0.0, -0.0),
    ("round(x0, x1)", 1e10, 300.0, None),
    ("x0 ^ x1", -8.0, 1 / 3, None),
    ("x0 ^ x1", 10.0, 400.0, None),
    ("x0 ^ x1", 0.0, -1.0, None),
    ("x0 * x1", 1e300, 1e300, None),
    ("if(x0 > x1, 1, 2)", NAN, 1.0, None),
    ("if(x0 > 0 or x1 > 0, 1, 2)", NAN, 1.0, 1.0),
    ("if(x0 > 0 and x1 > 0, 1, 2)", NAN, -1.0, 2.0),
    ("if(not (x0 > 0), 1, 2)", NAN, -1.0, None),
    ("min(x0, x1)", NAN, 1.0, None),
    ("avg(x0, x1, 0.1)", 0.1, 0.1, 0.30000000000000004 / 3),
    ("sum(x0, x1, 0.3)", 0.1, 0.2, 0.6000000000000001),
    ("round(x0)", 2.5, 0.0, 3.0),
    ("round(x0)", -2.5, 0.0, -3.0),
    ("round(x0, x1)", 1.005, 2.0, 1.0),  # 1.005 is 1.00499999999999989…
    ("round(x0, x1)", 1.25, 0.5, None),
    ("clamp(x0, 0, 1)", 2.0, 0.0, 1.0),
    ("abs(x0)", -3.0, 0.0, 3.0),
    ("if((x0 > 1) == (x1 > 1), 1, 0)", 2.0, 3.0, 1.0),
    ("x0 + 0.1 + 0.2", 0.0, 0.0, 0.30000000000000004),
])
def test_formula_edges(formula, x0, x1, expected):
    text = f'input x0 {{ }}\ninput x1 {{ }}\nkgi g {{ value: {formula}  target: >= 0.3 }}\n'
    model = kpidsl.load_text(text)
    values = {k: v for k, v in (("x0", x0), ("x1", x1)) if not math.isnan(v)}
    batch = vz.evaluate_columns(model, columns_of([values], ["x0", "x1"]), 1)
    got = float(batch.value["g"][0])
    ev = kpidsl.evaluate(model, values, allow_missing=True)
    assert _same(None if got != got else got, ev["g"].value)
    assert _same(None if got != got else got, expected)
    compare(model, [values])


def test_tolerance_and_bands():
    text = ('input x { }\nkgi g { value: x + 0.2  target: >= 0.3\n'
            '  kpi a { value: x  target: 0.1 .. 0.2 }\n  kpi b { value: x * 3  target: == 0.3 }\n'
            '  kpi c { value: x  target: <= 0.1  baseline: 1  stretch: 0.05 }\n'
            '  kpi d { value: x  target: <= 0.1 }\n}\n')
    model = kpidsl.load_text(text)
    rows = [{"x": v} for v in (0.1, 0.1 + 1e-10, 0.1 - 1e-10, 0.2 + 2e-9, 0.0, -0.0, 0.5, 2.0, 0.07, 1e-300)] + [{}]
    assert compare(model, rows) == len(rows)


def test_overflow_inside_sum_is_unknown_in_both_runtimes():
    model = kpidsl.load_text("input x { }\nkgi g { value: sum(x, x)  target: >= 1 }\n")
    batch = vz.evaluate_columns(model, {"x": np.array([1e308, 1.0])}, 2)
    assert math.isnan(batch.value["g"][0]) and batch.value["g"][1] == 2.0
    assert compare(model, [{"x": 1e308}, {"x": 1.0}]) == 2


def test_deep_formula_compiles():
    depth = 1500
    model = kpidsl.load_text("input x { }\nkgi g { value: x" + " + 1" * depth + "  target: >= 1 }\n")
    if not model.evaluable:
        pytest.skip("the compiler rejects this depth")
    batch = vz.evaluate_columns(model, {"x": np.array([0.0, NAN])}, 2)
    assert batch.value["g"][0] == depth and math.isnan(batch.value["g"][1])


def test_rejects_unknown_and_computed_names():
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    with pytest.raises(kpidsl.KpiError):
        vz.evaluate_columns(model, {"nope": np.zeros(1)}, 1)
    with pytest.raises(kpidsl.KpiError):
        vz.evaluate_columns(model, {"monthly_sales": np.zeros(1)}, 1)


def test_numpy_not_imported_by_kpidsl():
    out = subprocess.run([sys.executable, "-c", "import sys, kpidsl; print('numpy' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# CSV text and reading


def test_csv_text_small_batch():
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    base = model.scenario_values("q3")
    rows = [base, {**base, "orders": 0.0}, {**base, "violations": 2.0}, {"orders": 5.0},
            {**base, "ad_impressions": 0.0}, {}]
    names = ["a", "with,comma", 'quote"d', "空白 x", "row5", "x\ny"]
    batch = vz.evaluate_columns(model, columns_of(rows, supplied_names(model)), len(rows))
    evals = [kpidsl.evaluate(model, v, name=n, allow_missing=True) for n, v in zip(names, rows)]
    assert data.results_csv(model, names, batch.fields) == render_eval.to_csv(model, evals)
    assert "".join(data.iter_results_csv(model, names, batch.fields, chunk=2)) == data.results_csv(model, names, batch.fields)


def reference(path, model):
    """What `select` reads: the scenarios of the file, names checked."""
    scenarios = read_data(path)
    for ds in scenarios:
        check_names(model, ds.values, ds.where)
    return [ds.name for ds in scenarios], [ds.values for ds in scenarios]


def _rows_from_columns(columns, n):
    return [{k: float(c[i]) for k, c in columns.items() if not math.isnan(c[i])} for i in range(n)]


GOOD = {
    "plain.csv": "orders,avg_order_value,violations\n1150,6900,0\n1300,6_900,1\n",
    "named.csv": "scenario,orders,repeat_rate\nq3,1150,71%\nplan, 1_400 ,77%\nx,,\n",
    "suffixes.csv": "orders,new_customers,avg_order_value\n1.15k,- 5,833万\n1e3,+2,1.1亿\n-0,1E2,0.5\n",
    "blank_lines.csv": "\norders,violations\n1,0\n\n,\n2,1\n",
    "crlf_bom.csv": "\ufefforders,violations\r\n1,0\r\n2,\r\n",
    "empty_unknown_column.csv": "orders,nope\n1,\n2,\n",
    "quoted.csv": 'scenario,orders\n"a,b",1\n"c""d",2\n',
}
BAD = {
    "empty.csv": "",
    "blank.csv": "\n\n",
    "header_only.csv": "orders,violations\n",
    "duplicate.csv": "orders,orders\n1,2\n",
    "no_name.csv": "orders,,violations\n1,2,3\n",
    "ragged.csv": "orders,violations\n1,2\n3\n",
    "unknown.csv": "orders,nope\n1,\n2,3\n",
    "formula.csv": "orders,monthly_sales\n1,2\n",
    "dot.csv": "orders\n.5\n",
    "dot2.csv": "orders\n5.\n",
    "nan.csv": "orders\n1\nnan\n",
    "inf.csv": "orders\ninf\n",
    "huge.csv": "orders\n1e400\n",
    "suffix.csv": "orders\n5kg\n",
    "text.csv": "orders\nabc\n",
    "empty_scenario.csv": "scenario,orders\na,1\n,2\n",
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_read_csv_columns_matches_read_data(tmp_path, name):
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    path = tmp_path / name
    path.write_text(GOOD[name], encoding="utf-8")
    names, columns, n = data.read_csv_columns(str(path), model)
    ref_names, ref_values = reference(str(path), model)
    assert names == ref_names and n == len(ref_names)
    got = _rows_from_columns(columns, n)
    assert got == ref_values
    for g, r in zip(got, ref_values):  # -0.0 stays -0.0
        assert [math.copysign(1, x) for x in g.values()] == [math.copysign(1, x) for x in r.values()]


@pytest.mark.parametrize("name", sorted(BAD))
def test_read_csv_columns_errors_match(tmp_path, name):
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    path = tmp_path / name
    path.write_text(BAD[name], encoding="utf-8")
    with pytest.raises(DataError) as want:
        reference(str(path), model)
    with pytest.raises(DataError) as got:
        data.read_csv_columns(str(path), model)
    assert str(got.value) == str(want.value)


def test_read_csv_columns_io_errors(tmp_path):
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    bad = tmp_path / "latin.csv"
    bad.write_bytes(b"orders\n1\n\xff\n")
    for path in (str(bad), str(tmp_path / "missing.csv"), str(tmp_path)):
        with pytest.raises(DataError) as want:
            read_data(path)
        with pytest.raises(DataError) as got:
            data.read_csv_columns(path, model)
        assert str(got.value) == str(want.value)


def test_select_batch_matches_select(tmp_path):
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    path = tmp_path / "b.csv"
    path.write_text("scenario,orders,violations\nq3,1200,\nnew,1,0\nq3,,2\nother,5,\nnew,7,\n", encoding="utf-8")
    sets = ("repeat_rate=80%",)
    names, columns, n = data.select_batch(model, str(path), sets)
    chosen = select(model, (), (str(path),), sets)
    assert names == [c.name for c in chosen]
    assert _rows_from_columns(columns, n) == [c.values for c in chosen]
    batch = vz.evaluate_columns(model, columns, n)
    evals = [kpidsl.evaluate(model, c.values, name=c.name, allow_missing=True) for c in chosen]
    assert data.results_csv(model, names, batch.fields) == render_eval.to_csv(model, evals)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(st.sampled_from(["", "1", " 2 ", "0.5", "75%", "1万", "-3", "1_0", "1e2", "x", ".5",
                                          "nan", "1e999", "- 4", "+1"]), min_size=3, max_size=3),
                min_size=0, max_size=5),
       st.booleans())
def test_read_csv_columns_random(tmp_path_factory, body, named):
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    header = ["scenario", "orders", "violations"] if named else ["orders", "violations", "repeat_rate"]
    lines = [",".join(header)] + [",".join((f"s{i % 2}" if named else r[0], *r[1:])) for i, r in enumerate(body)]
    path = tmp_path_factory.mktemp("csv") / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        want = reference(str(path), model)
    except DataError as exc:
        with pytest.raises(DataError) as got:
            data.read_csv_columns(str(path), model)
        assert str(got.value) == str(exc)
        return
    names, columns, n = data.read_csv_columns(str(path), model)
    assert (names, _rows_from_columns(columns, n)) == want


@pytest.mark.parametrize("with_negative_zero", [False, True])
def test_csv_text_larger_batch_with_repeats(with_negative_zero):
    # enough rows, and few distinct values, that each distinct number is formatted once
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    rnd = np.random.default_rng(7)
    names = supplied_names(model)
    pool = [0.0, 1.0, 0.5, 0.2, 0.23, 0.75, 85.0, 200.0, 1150.0, 6900.0, 0.1 + 0.2, NAN]
    if with_negative_zero:
        pool.append(-0.0)
    rows = []
    for _ in range(300):
        rows.append({k: x for k in names if not math.isnan(x := float(rnd.choice(pool)))})
    rows[5]["violations"] = -0.0 if with_negative_zero else 0.0
    batch = vz.evaluate_columns(model, columns_of(rows, names), len(rows))
    labels = [f"r{i}" for i in range(len(rows))]
    evals = [kpidsl.evaluate(model, v, name=n, allow_missing=True) for n, v in zip(labels, rows)]
    assert data.results_csv(model, labels, batch.fields) == render_eval.to_csv(model, evals)
    assert compare(model, rows) == len(rows)
