"""DuckDB, the embedded engine: the plan's query over a Parquet file, a CSV file or a DuckDB table,
its results streamed to a file by ``COPY`` (never all held in memory), then summarised.

Paths reach DuckDB as arguments of its Python API or as string literals built by sqlglot; names as
identifiers quoted by sqlglot.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time

from ..compiler.model import Model
from ..evaluation import sqlplan
from ..evaluation.plan import plan_of
from .report import Progress, Summary, summary_columns, summary_queries
from .tables import Source, WarehouseError, columns_of

#: The view the source is read through.
VIEW = "_kpi_source"
#: CTEs in one statement at most (deeper plans run in stages of temporary tables: ``sqlplan.staged``).
STAGE = 24
#: DuckDB's memory while results are written (it buffers row groups to keep rows in order: without
#: a limit, 2 GB at 10 million rows; with it, 0.6 GB in the same time).
MEMORY = "1GB"


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
        if not os.path.exists(source.path):
            raise WarehouseError(f"no such DuckDB database: {source.path}")
        try:
            return duckdb.connect(source.path, read_only=True)
        except duckdb.Error as exc:
            raise WarehouseError(f"{source.path}: cannot open it as a DuckDB database: {_first_line(exc)}") from None
    return duckdb.connect()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def open_source(con, source: Source, model: Model) -> tuple[str, list[str], list[str], frozenset[str]]:
    """The table to query (a view of the file, or the database's table), its value columns, its key
    columns (a CSV file's are its ``scenario`` column, if it has one: see ``columns_of``), and the value
    columns of types that hold no NaN or infinity."""
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
        types = dict(zip(names, map(str, rel.types)))
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
    whole = frozenset(n for n in values if source.kind != "csv" and _EXACT.match(types[n]))
    return table, values, keys, whole


#: Column types that hold no NaN or infinity.
_EXACT = re.compile(r"(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|DECIMAL\(.*\))$")


def check_rows(con, model: Model, keys: list[str]) -> None:
    """``NotHere`` when a CSV file's scenario rows must be merged (a name twice, or the name of an
    in-file scenario, whose values the row starts from), as the NumPy path merges them."""
    from sqlglot import exp

    scen = exp.column(keys[0], quoted=True)
    inner = exp.In(this=scen.copy(), expressions=[exp.Literal.string(n) for n in model.scenarios]) \
        if model.scenarios else exp.false()
    q = exp.select(exp.Count(this=exp.Star()), exp.Count(this=exp.Distinct(expressions=[scen])),
                   exp.Sum(this=exp.Case().when(inner, exp.Literal.number(1)).else_(exp.Literal.number(0))))
    rows, distinct, named = con.execute(_sql(q.from_(VIEW))).fetchone()
    if rows != distinct or named:
        raise NotHere()


def missing_columns(model: Model, overrides: dict) -> list[str]:
    """The output columns whose NULLs are missing values: the value of each name the model needs."""
    from ..evaluation.plan import VALUE

    return [sqlplan.output_name(n, VALUE) for n in plan_of(model).missing(overrides)]


def _beside(path: str) -> str:
    """A fresh name in ``path``'s folder for the file being written."""
    import tempfile

    folder, name = os.path.split(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WarehouseError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(tmp)  # DuckDB creates it
    return tmp


def _copy(query, path: str, fmt: str, keys=()):
    """``COPY (query) TO path``; in a CSV file, a text key that a spreadsheet would take for a formula
    starts with ``'``, as in every CSV ``kpi`` writes (``data.csv_text``)."""
    from sqlglot import exp

    from ..data import FORMULA_START

    if fmt == "csv" and keys:
        def neutral(k):
            col = exp.column(k, quoted=True)
            text = exp.cast(col.copy(), "varchar")
            risky = exp.and_(exp.EQ(this=exp.Anonymous(this="typeof", expressions=[col.copy()]),
                                    expression=exp.Literal.string("VARCHAR")),
                             exp.In(this=exp.Substring(this=text.copy(), start=exp.Literal.number(1),
                                                       length=exp.Literal.number(1)),
                                    expressions=[exp.Literal.string(c) for c in FORMULA_START]))
            return exp.alias_(exp.Case().when(risky, exp.DPipe(this=exp.Literal.string("'"), expression=text))
                              .else_(col.copy()), k, quoted=True)

        star = exp.Star(except_=[exp.column(k, quoted=True) for k in keys])
        query = exp.select(*[neutral(k) for k in keys], star).from_(exp.Subquery(this=query))
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
    tmp = None
    try:
        table, values, keys, whole = open_source(con, source, model)
        if source.kind == "csv" and keys:
            check_rows(con, model, keys)
        query = _prepare(con, sqlplan.query(model, table, "duckdb", tuple(keys), columns=set(values),
                                            overrides=overrides, exact=whole, grades=True))
        if output is not None:  # written beside it, renamed once complete and checked
            tmp = _beside(output)
            con.execute(f"SET memory_limit = '{MEMORY}'")  # the writer buffers within it, in row order
            run_with_progress(con, _sql(_copy(query, tmp, fmt, keys)), progress)
            con.execute("RESET memory_limit")
        results = results_of(tmp, fmt) if fmt == "parquet" else exp.Subquery(this=query)
        rows, counts, worst, shown, gone = summarise(con, model, results, keys, missing_columns(model, overrides),
                                                     progress if output is None else None)
        if gone and not allow_missing:
            raise WarehouseError.missing(gone)
        if tmp is not None:
            os.replace(tmp, output)
            tmp = None
    except sqlplan.SqlError as exc:
        raise WarehouseError(str(exc)) from None
    except duckdb.ConversionException as exc:
        if source.kind == "csv":
            raise NotHere() from None
        raise WarehouseError(f"DuckDB could not evaluate {source.label}: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        raise WarehouseError(f"DuckDB could not evaluate {source.label}: {_first_line(exc)}") from None
    finally:
        con.close()
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return Summary(model, source.label, "duckdb", rows, counts, worst, shown, time.perf_counter() - start, output)


def _prepare(con, query):
    """Run the stages of a deep query (``STAGE``); the query that remains."""
    *stages, last = sqlplan.staged(query, STAGE)
    for statement in stages:
        con.execute(_sql(statement))
    return last


def results_of(output: str, fmt: str):
    """The results file as a table to query (a Parquet file with its row numbers, ``file_row_number``)."""
    from sqlglot import exp

    reader = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}[fmt]
    args = [exp.Literal.string(output)]
    if fmt == "parquet":
        args.append(exp.EQ(this=exp.column("file_row_number"), expression=exp.true()))
    return exp.Table(this=exp.Anonymous(this=reader, expressions=args))


def summarise(con, model: Model, results, keys: list[str], missing: list[str] = (),
              progress: Progress | None = None):
    """``(rows, status counts per top indicator, the lowest-scoring rows, the key columns they show,
    name → rows where it is missing)`` of ``results``: a Parquet file of ``results_of`` (read as it
    is), or a subquery whose columns the summary reads are kept in a temporary table first (``missing``:
    the value columns whose NULLs are missing values, kept as flags). Without keys, rows are shown by
    number."""
    from sqlglot import exp

    cols = [exp.column(c, quoted=True) for c in (*keys, *summary_columns(model))]
    is_file = isinstance(results, exp.Table)
    if is_file:
        cols += [exp.column(c, quoted=True) for c in missing]
    else:
        cols += [exp.alias_(exp.Is(this=exp.column(c, quoted=True), expression=exp.null()), c, quoted=True)
                 for c in missing]
    if not keys:
        number = (_bin_add(exp.column("file_row_number"), 1) if is_file
                  else exp.Window(this=exp.RowNumber()))
        cols.insert(0, exp.alias_(number, "row", quoted=True))
        keys = ["row"]
    alias = exp.TableAlias(this=exp.to_identifier("_kpi_results", quoted=True))
    kept = exp.select(*cols).from_(results if is_file else exp.Subquery(this=results.this, alias=alias))
    create = exp.Create(this=exp.to_table("_kpi_summary"), kind="VIEW" if is_file else "TABLE", expression=kept,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    run_with_progress(con, _sql(create), progress)
    gone = {}
    if missing:
        flags = [exp.Sum(this=exp.Case().when(
            exp.Is(this=exp.column(c, quoted=True), expression=exp.null()) if is_file else exp.column(c, quoted=True),
            exp.Literal.number(1)).else_(exp.Literal.number(0))) for c in missing]
        found = con.execute(_sql(exp.select(*flags).from_("_kpi_summary"))).fetchone()
        gone = {c.rsplit("_", 1)[0]: int(k) for c, k in zip(missing, found) if k}
    counts_q, worst_q, n_q = summary_queries(model, exp.to_table("_kpi_summary"), keys)
    rows = con.execute(_sql(n_q)).fetchone()[0]
    counts = [(n, con.execute(_sql(q)).fetchall()) for n, q in counts_q]
    worst = con.execute(_sql(worst_q)).fetchall() if worst_q is not None else []
    return rows, counts, worst, keys, gone


def _bin_add(e, k: int):
    from sqlglot import exp

    return exp.Add(this=e, expression=exp.Literal.number(k))


def write_arrays(model: Model, names, arrays: dict, output: str, fmt: str, label: str, engine: str,
                 start: float) -> Summary:
    """Results computed elsewhere (``arrays``: output column → NumPy array, ``met`` as 1.0/0.0/NaN,
    ``status`` as codes; ``names``: the scenario column, or None) written to ``output`` as the DuckDB
    path writes them, and summarised."""
    from sqlglot import exp

    from ..evaluation.plan import MET, STATUS
    from ..evaluation.sqlplan import grade_outputs, number, outputs, runtime

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
        for _, grade, coef in grade_outputs(model):  # the grade's index as its name, as the query gives it
            case = exp.Case()
            for i, g in enumerate(model.grades):
                case = case.when(exp.EQ(this=exp.column(grade, quoted=True), expression=number(float(i))),
                                 exp.Literal.string(g.name))
            cols.append(exp.alias_(case, grade, quoted=True))
            if coef is not None:
                cols.append(exp.alias_(exp.column(coef, quoted=True), coef, quoted=True))
        query = exp.select(*cols).from_("_kpi_arrays")
        con.execute(_sql(_copy(query, output, fmt, keys)))
        rows, counts, worst, keys, _ = summarise(con, model, results_of(output, fmt) if fmt == "parquet"
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
        rel = con.sql(_sql(_prepare(con, sqlplan.query(model, "data", "duckdb", columns=set(columns)))))
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r)) for r in rel.fetchall()]
    finally:
        con.close()
