"""The SQL runtime (kpidsl.evaluation.sqlplan) against the scalar and NumPy runtimes: the same numbers,
to 1e-9, on DuckDB (and Spark where pyspark installs), over the generated models of test_vectorized."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")
pytest.importorskip("sqlglot")
pytest.importorskip("duckdb")

import kpidsl  # noqa: E402
from kpidsl.evaluation import arrays, sqlplan  # noqa: E402
from kpidsl.evaluation.plan import FIELDS  # noqa: E402
from kpidsl.warehouse import duck  # noqa: E402
from test_vectorized import INPUTS, VALUES, _exprs, columns_of, models, supplied_names  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.kpi"))
NAN = math.nan


def close(a, b) -> bool:
    """Equal to 1e-9 (relative, or absolute near 0); None is unknown."""
    if a is None or b is None:
        return a is None and b is None
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def agree(model, rows: list[dict], got: list[dict]) -> None:
    """Each row of ``got`` (output column -> value) against the scalar runtime and the NumPy one."""
    names = supplied_names(model)
    batch = arrays.evaluate_columns(model, columns_of(rows, names), len(rows))
    assert len(got) == len(rows)
    for r, (values, out) in enumerate(zip(rows, got)):
        ev = kpidsl.evaluate(model, values, allow_missing=True)
        drags = dict(ev.drags)
        for nm, res in ev.results.items():
            ctx = (r, nm, values)
            for field in ("value", "achievement", "score"):
                col = f"{nm}_{field}"
                want = getattr(res, field)
                assert close(out.get(col), want), (ctx, field, out.get(col), want)
                b = float(getattr(batch, field)[nm][r])
                assert close(None if b != b else b, want), (ctx, field, "numpy")
            assert out.get(f"{nm}_met") == res.met, (ctx, "met")
            assert out.get(f"{nm}_status") == res.status, (ctx, "status")
            assert close(out.get(f"{nm}_drag"), drags.get(nm)), (ctx, "drag")


def run_duckdb(model, rows):
    return duck.evaluate_columns(model, columns_of(rows, supplied_names(model)), len(rows))


# ---------------------------------------------------------------------------------------------
# the examples and generated models on DuckDB


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_scenarios_on_duckdb(path):
    model = kpidsl.load(path)
    rows = [model.scenario_values(n) for n in model.scenarios]
    agree(model, rows, run_duckdb(model, rows))


def _rows(model, data, most=8):
    row = st.fixed_dictionaries({n: VALUES for n in supplied_names(model)}).map(
        lambda d: {k: v for k, v in d.items() if v is not None})
    return data.draw(st.lists(row, min_size=1, max_size=most))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(models(), st.data())
def test_generated_models_on_duckdb(text, data):
    model, findings = kpidsl.compile_text(text)
    assert model is not None and model.evaluable, text
    rows = _rows(model, data)
    agree(model, rows, run_duckdb(model, rows))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_exprs(0), min_size=1, max_size=4), st.lists(_exprs(1), min_size=1, max_size=4), st.data())
def test_generated_formulas_on_duckdb(numbers, conditions, data):
    lines = [f"input {x} {{ }}" for x in INPUTS]
    lines += [f"metric n{i} {{ value: {e}  target: >= 0 }}" for i, e in enumerate(numbers)]
    lines += [f"metric c{i} {{ value: if({e}, 1, if(not {e}, 0, 2)) }}" for i, e in enumerate(conditions)]
    model = kpidsl.load_text("\n".join(lines) + "\n")
    rows = _rows(model, data, 12)
    agree(model, rows, run_duckdb(model, rows))


EDGES = [  # formula, x0, x1: division by zero, unknowns, three-valued logic, tolerance, rounding, clamp, pow
    ("x0 / x1", 1.0, 0.0), ("x0 / x1", 0.0, -0.0), ("1 / (x0 / x1)", 1.0, 0.0),
    ("if(x0 * 1e300 > 1, 1, 0)", 1e300, 0.0), ("1 / (x0 ^ x1)", 10.0, 400.0), ("x0 ^ x1", -8.0, 3.0),
    ("x0 ^ x1", NAN, 0.0), ("x0 ^ x1", 1.0, NAN), ("x0 ^ x1", -8.0, 1 / 3), ("x0 ^ x1", 0.0, -1.0),
    ("x0 * x1", 1e300, 1e300), ("(x0 * x1) - (x0 * x1)", 1e300, 1e300), ("(x0 * 1e300) * 0", 1e300, 0.0),
    ("if(x0 > x1, 1, 2)", NAN, 1.0), ("if(x0 > 0 or x1 > 0, 1, 2)", NAN, 1.0),
    ("if(x0 > 0 and x1 > 0, 1, 2)", NAN, -1.0), ("if(not (x0 > 0), 1, 2)", NAN, -1.0), ("min(x0, x1)", NAN, 1.0),
    ("max(x0, x1, 2)", 1.0, NAN), ("sum(x0, x1, 0.3)", 0.1, 0.2), ("avg(x0, x1, 0.1)", 0.1, 0.1),
    ("round(x0)", 2.5, 0.0), ("round(x0)", -2.5, 0.0), ("round(x0)", 0.5, 0.0), ("round(x0, x1)", 1.005, 2.0),
    ("round(x0, x1)", 1.25, 0.5), ("round(x0, x1)", 1e10, 300.0), ("round(x0, 2)", 0.125, 0.0),
    ("round(x0, x1)", 2.5e20, 0.0), ("round(x0 * 1e300, 2)", 1e300, 0.0), ("round(x0, -1)", 25.0, 0.0),
    ("round(x0, x1)", 1.5, -1e300), ("round(x0, 0)", -2.5e20, 0.0),
    ("clamp(x0, 0, 1)", 2.0, 0.0), ("clamp(x0, x1, 1)", 0.5, NAN), ("abs(x0)", -3.0, 0.0),
    ("if((x0 > 1) == (x1 > 1), 1, 0)", 2.0, NAN), ("if(x0 == 0.3, 1, 0)", 0.1 + 0.2, 0.0),
    ("if(x0 >= 1, 1, 0)", 1 - 1e-10, 0.0), ("if(x0 > 1, 1, 0)", 1 + 1e-10, 0.0), ("if(x0 >= x1, 1, 0)", 1e9 - 0.5, 1e9),
]


@pytest.mark.parametrize("formula, x0, x1", EDGES)
def test_formula_edges_on_duckdb(formula, x0, x1):
    model = kpidsl.load_text(f"input x0 {{ }}\ninput x1 {{ }}\nkgi g {{ value: {formula}  target: >= 0.3 }}\n")
    rows = [{k: v for k, v in (("x0", x0), ("x1", x1)) if not math.isnan(v)}]
    agree(model, rows, run_duckdb(model, rows))


def test_vetoes_caps_bands_and_drags_on_duckdb():
    text = ('model "T" { owner: "t"  period: yearly  cap: 150% }\ninput x { }\ninput y { }\n'
            'kgi g { value: x + y  target: >= 10\n'
            '  kpi a { weight: 50%  value: x  baseline: 1  target: >= 5  stretch: 9 }\n'
            '  kpi b { weight: 30%  value: y  target: 2 .. 4 }\n'
            '  kpi c { weight: 20%  value: y  target: <= 3  baseline: 8  stretch: 1 }\n'
            '  veto v { value: x - y  target: <= 5 }\n}\n')
    model = kpidsl.load_text(text)
    rows = [{"x": x, "y": y} for x in (0.0, 1.0, 5.0, 7.0, 9.0, 20.0) for y in (0.0, 2.0, 3.0, 4.0 + 1e-10, 9.0)]
    rows += [{"x": 5.0}, {"y": 3.0}, {}]
    agree(model, rows, run_duckdb(model, rows))


def test_sql_rounds_half_away_from_zero_not_half_even():
    """round is half away from zero in every runtime; an engine's ROUND may round half to even."""
    model = kpidsl.load_text("input x { }\nkgi g { value: round(x)  target: >= 0 }\n")
    got = run_duckdb(model, [{"x": v} for v in (0.5, 1.5, 2.5, -0.5, -2.5)])
    assert [r["g_value"] for r in got] == [1.0, 2.0, 3.0, -1.0, -3.0]
    for dialect in sqlplan.DIALECTS:
        assert "ROUND(" not in sqlplan.render(model, "t", dialect).upper()


def test_spark_floor_stays_a_double():
    """Spark's FLOOR of a DOUBLE is a BIGINT: the Spark SQL keeps numbers past 2^52 as they are."""
    model = kpidsl.load_text("input x { }\nkgi g { value: round(x, 2)  target: >= 0 }\n")
    spark = sqlplan.render(model, "t", "spark", pretty=False)
    assert "CAST(FLOOR(" in spark and "4503599627370496" in spark
    assert "CAST(FLOOR(" not in sqlplan.render(model, "t", "duckdb", pretty=False)


# ---------------------------------------------------------------------------------------------
# the query: linear size, names, dialects


def _chain(depth: int) -> str:
    lines = ["input x { }", "kgi k0 { value: x  target: >= 1 }"]
    lines += [f"kpi k{i} {{ parent: k{i - 1}  value: x * {i} + 1  target: >= 1  baseline: 0  stretch: 2 }}"
              for i in range(1, depth)]
    return "\n".join(lines) + "\n"


def _formula(depth: int) -> str:
    expr = "x"
    for i in range(depth):
        expr = f"clamp(max({expr}, {i}) / 2, 0, 100)" if i % 2 else f"round(if(x > {i}, {expr} - 1, 1) ^ 1, 3)"
    return f"input x {{ }}\nkgi g {{ value: {expr}  target: >= 1 }}\n"


@pytest.mark.parametrize("make", [_chain, _formula], ids=["parent chain", "nested formula"])
def test_query_size_grows_linearly(make):
    sizes = []
    for depth in (20, 40, 80):
        model = kpidsl.load_text(make(depth))
        assert model.evaluable
        sizes.append(len(sqlplan.render(model, "t", "duckdb", pretty=False)))
    assert sizes[2] / sizes[1] < 2.3 and sizes[1] / sizes[0] < 2.3, sizes


def test_deep_models_run_on_duckdb():
    assert len(sqlplan.staged(sqlplan.query(kpidsl.load_text(_chain(60)), "t"), duck.STAGE)) > 2  # in stages
    for text in (_chain(60), _formula(40)):
        model = kpidsl.load_text(text)
        rows = [{"x": v} for v in (0.0, 0.5, 3.0, 1e6)] + [{}]
        agree(model, rows, run_duckdb(model, rows))


@pytest.mark.parametrize("dialect", sorted(sqlplan.DIALECTS))
def test_every_dialect_renders_and_parses_back(dialect):
    import sqlglot

    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    text = sqlplan.render(model, "sales.monthly", dialect, keys=("store",))
    again = sqlglot.parse_one(text, read=sqlplan.DIALECTS[dialect].DIALECT)
    assert again.sql(dialect=sqlplan.DIALECTS[dialect].DIALECT, pretty=True) == text


def test_names_are_quoted_not_pasted():
    model, _ = kpidsl.compile_text("input 订单 { }\nkgi 销售 { value: 订单 * 2  target: >= 1 }\n")
    q = sqlplan.render(model, 'my "table"', "duckdb", pretty=False)
    assert '"订单"' in q and '"销售_value"' in q and '"my ""table"""' in q
    got = run_duckdb(model, [{"订单": 2.0}])
    assert got[0]["销售_value"] == 4.0 and got[0]["销售_status"] == "green"


def test_names_a_dialect_cannot_hold_are_reported():
    model = kpidsl.load_text("input 订单 { }\nkgi 销售 { value: 订单 * 2  target: >= 1 }\n")
    with pytest.raises(sqlplan.SqlError, match="bigquery can hold"):
        sqlplan.render(model, "t", "bigquery")
    long = "a" * 60
    model = kpidsl.load_text(f"input {long} {{ }}\nkgi g {{ value: {long}  target: >= 1 }}\n")
    with pytest.raises(sqlplan.SqlError, match="at most 63"):
        sqlplan.render(model, "t", "postgres")
    assert sqlplan.render(model, "t", "duckdb")


def test_key_columns_must_not_clash():
    model = kpidsl.load_text("input x { }\nkgi g { value: x  target: >= 1 }\n")
    with pytest.raises(sqlplan.SqlError, match="named like an output"):
        sqlplan.query(model, "t", keys=("g_value",))
    with pytest.raises(sqlplan.SqlError, match="keeps for its own"):
        sqlplan.query(model, "t", keys=("_kpi_1",))
    with pytest.raises(sqlplan.SqlError, match="not a table name"):
        sqlplan.query(model, "a..b")
    with pytest.raises(sqlplan.SqlError, match="unknown SQL dialect"):
        sqlplan.query(model, "t", "nosuch")


def test_output_columns_follow_the_plan():
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    cols = [sqlplan.output_name(n, f) for n, f in sqlplan.outputs(model)]
    assert cols[:6] == ["annual_sales_value", "annual_sales_met", "annual_sales_achievement", "annual_sales_score",
                        "annual_sales_status", "monthly_sales_value"]
    assert "monthly_sales_drag" in cols and "orders_value" in cols and "orders_status" not in cols
    assert all(c.rsplit("_", 1)[1] in FIELDS for c in cols)


def test_sqlglot_and_duckdb_not_imported_by_kpidsl_or_the_other_runtimes():
    import subprocess
    import sys

    code = ("import sys, kpidsl; from kpidsl.evaluation import arrays, scalar; import kpidsl.cli.commands; "
            "from kpidsl.warehouse import report, run, tables; "
            "print(sorted(m for m in ('sqlglot', 'duckdb', 'pyspark') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
