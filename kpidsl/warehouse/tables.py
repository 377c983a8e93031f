"""Which data goes to a warehouse engine, and what its columns mean for a model.

``--data`` names a Parquet file, a CSV file, or a table of a DuckDB database as
``duckdb:PATH.duckdb?table=T``. Parquet and DuckDB tables always run on an engine; a CSV file does
when it is at least ``CSV_THRESHOLD`` bytes (smaller ones are read faster by the NumPy path, whose
start-up is shorter; see ``benchmarks/warehouse.py``) or when ``--output`` or ``--engine`` asks.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs

import attrs

from ..compiler.model import Model
from ..errors import closest

#: CSV files of at least this many bytes are evaluated by DuckDB. ``benchmarks/warehouse.py`` times both
#: engines end to end (``--output out.csv``): DuckDB starts slower and evaluates faster; on the e-commerce
#: example they tie at 1.1 MB (20,000 rows, 0.8–1.3 s each), and DuckDB leads from 5.6 MB (100,000 rows:
#: 2.5 s against 3.0 s; 16.8 MB: 5.1 s against 8.5 s).
CSV_THRESHOLD = 2_000_000
#: The output formats, by file suffix.
OUTPUTS = (".csv", ".parquet", ".jsonl")
ENGINES = ("auto", "numpy", "duckdb", "spark")
#: The dialects ``kpi sql`` writes (``kpidsl.evaluation.sqlplan.DIALECTS``, named here so that the
#: command line lists them without importing sqlglot).
DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "snowflake", "databricks", "trino")


class WarehouseError(Exception):
    """Data or an output that an engine cannot use (exit code 2), or values that are missing (1)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code

    @classmethod
    def missing(cls, rows_by_name: dict[str, int]) -> "WarehouseError":
        """The error (exit code 1) for inputs that have no value in some rows: how many rows, by name."""
        return cls("; ".join(f"`{name}` has no value in {count:,} row{'s' if count != 1 else ''}"
                             for name, count in rows_by_name.items())
                   + ": supply the missing values, or pass --allow-missing", 1)


@attrs.frozen
class Source:
    """Data for an engine: ``kind`` is ``parquet``, ``csv`` or ``duckdb`` (then ``table`` names it)."""

    kind: str
    path: str
    table: str | None = None

    @property
    def label(self) -> str:
        return f"{self.path} (table {self.table})" if self.table else self.path


def source_of(spec: str) -> Source | None:
    """The source ``spec`` names, or None for a file of the scenario formats (TOML, JSON, YAML)."""
    if spec.startswith("duckdb:"):
        path, _, query = spec[len("duckdb:"):].partition("?")
        tables = parse_qs(query, keep_blank_values=True).get("table", [])
        if not path or len(tables) != 1 or not tables[0]:
            raise WarehouseError(f"--data {spec}: write duckdb:PATH.duckdb?table=TABLE")
        return Source("duckdb", path, tables[0])
    suffix = Path(spec).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return Source("parquet", spec)
    if suffix == ".csv":
        return Source("csv", spec)
    return None


def wants_engine(source: Source | None, engine: str, output: str | None) -> bool:
    """Whether this data runs on a warehouse engine rather than the scenario or NumPy paths."""
    if source is None or engine == "numpy":
        return False
    if source.kind != "csv" or engine in ("duckdb", "spark") or output is not None:
        return True
    try:
        return os.path.getsize(source.path) >= CSV_THRESHOLD
    except OSError:
        return False


def output_format(path: str) -> str:
    """``csv``, ``parquet`` or ``json`` (lines) for an output path; ``WarehouseError`` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUTS:
        raise WarehouseError(f"--output {path}: unknown format `{suffix or '(none)'}`; use " + ", ".join(OUTPUTS))
    return {".csv": "csv", ".parquet": "parquet", ".jsonl": "json"}[suffix]


def sql_text(model: Model, table: str, dialect: str, keys: tuple[str, ...] = (), as_of=None) -> str:
    """The query of ``model`` over ``table`` for ``dialect`` (``kpi sql``), with each graded indicator's
    grade and coefficient, deadlines judged at ``as_of``; ``WarehouseError`` when a name cannot be
    written for the dialect."""
    from ..evaluation import sqlplan

    try:
        return sqlplan.render(model, table, dialect, keys, grades=True, as_of=as_of) + ";\n"
    except sqlplan.SqlError as exc:
        raise WarehouseError(str(exc), 1) from None


def columns_of(model: Model, names: list[str], where: str, csv: bool) -> tuple[list[str], list[str]]:
    """The table's columns split into supplied names and key columns carried to the output. A column
    named like a computed indicator is an error; so, in a CSV file, is an undeclared name other than
    a first column ``scenario`` (as in the NumPy path); elsewhere such columns are keys."""
    from ..evaluation.sqlplan import supplied

    wanted = set(supplied(model))
    values, keys = [], []
    for i, name in enumerate(names):
        ind = model.indicators.get(name)
        if ind is not None and ind.formula is not None:
            raise WarehouseError(f"{where}: the column `{name}` is computed by its `value` formula; supply the "
                                 "inputs it reads")
        if ind is not None:
            if name in wanted:
                values.append(name)
        elif csv and not (i == 0 and name == "scenario"):
            raise WarehouseError(f"{where}: `{name}` is not declared in {model.path}"
                                 + closest(name, model.indicators))
        else:
            keys.append(name)
    return values, keys


__all__ = ["Source", "source_of", "wants_engine", "output_format", "columns_of", "WarehouseError", "CSV_THRESHOLD",
           "OUTPUTS", "ENGINES", "DIALECTS", "sql_text"]
