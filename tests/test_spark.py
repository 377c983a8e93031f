"""The SQL runtime on Spark (local mode) against the scalar and NumPy runtimes: the same numbers to
1e-9. Skipped, with the reason printed, where pyspark or Java is missing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")
pytest.importorskip("sqlglot")

from kpidsl.warehouse import spark as spark_engine  # noqa: E402

WHY = spark_engine.available()
if WHY is not None:
    print(f"\nSpark tests skipped: {WHY}")
    pytest.skip(f"Spark tests skipped: {WHY}", allow_module_level=True)

import kpidsl  # noqa: E402
from test_sql import EDGES, _rows, agree  # noqa: E402
from test_vectorized import columns_of, models, supplied_names  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.appName("kpi-tests").master("local[1]").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session


def run(spark, model, rows):
    return spark_engine.evaluate_columns(spark, model, columns_of(rows, supplied_names(model)), len(rows))


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.kpi")), ids=lambda p: p.stem)
def test_example_scenarios_on_spark(spark, path):
    model = kpidsl.load(path)
    rows = [model.scenario_values(n) for n in model.scenarios]
    agree(model, rows, run(spark, model, rows))


def test_formula_edges_on_spark(spark):
    """Every edge of test_sql in one model and one query: a metric per edge, both rows of inputs each."""
    lines = ["input x0 { }", "input x1 { }"]
    lines += [f"metric m{i} {{ value: {formula}  target: >= 0.3 }}" for i, (formula, _, _) in enumerate(EDGES)]
    model = kpidsl.load_text("\n".join(lines) + "\n")
    rows = [{k: v for k, v in (("x0", x0), ("x1", x1)) if not math.isnan(v)} for _, x0, x1 in EDGES]
    agree(model, rows, run(spark, model, rows))


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(models(), st.data())
def test_generated_models_on_spark(spark, text, data):
    model = kpidsl.load_text(text)
    rows = _rows(model, data, 12)
    agree(model, rows, run(spark, model, rows))


def test_spark_engine_summary_and_output(spark, tmp_path):
    from kpidsl.warehouse import duck, tables

    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    data = tmp_path / "rows.csv"
    names = [n for n in supplied_names(model)]
    rows = [model.scenario_values(n) for n in model.scenarios]
    data.write_text("scenario," + ",".join(names) + "\n" + "".join(
        f"{sc}," + ",".join(repr(r[k]) if k in r else "" for k in names) + "\n" for sc, r in zip(
            [f"s{i}" for i in range(len(rows))], rows)), encoding="utf-8")
    source = tables.source_of(str(data))
    got = spark_engine.evaluate(model, source, str(tmp_path / "out.parquet"), "parquet", {}, False)
    want = duck.evaluate(model, source, None, None, {}, False)
    assert (got.rows, got.counts and sorted(map(sorted, [c for _, c in got.counts]))) == \
        (want.rows, sorted(map(sorted, [c for _, c in want.counts])))
    assert [w[-2:] for w in got.worst] == [w[-2:] for w in want.worst]
    assert (tmp_path / "out.parquet" / "_SUCCESS").exists()


def test_spark_engine_names_the_missing_values(spark, tmp_path):
    from kpidsl.warehouse import tables

    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    *given, lacking = supplied_names(model)
    data = tmp_path / "rows.csv"
    data.write_text(",".join(given) + "\n" + (",".join("1" for _ in given) + "\n") * 2, encoding="utf-8")
    with pytest.raises(tables.WarehouseError) as caught:
        spark_engine.evaluate(model, tables.source_of(str(data)), None, None, {}, False)
    assert caught.value.code == 1
    assert str(caught.value) == f"`{lacking}` has no value in 2 rows: supply the missing values, or pass --allow-missing"
