"""``kpi eval --data … [--engine …] [--output …]`` at scale: which engine evaluates the data, and how.

DuckDB evaluates Parquet files, DuckDB tables and large CSV files; Spark what ``--engine spark``
is given; the NumPy path a CSV file DuckDB should not read (cells in the language's number syntax,
rows to merge) or ``--engine numpy``, with its results written through DuckDB when ``--output`` asks.
"""

from __future__ import annotations

import time

from ..compiler.model import Model
from .report import Progress, Summary
from .tables import Source, WarehouseError, output_format, source_of, wants_engine


def evaluate(model: Model, spec: str, engine: str, output: str | None, sets: tuple[str, ...],
             allow_missing: bool, progress: Progress | None = None, large_csv: bool = True) -> Summary | None:
    """Evaluate the data ``spec`` names on ``engine`` (``auto``: by the data), ``sets`` (``NAME=VALUE``)
    overriding columns; None when it is for the scenario-by-scenario or CSV paths of ``kpi eval``: a
    CSV file without ``--output`` or ``--engine`` that is small, or large but not ``large_csv`` (the
    output asked for is the side-by-side table or the long CSV)."""
    from ..data import DataError, check_names, parse_set

    try:
        overrides = dict(parse_set(s) for s in sets)
        check_names(model, overrides, "--set")
    except DataError as exc:
        raise WarehouseError(str(exc)) from None
    source = source_of(spec)
    explicit = engine != "auto" or output is not None
    if source is None:
        if explicit:
            raise WarehouseError(f"--data {spec}: --engine and --output read a .parquet or .csv file, or "
                                 "duckdb:PATH.duckdb?table=TABLE")
        return None
    fmt = output_format(output) if output is not None else None
    if engine == "spark":
        from . import spark

        return spark.evaluate(model, source, output, fmt, overrides, allow_missing)
    if source.kind == "csv" and not explicit and not large_csv:
        return None
    if engine == "numpy" or not wants_engine(source, engine, output):
        if source.kind != "csv":
            raise WarehouseError(f"--data {spec}: the NumPy path reads CSV files; use --engine duckdb")
        return numpy_path(model, source, output, fmt, sets, allow_missing) if output is not None else None
    from . import duck

    try:
        return duck.evaluate(model, source, output, fmt, overrides, allow_missing, progress)
    except duck.NotHere:
        if engine == "duckdb":
            raise WarehouseError(f"{spec}: DuckDB cannot read this CSV file as it is (cells such as `75%` or "
                                 "`833万`, or scenario rows to merge); use --engine numpy") from None
        return numpy_path(model, source, output, fmt, sets, allow_missing) if output is not None else None


def numpy_path(model: Model, source: Source, output: str, fmt: str, sets: tuple[str, ...],
               allow_missing: bool) -> Summary:
    """A CSV batch read and evaluated with NumPy, its results written through DuckDB."""
    import numpy as np

    from ..data import DataError, select_batch
    from ..evaluation.arrays import evaluate_named
    from ..evaluation.plan import ACHIEVEMENT, DRAG, MET, SCORE, STATUS, VALUE
    from ..evaluation.sqlplan import grade_outputs, output_name, outputs
    from . import duck

    start = time.perf_counter()
    try:
        names, columns, n = select_batch(model, source.path, sets)
    except DataError as exc:
        raise WarehouseError(str(exc)) from None
    result = evaluate_named(model, columns, n, names)  # in-file scenarios' as-of dates, as --format csv
    if result.missing and not allow_missing:
        gone: dict[str, int] = {}
        for row_names in result.missing.values():
            for nm in row_names:
                gone[nm] = gone.get(nm, 0) + 1
        raise WarehouseError.missing(gone)
    by_field = {VALUE: result.value, MET: result.met, ACHIEVEMENT: result.achievement, SCORE: result.score,
                STATUS: result.status, DRAG: result._drag}
    arrays = {output_name(nm, f): by_field[f][nm] for nm, f in outputs(model)}
    for nm, grade, coef in grade_outputs(model):
        arrays[grade] = result.grade[nm]
        if coef is not None:
            arrays[coef] = result.coefficient[nm]
    return duck.write_arrays(model, np.asarray(names, dtype=object) if _named(source.path) else None, arrays,
                             output, fmt, source.label, "numpy", start)


def _named(path: str) -> bool:
    """Whether a CSV file's first column is ``scenario`` (else its rows are numbered, not named)."""
    import csv
    import io

    from ..data import read_text

    for row in csv.reader(io.StringIO(read_text(path))):
        if any(c.strip() for c in row):
            return row[0].strip() == "scenario"
    return False
