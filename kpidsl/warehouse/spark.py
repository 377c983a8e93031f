"""Spark, for data that outgrows one machine: the plan's query as Spark SQL through pyspark
(``pip install 'kpidsl[spark]'``). Without a cluster it runs in local mode; ``SPARK_REMOTE`` or
``spark.master`` set in the environment take it elsewhere, as pyspark does.

Spark writes ``--output`` as a folder of part files (Spark's own layout), not one file.
"""

from __future__ import annotations

import time

from ..compiler.model import Model
from ..evaluation import sqlplan
from ..evaluation.plan import plan_of
from .report import Summary, summary_columns, summary_queries
from .tables import Source, WarehouseError, columns_of

VIEW = "_kpi_source"


def available() -> str | None:
    """None when pyspark and Java can run here, else why not."""
    import os
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'kpidsl[spark]'"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java (17 or later), and no `java` was found"
    return None


def session():
    """The active Spark session, or a local one (all cores, no web UI)."""
    why = available()
    if why is not None:
        raise WarehouseError(f"--engine spark: {why}")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.appName("kpi").master("local[*]").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.shuffle.partitions", "4")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _sql(e) -> str:
    return e.sql(dialect="spark")


def _read(spark, source: Source):
    if source.kind == "parquet":
        return spark.read.parquet(source.path)
    if source.kind == "csv":
        return spark.read.option("header", True).csv(source.path)
    raise WarehouseError(f"{source.label}: Spark reads Parquet and CSV files; a DuckDB database is read by "
                         "--engine duckdb")


def evaluate(model: Model, source: Source, output: str | None, fmt: str | None, overrides: dict[str, float],
             allow_missing: bool) -> Summary:
    """Evaluate every row of ``source`` on Spark; results to ``output`` (a folder) when given."""
    from pyspark.errors import PySparkException
    from sqlglot import exp

    start = time.perf_counter()
    spark = session()
    try:
        df = _read(spark, source)
    except PySparkException as exc:
        raise WarehouseError(f"{source.path}: Spark cannot read it: {str(exc).strip().splitlines()[0]}") from None
    values, keys = columns_of(model, list(df.columns), source.label, source.kind == "csv")
    df.createOrReplaceTempView(VIEW)
    sql = sqlplan.runtime("spark")
    needed = plan_of(model).missing(overrides)
    try:
        if needed:
            counts = [exp.Sum(this=exp.Case().when(sql.is_finite(exp.cast(exp.column(n, quoted=True), "double")),
                                                   exp.Literal.number(0)).else_(exp.Literal.number(1)))
                      if n in values else exp.Count(this=exp.Star()) for n in needed]
            row = spark.sql(_sql(exp.select(*counts).from_(VIEW))).collect()[0]
            gone = {n: int(c or 0) for n, c in zip(needed, row) if c}
            if gone and not allow_missing:
                raise WarehouseError.missing(gone)
        query = sqlplan.query(model, VIEW, "spark", tuple(keys), columns=set(values), overrides=overrides,
                              grades=True)
        result = spark.sql(_sql(query))
        if output is not None:
            writer = result.write.mode("overwrite")
            {"parquet": writer.parquet, "csv": writer.option("header", True).csv, "json": writer.json}[fmt](output)
        kept = result.select(*keys, *summary_columns(model)).cache()
        kept.createOrReplaceTempView("_kpi_summary")
        counts_q, worst_q, n_q = summary_queries(model, exp.to_table("_kpi_summary"), keys)
        rows = spark.sql(_sql(n_q)).collect()[0][0]
        found = [(n, [tuple(r) for r in spark.sql(_sql(q)).collect()]) for n, q in counts_q]
        worst = [tuple(r) for r in spark.sql(_sql(worst_q)).collect()] if worst_q is not None else []
        kept.unpersist()
    except sqlplan.SqlError as exc:
        raise WarehouseError(str(exc)) from None
    except PySparkException as exc:
        raise WarehouseError(f"Spark could not evaluate {source.label}: {str(exc).strip().splitlines()[0]}") from None
    return Summary(model, source.label, "spark", rows, found, worst, keys, time.perf_counter() - start, output)


def evaluate_columns(spark, model: Model, columns: dict, n: int) -> list[dict]:
    """The Spark query over columns (name → float64 array, NaN unknown): one dict per row, in order
    (for tests and the differential checks)."""
    from pyspark.sql.types import DoubleType, LongType, StructField, StructType

    names = list(columns)
    schema = StructType([StructField("row", LongType()), *[StructField(k, DoubleType()) for k in names]])
    data = [(i, *[None if (x := float(columns[k][i])) != x else x for k in names]) for i in range(n)]
    spark.createDataFrame(data, schema).createOrReplaceTempView("_kpi_data")
    query = sqlplan.query(model, "_kpi_data", "spark", ("row",), columns=set(names))
    rows = [r.asDict() for r in spark.sql(_sql(query)).collect()]
    rows.sort(key=lambda r: r["row"])
    return rows
