"""DuckDB, the embedded engine: the plan's query over a Parquet file, a CSV file or a DuckDB table,
its results streamed to a file by ``COPY`` (never all held in memory), then summarised.

Paths reach DuckDB as arguments of its Python API or as string literals built by sqlglot; names as
identifiers quoted by sqlglot.
"""

from __future__ import annotations

import threading
import time

from ..compiler.model import Model
from ..evaluation import sqlplan
from ..evaluation.plan import plan_of
from .report import Progress, Summary, summary_columns, summary_queries
from .tables import Source, WarehouseError, columns_of

#: The view the source is read through.
VIEW = "_kpi_source"


class NotHere(Exception):
    """This CSV file is for the NumPy path: cells DuckDB does not read as numbers (``75%``, ``833万``),
    or scenario names that repeat or name in-file scenarios (rows that must be merged)."""


def _duckdb():
    import duckdb

    return duckdb


def _sql(e) -> str:
    return e.sql(dialect="duckdb")


def connect(source: Source | None = None):
    """A connection: to the database of a ``duckdb`` source (read only), else in memory."""
    duckdb = _duckdb()
    if source is not None and source.kind == "duckdb":
        import os

        if not os.path.exists(source.path):
            raise WarehouseError(f"no such DuckDB database: {source.path}")
        try:
            return duckdb.connect(source.path, read_only=True)
        except duckdb.Error as exc:
            raise WarehouseError(f"{source.path}: cannot open it as a DuckDB database: {_first_line(exc)}") from None
    return duckdb.connect()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def open_source(con, source: Source, model: Model) -> tuple[str, list[str], list[str]]:
    """The table to query (a view of the file, or the database's table), its value columns and its key
    columns. A CSV file without a ``scenario`` column gets one: ``row1``, ``row2``, … as in the NumPy path."""
    duckdb = _duckdb()
    try:
        if source.kind == "duckdb":
            rel = con.table(source.table)
            table = source.table
        elif source.kind == "parquet":
            rel = con.read_parquet(source.path)
            table = VIEW
        else:
            rel = con.read_csv(source.path, header=True)
            table = VIEW
        names = list(rel.columns)
    except duckdb.CatalogException:
        have = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        raise WarehouseError(f"{source.path} has no table `{source.table}` (there are: "
                             + (", ".join(f"`{t}`" for t in have) or "none") + ")") from None
    except (duckdb.IOException, duckdb.InvalidInputException, duckdb.Error) as exc:
        raise WarehouseError(f"{source.path}: cannot read it: {_first_line(exc)}") from None
    values, keys = columns_of(model, names, source.label, source.kind == "csv")
    if source.kind == "csv":  # read again with the value columns as numbers
        dtype = {n: "DOUBLE" for n in values}
        if keys:
            dtype[keys[0]] = "VARCHAR"
        rel = con.read_csv(source.path, header=True, dtype=dtype)
    if source.kind != "duckdb":
        rel.create_view(VIEW)
    return table, values, keys


def profile(con, table: str, model: Model, values: list[str], keys: list[str], overrides: dict,
            csv: bool) -> dict[str, int]:
    """Name → how many rows give it no value, for each name the model needs (absent columns: all
    rows). For a CSV file, ``NotHere`` when a cell is not a number DuckDB reads or when scenario rows
    must be merged (a name twice, or the name of an in-file scenario), as the NumPy path merges them."""
    duckdb = _duckdb()
    from sqlglot import exp

    needed = [n for n in plan_of(model).needed if n not in overrides]
    counts = []
    for n in needed:
        if n in values:  # NULL, NaN and infinity are no value
            finite = exp.Anonymous(this="isfinite", expressions=[exp.cast(exp.column(n, quoted=True), "double")])
            counts.append(exp.Sum(this=exp.Case().when(finite, exp.Literal.number(0)).else_(exp.Literal.number(1))))
        else:
            counts.append(exp.Count(this=exp.Star()))
    if csv:  # every value column is read, so that a cell that is not a number shows here
        counts += [exp.Count(this=exp.column(n, quoted=True)) for n in values]
    if csv and keys:
        scen = exp.column(keys[0], quoted=True)
        inner = exp.In(this=scen.copy(), expressions=[exp.Literal.string(n) for n in model.scenarios]) \
            if model.scenarios else exp.false()
        counts += [exp.Count(this=exp.Star()), exp.Count(this=exp.Distinct(expressions=[scen])),
                   exp.Sum(this=exp.Case().when(inner, exp.Literal.number(1)).else_(exp.Literal.number(0)))]
    if not counts:
        return {}
    try:
        row = con.execute(_sql(exp.select(*counts).from_(sqlplan.table_of(table)))).fetchone()
    except duckdb.ConversionException:
        if csv:
            raise NotHere() from None
        raise
    if csv and keys:
        rows, distinct, named = row[-3:]
        if rows != distinct or named:
            raise NotHere()
    return {n: int(c or 0) for n, c in zip(needed, row) if c}


def _copy(query, path: str, fmt: str):
    from sqlglot import exp

    return exp.Copy(this=exp.Subquery(this=query), kind=False, files=[exp.Literal.string(path)],
                    params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var(fmt.upper()))])


def run_with_progress(con, text: str, progress: Progress | None):
    """Execute ``text`` on ``con`` in a thread, drawing ``progress`` meanwhile; the result's rows."""
    if progress is None:
        return con.execute(text).fetchall()
    box: dict = {}

    def work():
        try:
            box["rows"] = con.execute(text).fetchall()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    try:
        while t.is_alive():
            t.join(0.1)
            progress.update(con.query_progress())
    except KeyboardInterrupt:
        con.interrupt()
        t.join()
        raise
    finally:
        progress.done()
    if "error" in box:
        raise box["error"]
    return box["rows"]


def evaluate(model: Model, source: Source, output: str | None, fmt: str | None, overrides: dict[str, float],
             allow_missing: bool, progress: Progress | None = None) -> Summary:
    """Evaluate every row of ``source``: results to ``output`` (format ``fmt``) when given, and a
    ``Summary``. ``WarehouseError`` (code 1) when needed values are missing and not ``allow_missing``."""
    duckdb = _duckdb()
    from sqlglot import exp

    start = time.perf_counter()
    con = connect(source)
    try:
        table, values, keys = open_source(con, source, model)
        gone = profile(con, table, model, values, keys, overrides, source.kind == "csv")
    except BaseException:
        con.close()
        raise
    if gone and not allow_missing:
        con.close()
        raise WarehouseError("; ".join(f"`{n}` has no value in {c:,} row{'s' if c != 1 else ''}" for n, c in gone.items())
                             + ": supply the missing values, or pass --allow-missing", 1)
    try:
        query = sqlplan.query(model, table, "duckdb", tuple(keys), columns=set(values), overrides=overrides)
        if output is not None:
            run_with_progress(con, _sql(_copy(query, output, fmt)), progress)
        results = results_of(output, fmt) if fmt == "parquet" else exp.Subquery(this=query)
        rows, counts, worst, shown = summarise(con, model, results, keys, progress if output is None else None)
    except sqlplan.SqlError as exc:
        raise WarehouseError(str(exc)) from None
    except duckdb.Error as exc:
        raise WarehouseError(f"DuckDB could not evaluate {source.label}: {_first_line(exc)}") from None
    finally:
        con.close()
    return Summary(model, source.label, "duckdb", rows, counts, worst, shown, time.perf_counter() - start, output)


def results_of(output: str, fmt: str):
    """The results file as a table to query."""
    from sqlglot import exp

    reader = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}[fmt]
    return exp.Table(this=exp.Anonymous(this=reader, expressions=[exp.Literal.string(output)]))


def summarise(con, model: Model, results, keys: list[str], progress: Progress | None = None):
    """``(rows, status counts per top indicator, the lowest-scoring rows, the key columns they show)``
    of ``results`` (a table or subquery): what the summary reads is kept in a temporary table first,
    with a ``row`` number when there are no keys."""
    from sqlglot import exp

    cols = [exp.column(c, quoted=True) for c in (*keys, *summary_columns(model))]
    if not keys:
        cols.insert(0, exp.alias_(exp.Window(this=exp.RowNumber()), "row", quoted=True))
        keys = ["row"]
    alias = exp.TableAlias(this=exp.to_identifier("_kpi_results", quoted=True))
    kept = exp.select(*cols).from_(exp.Subquery(this=results.this, alias=alias) if isinstance(results, exp.Subquery)
                                   else results)
    create = exp.Create(this=exp.to_table("_kpi_summary"), kind="TABLE", expression=kept,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    run_with_progress(con, _sql(create), progress)
    counts_q, worst_q, n_q = summary_queries(model, exp.to_table("_kpi_summary"), keys)
    rows = con.execute(_sql(n_q)).fetchone()[0]
    counts = [(n, con.execute(_sql(q)).fetchall()) for n, q in counts_q]
    worst = con.execute(_sql(worst_q)).fetchall() if worst_q is not None else []
    return rows, counts, worst, keys


def write_arrays(model: Model, names, arrays: dict, output: str, fmt: str, label: str, engine: str,
                 start: float) -> Summary:
    """Results computed elsewhere (``arrays``: output column → NumPy array, ``met`` as 1.0/0.0/NaN,
    ``status`` as codes; ``names``: the scenario column, or None) written to ``output`` as the DuckDB
    path writes them, and summarised."""
    from sqlglot import exp

    from ..evaluation.plan import MET, STATUS
    from ..evaluation.sqlplan import outputs, runtime

    duckdb = _duckdb()
    con = duckdb.connect()
    try:
        keys = [] if names is None else ["scenario"]
        con.register("_kpi_arrays", {**({} if names is None else {"scenario": names}), **arrays})
        sql = runtime("duckdb")
        cols = [exp.column(k, quoted=True) for k in keys]
        for (nm, f), col in zip(outputs(model), arrays):
            e = exp.column(col, quoted=True)
            if f == MET:
                e = exp.cast(e, "boolean")
            elif f == STATUS:
                e = sql.status_text(e)
            cols.append(exp.alias_(e, col, quoted=True))
        query = exp.select(*cols).from_("_kpi_arrays")
        con.execute(_sql(_copy(query, output, fmt)))
        rows, counts, worst, keys = summarise(con, model, results_of(output, fmt) if fmt == "parquet"
                                              else exp.Subquery(this=query), keys)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot write {output}: {_first_line(exc)}") from None
    finally:
        con.close()
    return Summary(model, label, engine, rows, counts, worst, keys, time.perf_counter() - start, output)


def evaluate_columns(model: Model, columns: dict, n: int) -> list[dict]:
    """The query run over NumPy columns (name → float64 array, NaN unknown): one dict of output
    columns per row, in row order (for tests and the differential checks)."""
    import numpy as np

    con = _duckdb().connect()
    try:
        con.register("data", {"_row": np.zeros(n), **{k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}})
        rel = con.sql(_sql(sqlplan.query(model, "data", "duckdb", columns=set(columns))))
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r)) for r in rel.fetchall()]
    finally:
        con.close()
