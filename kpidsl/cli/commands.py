"""The ``kpi`` command line. It calls the public API and the renderers, nothing deeper.

Exit codes: 0 success and nothing found; 1 findings (of the severity ``fail-on`` names), failed
expectations, nothing tested, or a model that cannot be evaluated; 2 usage or I/O errors. No input
prints a traceback: an unexpected failure is one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import attrs
import click

from .. import __version__
from . import cache
from ..parsing import sources
from ..checking.config import FAIL_ON, ConfigError, codes_of, with_overrides
from ..checking.config import for_file as config_for_file
from ..render.findings import (github_line, json_findings_pieces, plain, sarif_pieces, statistics, summary,
                               text_finding)
from ..render.text import clean
from ..checking.rules import RULES

if TYPE_CHECKING:
    from ..errors import Finding
    from ..api import Model
# The API, the parser and the renderers are imported inside the commands that need them: a cached
# `kpi check` never loads the parser.


def _style_for(stream) -> object:
    """click.style on a terminal (unless NO_COLOR is set), plain text otherwise."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return click.style if tty and not os.environ.get("NO_COLOR") else plain


def _say(message: str) -> None:
    """``kpi: MESSAGE`` on standard error, user text in it (a path, a scenario name) made safe."""
    click.echo(f"kpi: {clean(message)}", err=True)


def _fail(message: str, code: int = 2) -> None:
    _say(message)
    sys.exit(code)


#: The lines of each file read in this run, for the source line under a finding.
_lines: dict[str, Sequence[str]] = {}


def _compile(path: str, data: bytes | None = None) -> tuple[Model | None, Sequence[Finding]]:
    """Read (unless ``data`` is given) and compile one file; OSError passes through."""
    from .. import api
    from ..errors import FindingSink

    if data is None:
        data = sources.read_bytes(path)
    _lines[path] = sources.display_lines(data)
    sink = FindingSink(path)
    text = sources.decode(data, sink)
    if text is None:
        return None, sink.items
    return api.compile_text(text, path)


#: Characters of output gathered before a write: output made in pieces is written as it is made,
#: never held whole (a report of 100,000 findings is tens of megabytes), in writes of this size.
_WRITE_SIZE = 1 << 16


class _Batched:
    """Standard output written in batches of ``_WRITE_SIZE`` characters as pieces of text come."""

    def __init__(self) -> None:
        self.held: list[str] = []
        self.size = 0
        self.last = ""  # the last piece that was not empty

    def write(self, piece: str) -> None:
        if piece:
            self.held.append(piece)
            self.size += len(piece)
            self.last = piece
        if self.size >= _WRITE_SIZE:
            click.echo("".join(self.held), nl=False)
            self.held, self.size = [], 0

    def close(self, end: str | None = None) -> None:
        """Write what is held, then ``end``: by default a line end unless the text ends with one."""
        self.held.append(("" if self.last.endswith("\n") else "\n") if end is None else end)
        click.echo("".join(self.held), nl=False)
        self.held, self.size = [], 0


def _write_pieces(pieces, end: str | None = None) -> None:
    """Write the text ``pieces`` make to standard output as they are made, then ``end`` (by default
    a line end unless the text ends with one)."""
    out = _Batched()
    for piece in pieces:
        out.write(piece)
    out.close(end)


def _write_text(text: str) -> None:
    """Write ``text`` and a line end unless it ends with one, a slice at a time: ``click.echo`` would
    add the line end to a copy of it, and the stream encode all of it at once."""
    _write_pieces(text[i:i + _WRITE_SIZE] for i in range(0, len(text), _WRITE_SIZE))


def _print_findings(findings: Iterable[Finding], err: bool = False) -> None:
    style = _style_for(sys.stderr if err else sys.stdout)
    for f in findings:
        if f.path not in _lines:  # a file that is not UTF-8: show what can be shown
            try:
                _lines[f.path] = sources.display_lines(sources.read_bytes(f.path))
            except OSError:
                _lines[f.path] = []
        click.echo(text_finding(f, _lines[f.path], style), err=err)


def _discover(paths: tuple[str, ...], stdin: bool = False) -> tuple[list[str], int]:
    """Files named on the command line (with ``stdin``, ``-`` too, kept as it is), and ``*.kpi``
    files under folders (sorted); and how many folders could not be read (each said on standard error)."""
    files: list[str] = []
    unreadable = 0

    def skipped(exc: OSError) -> None:
        nonlocal unreadable
        unreadable += 1
        _say(f"cannot read the folder {exc.filename}: {exc.strerror or exc}")

    for p in paths:
        if stdin and p == "-":
            files.append(p)
        elif os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p, onerror=skipped):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [os.path.join(root, n) for n in names if n.endswith(".kpi")]
            files += sorted(found)
        elif os.path.lexists(p):  # a link to nothing is named by the read
            files.append(p)
        else:
            _fail(f"no such file or folder: {p}")
    return files, unreadable


def _codes(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    try:
        return codes_of(value, "--select/--ignore")
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kpi")
def cli() -> None:
    """kpi: check, evaluate and explain KPI trees written in .kpi files."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as `\udcff`, never fails
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")


#: The name findings on standard input are reported under without ``--stdin-filename``.
STDIN_NAME = "<stdin>"


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="Output format.")
@click.option("--select", "select_", metavar="CODES", help="Only these codes (comma-separated prefixes).")
@click.option("--ignore", metavar="CODES", help="Skip these codes (comma-separated prefixes).")
@click.option("--statistics", "show_stats", is_flag=True, help="Print a count per code after the findings.")
@click.option("--no-cache", "no_cache", is_flag=True, help="Ignore and do not write .kpi_cache/.")
@click.option("--stdin-filename", metavar="PATH",
              help="The path that `-` (standard input) stands for: its findings are reported under it, and "
                   f"its kpi.toml and per-file-ignores apply (default: {STDIN_NAME} in the current folder).")
@click.option("--fail-on", type=click.Choice(FAIL_ON),
              help="Exit 1 for findings of this severity or worse: `error` lets warnings through "
                   "[default: `fail-on` in kpi.toml, else warning].")
@click.option("--exit-zero", is_flag=True, help="Exit 0 whatever is found (still 2 for files that cannot be "
              "read and usage errors).")
def check(paths: tuple[str, ...], fmt: str, select_: str | None, ignore: str | None, show_stats: bool,
          no_cache: bool, stdin_filename: str | None, fail_on: str | None, exit_zero: bool) -> None:
    """Lint .kpi files and folders (folders are searched for *.kpi; `-` reads standard input)."""
    if paths.count("-") > 1:
        raise click.UsageError("`-` (standard input) can be given once")
    if stdin_filename is not None and "-" not in paths:
        raise click.UsageError("--stdin-filename names what `-` reads: pass `-` among the paths")
    sel, ign = _codes(select_), _codes(ignore)
    use_cache = not no_cache
    findings: list[Finding] = []
    failing = False
    files, io_errors = _discover(paths, stdin=True)
    for path in files:
        stdin = path == "-"
        shown = (stdin_filename or STDIN_NAME) if stdin else path
        try:
            config = with_overrides(config_for_file(shown), sel, ign, fail_on)
        except ConfigError as exc:
            _fail(str(exc))
        try:
            data = sources.read_bytes(path, stdin=stdin)
        except OSError as exc:
            io_errors += 1
            _say(str(exc))
            continue
        k = cache.key(path, data, config) if use_cache and not stdin else None
        found = cache.load(k, path) if k else None
        if found is None:
            from .. import api

            model, found = _compile(shown, data)
            if model is not None:
                found = api.check(model, config)
            model = None  # only the findings are kept: the model goes before the next file or the output
            found = list(found)  # each Finding made once, now that the model is gone
            if k:
                cache.store(k, path, found)
        else:
            _lines[path] = sources.display_lines(data)
        failing = failing or any(map(config.fails, found))
        if findings:
            findings += found
        else:  # the one list, not a copy of it
            findings = found
    if fmt == "json":
        _write_pieces(json_findings_pieces(findings))
    elif fmt == "sarif":
        _write_pieces(sarif_pieces(findings, __version__))
    elif fmt == "github":
        _write_pieces((line + "\n" for line in map(github_line, findings)), end="")
    else:
        _print_findings(findings)
        if show_stats and findings:
            click.echo(statistics(findings))
        click.echo(summary(findings))
    if show_stats and fmt != "text" and findings:
        click.echo(statistics(findings), err=True)
    sys.exit(2 if io_errors else 1 if failing and not exit_zero else 0)


def _load_for_eval(path: str) -> Model:
    if not os.path.lexists(path):
        _fail(f"no such file: {path}")
    try:
        model, findings = _compile(path)
    except OSError as exc:
        _fail(str(exc))
    if model is None:
        _print_findings(findings, err=True)
        _fail(f"{path} has errors; fix them first (`kpi check {path}`)", 1)
    if model.has_errors:
        model = None  # freed before the errors are made (a file may have one every few bytes)
        errors = [f for f in findings if f.is_error]
        _print_findings(errors, err=True)
        _fail(f"{path} has {len(errors)} error{'s' if len(errors) != 1 else ''} and cannot be evaluated", 1)
    return model


def _drag_count(ctx, param, value: str) -> int | None:
    """``--drags``: a whole number, or ``all`` (None)."""
    if value == "all":
        return None
    if not value.isascii() or not value.isdigit():
        raise click.BadParameter(f"expected a whole number or `all`, found `{value}`")
    return int(value)


def _as_of_date(ctx, param, value: str | None):
    """``--as-of``: a date written ``YYYY-MM-DD``."""
    import datetime

    if value is None:
        return None
    try:
        if len(value) == 10 and value.isascii():
            return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    raise click.BadParameter(f"expected a date such as 2025-06-30, found `{value}`")


@cli.command(name="eval")
@click.argument("model_path", metavar="MODEL")
@click.option("--scenario", "scenarios", multiple=True, metavar="NAME", help="Evaluate this scenario (repeatable).")
@click.option("--data", "data_files", multiple=True, metavar="FILE",
              help="Scenario values from a .toml, .json, .yaml or .csv file (repeatable).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override a value in every scenario.")
@click.option("--format", "fmt", type=click.Choice(["table", "tree", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
@click.option("--allow-missing", is_flag=True, help="Evaluate missing values as unknown instead of failing.")
@click.option("--drags", "drags", default="3", show_default=True, metavar="N|all", callback=_drag_count,
              help="How many drags to list per KGI (table and tree).")
@click.option("--drag-parents", is_flag=True, help="List KPIs that have drivers among the drags too.")
@click.option("--no-owners", "owners", is_flag=True, flag_value=False, default=True,
              help="Tree: leave out each node's owner.")
@click.option("--no-inputs", "inputs", is_flag=True, flag_value=False, default=True,
              help="Tree: leave out the inputs and metrics each formula reads.")
@click.option("--as-of", "as_of", metavar="DATE", callback=_as_of_date,
              help="The day the numbers stand at, for every scenario (past a `due`, a target not met is overdue).")
@click.option("--period", metavar="PERIOD", help="Scenarios with periods: show this period (e.g. 2025-07).")
@click.option("--to-date", "to_date", is_flag=True, help="Scenarios with periods: show the results to date.")
@click.option("--engine", type=click.Choice(["auto", "numpy", "duckdb", "spark"]), default="auto", show_default=True,
              help="What evaluates a --data file of many rows: auto picks DuckDB for Parquet, DuckDB tables "
                   "and large CSV files (docs/warehouse.md).")
@click.option("--output", metavar="FILE", help="Write every row's results to FILE (.csv, .parquet or .jsonl) "
              "and print a summary.")
def eval_(model_path: str, scenarios: tuple[str, ...], data_files: tuple[str, ...], sets: tuple[str, ...],
          fmt: str, allow_missing: bool, drags: int | None, drag_parents: bool, owners: bool, inputs: bool,
          as_of=None, period: str | None = None, to_date: bool = False, engine: str = "auto",
          output: str | None = None) -> None:
    """Evaluate scenarios of a model side by side (scenarios with periods: period by period and to date)."""
    from .. import api
    from ..render import evaluation as render_eval
    from ..api import MissingValues
    from ..data import AS_OF, DataError, left_out, select
    from . import periods as with_periods

    model = _load_for_eval(model_path)
    one_csv = not scenarios and len(data_files) == 1 and data_files[0].lower().endswith(".csv")
    series = one_csv and with_periods.is_series_csv(data_files[0])
    dated = one_csv and with_periods.has_column(data_files[0], AS_OF)  # as-of dates: row by row
    warehouse = engine != "auto" or output is not None
    if warehouse and (series or dated or period or to_date or as_of):
        _fail("--engine and --output evaluate rows without periods or as-of dates; leave them out to evaluate "
              + ("this file's periods, entities or as-of dates" if series or dated
                 else "with --period, --to-date or --as-of"))
    if warehouse or (not scenarios and len(data_files) == 1 and not (series or dated or period or to_date or as_of)):
        _eval_engine(model, scenarios, data_files, sets, allow_missing, engine, output, fmt == "table")
    if fmt == "csv" and one_csv and not (period or to_date or dated):
        if not series:
            _eval_csv_batch(model, data_files[0], sets, allow_missing, as_of)
        else:
            with_periods.csv_rows(model, data_files[0], sets, allow_missing, as_of)
    try:
        chosen = select(model, scenarios, data_files, sets)
    except DataError as exc:
        _fail(str(exc))
    if not chosen:
        _fail(f"{model_path} has no scenarios to evaluate: add a `scenario` block, or pass --data or --set", 1)
    series = with_periods.periods_of(model, chosen, sets)
    if period or to_date or any(series):
        with_periods.run(model, chosen, series, fmt, period, to_date, allow_missing, _say, _fail,
                         (_style_for(sys.stdout), drags, drag_parents, owners, inputs), as_of)
    skipped = left_out(model, chosen) if data_files and not scenarios else []
    if skipped:
        _say(f"the scenarios of {model_path} not named by the data were not evaluated: "
             + ", ".join(skipped) + "; name them with --scenario to include them")
    if not allow_missing:  # every scenario's missing values are named before any result is written
        with_periods.stop_if_missing([MissingValues(sc.name, names) for sc in chosen
                                      if (names := api.missing_values(model, sc.values))], _say, _fail)

    def evaluations():
        """Each chosen scenario's evaluation, made when it is asked for: the output formats that
        write scenario after scenario hold one at a time."""
        for sc in chosen:
            ev = api.evaluate(model, sc.values, name=sc.name, label=sc.label, allow_missing=allow_missing,
                              as_of=as_of or sc.as_of)
            if fmt == "csv":
                for problem in ev.problems:
                    _say(f"scenario `{ev.name}`: {problem}")
            yield attrs.evolve(ev, source=tuple(sc.source))

    style = _style_for(sys.stdout)
    out = _Batched()
    if fmt == "json":
        render_eval.to_json(model, evaluations(), drag_parents, write=out.write)
    elif fmt == "csv":
        render_eval.to_csv(model, evaluations(), write=out.write)
    elif fmt == "tree":
        render_eval.to_tree(model, evaluations(), style, drags, drag_parents, owners, inputs, write=out.write)
    else:  # scenarios side by side: every result is held (a few bytes each), the plan is not
        evals = list(evaluations())
        api.release_plan(model)
        render_eval.to_table(model, evals, style, drags, drag_parents, write=out.write)
    out.close()


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--allow-no-tests", is_flag=True,
              help="Exit 0 when the files have no `expect` line at all.")
def test(paths: tuple[str, ...], fmt: str, allow_no_tests: bool) -> None:
    """Evaluate every scenario and check its `expect` lines (a run without any fails, as nothing was
    tested, unless --allow-no-tests is given)."""
    import json

    from .. import api
    from ..render.text import observed_text

    passed, failures, errors = 0, [], []
    files, io_errors = _discover(paths)
    for path in files:
        try:
            model, findings = _compile(path)
        except OSError as exc:
            io_errors += 1
            _say(str(exc))
            continue
        file_errors = [f for f in findings if f.is_error]
        if file_errors or model is None:
            errors += file_errors
            continue
        p, fs = api.run_expects(model)
        passed += p
        failures += fs
    failed = len(failures) + len({f.path for f in errors})
    if fmt == "json":
        failed_json = [{"path": f.path, "line": f.line, "column": f.column, "scenario": f.scenario,
                        "expect": f.what, "values": [observed_text(*o) for o in f.observed]} for f in failures]
        click.echo(json.dumps({"passed": passed, "failed": failed, "failures": failed_json,
                               "errors": [f.to_json() for f in errors]}, ensure_ascii=False, indent=1))
    else:
        style = _style_for(sys.stdout)
        _print_findings(errors)
        for f in failures:
            click.echo(style(clean(f"{f.path}:{f.line}:{f.column}:"), bold=True) + " "
                       + style("FAILED", fg="red", bold=True) + clean(f" {f.scenario}: {f.what}"))
            for o in f.observed:
                click.echo(f"    {clean(observed_text(*o))}")
        click.echo(f"{passed} passed, {failed} failed")
    if not (passed or failed or io_errors or allow_no_tests):
        where = ("no .kpi file was found" if not files else f"{files[0]} has no `expect` line" if len(files) == 1
                 else f"none of the {len(files)} files has an `expect` line")
        _fail(f"nothing was tested: {where}; add `expect CONDITION` to a scenario, or pass --allow-no-tests", 1)
    sys.exit(2 if io_errors else 1 if failed else 0)


def _eval_csv_batch(model: Model, path: str, sets: tuple[str, ...], allow_missing: bool, as_of=None) -> None:
    """A CSV batch to CSV: evaluated column-wise with NumPy (the same results as one by one)."""
    from .. import api
    from ..data import DataError, iter_results_csv, select_batch

    try:
        names, columns, n = select_batch(model, path, sets)
    except DataError as exc:
        _fail(str(exc))
    result = api.evaluate_batch(model, columns, n, as_of=as_of, names=names)
    if result.missing and not allow_missing:
        rows = sorted(result.missing)
        for row in rows[:20]:
            _say(f"scenario `{names[row]}` has no value for " + ", ".join(f"`{m}`" for m in result.missing[row]))
        if len(rows) > 20:
            click.echo(f"kpi: … and {len(rows) - 20} more scenarios with missing values", err=True)
        _fail("supply the missing values in the scenario, with --data or --set, or pass --allow-missing", 1)
    for row, problems in list(result.problems.items())[:20]:
        for problem in problems:
            _say(f"scenario `{names[row]}`: {problem}")
    for piece in iter_results_csv(model, names, result.fields):
        sys.stdout.write(piece)
    sys.exit(0)


def _eval_engine(model: Model, scenarios: tuple[str, ...], data_files: tuple[str, ...], sets: tuple[str, ...],
                 allow_missing: bool, engine: str, output: str | None, large_csv: bool) -> None:
    """``kpi eval`` on a warehouse engine (docs/warehouse.md): a summary, results to ``--output``.
    Returns when the data is for the other paths (TOML, JSON, YAML, a small CSV file, or a large one
    unless ``large_csv``)."""
    from ..warehouse.tables import WarehouseError, source_of

    if engine != "auto" or output is not None:
        if scenarios or len(data_files) != 1:
            _fail("--engine and --output evaluate the rows of one --data file; leave out --scenario")
    else:
        try:
            if source_of(data_files[0]) is None:  # TOML, JSON, YAML: nothing more is imported
                return
        except WarehouseError as exc:
            _fail(str(exc), exc.code)
    from ..warehouse.report import Progress
    from ..warehouse.run import evaluate

    try:
        summary = evaluate(model, data_files[0], engine, output, sets, allow_missing, Progress.for_stream(sys.stderr),
                           large_csv)
    except WarehouseError as exc:
        _fail(str(exc), exc.code)
    if summary is None:
        return
    click.echo(summary.text(), nl=False)
    sys.exit(0)


@cli.command()
@click.argument("model_path", metavar="MODEL")
@click.option("--dialect", type=click.Choice(["duckdb", "postgres", "spark", "bigquery", "snowflake", "databricks",
                                              "trino"]), default="duckdb", show_default=True,
              help="The SQL dialect to write.")
@click.option("--table", required=True, metavar="TABLE",
              help="The table of scenarios: one row each, one column per input (SCHEMA.TABLE allowed).")
@click.option("--key", "keys", multiple=True, metavar="COLUMN", help="Carry this column to every output row "
              "(repeatable), e.g. --key store --key month.")
@click.option("--as-of", "as_of", metavar="DATE", callback=_as_of_date,
              help="The day the numbers stand at (past a `due`, a target not met is overdue).")
def sql(model_path: str, dialect: str, table: str, keys: tuple[str, ...], as_of=None) -> None:
    """Print the SQL query that evaluates every row of a table (docs/warehouse.md)."""
    from ..warehouse.tables import WarehouseError, sql_text

    model = _load_for_eval(model_path)
    try:
        text = sql_text(model, table, dialect, keys, as_of)
    except WarehouseError as exc:
        _fail(str(exc), exc.code)
    click.echo(text, nl=False)


@cli.command()
@click.argument("model_path", metavar="MODEL")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text",
              show_default=True, help="Output format.")
@click.option("--scenario", metavar="NAME", help="Show each node's value, score and status in this scenario.")
@click.option("--no-owners", "owners", is_flag=True, flag_value=False, default=True,
              help="Leave out each node's owner.")
@click.option("--no-inputs", "inputs", is_flag=True, flag_value=False, default=True,
              help="Leave out the inputs and metrics each formula reads.")
@click.option("--drags", "drags", default="3", show_default=True, metavar="N|all", callback=_drag_count,
              help="With --scenario, how many drags to list per KGI (text).")
@click.option("--drag-parents", is_flag=True, help="With --scenario, list KPIs that have drivers among the drags too.")
def tree(model_path: str, fmt: str, scenario: str | None, owners: bool, inputs: bool, drags: int | None,
         drag_parents: bool) -> None:
    """Draw the KPI tree with weights, targets, owners and what each formula reads."""
    from .. import api
    from ..render import evaluation as render_eval
    from ..render import tree as render_tree
    from ..data import DataError, left_out, select

    model = _load_for_eval(model_path)
    evaluation = None
    if scenario is not None:
        try:
            (chosen,) = select(model, (scenario,))
        except DataError as exc:
            _fail(str(exc))
        from . import periods as with_periods  # a scenario with periods: its last period to date

        evaluation = with_periods.last_to_date(model, chosen) or api.evaluate(
            model, chosen.values, name=chosen.name, label=chosen.label, allow_missing=True, as_of=chosen.as_of)
    style = _style_for(sys.stdout)
    if fmt == "text" and evaluation is not None:  # the view of `kpi eval --format tree`, drags included
        text = render_eval.to_tree(model, [evaluation], style, drags, drag_parents, owners, inputs)
    else:
        text = render_tree.render(model, fmt, evaluation, style, owners=owners, inputs=inputs)
    _write_text(text)


def _format_bytes(data: bytes, path: str) -> tuple[bytes | None, list[Finding]]:
    """The formatted file, keeping its byte-order mark and line endings; None and findings on errors."""
    from ..errors import FindingSink, KpiError
    from ..render.formatter import format_source, line_end

    sink = FindingSink(path)
    text = sources.decode(data, sink)
    if text is None:
        return None, sink.items
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    try:
        out = format_source(body.replace("\r\n", "\n"), path)
    except KpiError as exc:
        return None, list(exc.findings)
    if line_end(body) == "\r\n":
        out = out.replace("\n", "\r\n")
    return (("\ufeff" if bom else "") + out).encode("utf-8"), []


@contextlib.contextmanager
def _signals_held():
    """SIGINT, SIGTERM and SIGHUP wait until the block ends, then act as before, so a run stopped
    while a file is written leaves it whole and no temporary file behind."""
    caught: list[int] = []
    before = {}
    with contextlib.suppress(ValueError):  # only the main thread can; elsewhere nothing is held
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                number = getattr(signal, name)
                before[number] = signal.signal(number, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        for number in caught:
            signal.raise_signal(number)


def _rewrite(path: str, data: bytes) -> None:
    """Give the file at ``path`` (a symbolic link's target) the contents ``data``: a temporary file in
    its folder, with its mode and (where allowed) its owner, renamed over it. A read-only file, and a
    file with more than one hard link (the rename would separate them), is a ``FileError``."""
    import tempfile

    target = os.path.realpath(path)
    st = os.stat(target)
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise sources.FileError(errno.EACCES, f"{path} is read-only; kpi fmt leaves it "
                                              "as it is (make it writable to format it)")
    if st.st_nlink > 1:
        raise sources.FileError(errno.EMLINK, f"{path} has {st.st_nlink} hard links; kpi fmt "
                                              "leaves it as it is, since rewriting it would separate them")
    with _signals_held():
        fd, tmp = tempfile.mkstemp(prefix=".kpi-fmt-", suffix=".tmp", dir=os.path.dirname(target))
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if hasattr(os, "chown"):
                with contextlib.suppress(OSError):
                    os.chown(tmp, st.st_uid, st.st_gid)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print a unified diff of the changes.")
def fmt(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite .kpi files in the canonical style (`-` formats standard input to standard output)."""
    import difflib

    if paths == ("-",):
        try:
            data = sources.read_bytes("-", stdin=True)
        except OSError as exc:
            _fail(str(exc))
        out, findings = _format_bytes(data, "<stdin>")
        if out is None:
            _print_findings(findings, err=True)
            sys.exit(2)
        sys.stdout.buffer.write(out)
        sys.exit(0)
    changed = unchanged = broken = 0
    files, failed = _discover(paths)
    for path in files:
        try:
            data = sources.read_bytes(path)
        except OSError as exc:
            failed += 1
            _say(str(exc))
            continue
        out, findings = _format_bytes(data, path)
        if out is None:
            broken += 1
            _print_findings(findings, err=True)
            continue
        if out == data:
            unchanged += 1
            continue
        if show_diff:
            before = data.decode("utf-8").splitlines(keepends=True)
            after = out.decode("utf-8").splitlines(keepends=True)
            click.echo("".join(difflib.unified_diff(before, after, path, path)), nl=False)
        elif check_only:
            click.echo(f"would reformat {clean(path)}")
        else:
            try:
                _rewrite(path, out)
            except OSError as exc:
                failed += 1
                _say(str(exc) if isinstance(exc, sources.FileError)
                     else f"cannot write {path}: {exc.strerror or exc}")
                continue
            click.echo(f"reformatted {clean(path)}", err=True)
        changed += 1
    verb = "would be reformatted" if (check_only or show_diff) else "reformatted"
    click.echo(f"{changed} file{'s' if changed != 1 else ''} {verb}, {unchanged} unchanged"
               + (f", {broken} with errors" if broken else "")
               + (f", {failed} not read or written" if failed else ""), err=True)
    sys.exit(2 if broken or failed else 1 if changed and (check_only or show_diff) else 0)


@cli.command()
@click.argument("code", required=False)
def rule(code: str | None) -> None:
    """Explain one rule, or list them all."""
    if code is None:
        for r in RULES.values():
            click.echo(f"{r.code}  {r.severity:<7}  {r.summary}")
        return
    r = RULES.get(code.upper())
    if r is None:
        _fail(f"no rule `{code}`; `kpi rule` lists them all")
    click.echo(f"{r.code} ({r.severity}): {r.summary}\n\n{r.explanation}")


@cli.command()
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default; editors may pass it).")
def lsp(stdio: bool) -> None:
    """Run the language server for editors (needs `pip install 'kpidsl[lsp]'`)."""
    command = [sys.executable, "-m", "kpidsl.lsp"]  # the server is its own program: cli never imports it
    if os.name == "posix":
        os.execv(sys.executable, command)
    import subprocess

    sys.exit(subprocess.call(command))


class _Output:
    """Standard output (text, or its ``buffer``) that remembers a failed write, so that ``main`` can
    tell a full disk or a closed pipe from an internal error."""

    failure: OSError | None = None

    def __init__(self, stream) -> None:
        self._stream = stream

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

    @property
    def buffer(self) -> "_Output":
        return _Output(self._stream.buffer)

    def _call(self, method: str, *args):
        try:
            return getattr(self._stream, method)(*args)
        except OSError as exc:
            _Output.failure = exc
            raise

    def write(self, data):
        return self._call("write", data)

    def writelines(self, lines):
        return self._call("writelines", lines)

    def flush(self) -> None:
        return self._call("flush")


@cli.command()
@click.argument("model_path", metavar="MODEL")
@click.option("--scenario", "scenarios", multiple=True, metavar="NAME", help="Report this scenario (repeatable).")
@click.option("--data", "data_files", multiple=True, metavar="FILE",
              help="Scenario values from a .toml, .json, .yaml or .csv file (repeatable).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Override a value in every scenario.")
@click.option("--allow-missing", is_flag=True, help="Evaluate missing values as unknown instead of failing.")
@click.option("--as-of", "as_of", metavar="DATE", callback=_as_of_date,
              help="The day the numbers stand at, for every scenario (past a `due`, a target not met is overdue).")
@click.option("--period", metavar="PERIOD", help="Scenarios with periods: show them to date at this period "
              "(default: each one's last).")
@click.option("-o", "--output", "output", required=True, metavar="FILE",
              help="The HTML file to write (`-`: standard output).")
def report(model_path: str, scenarios: tuple[str, ...], data_files: tuple[str, ...], sets: tuple[str, ...],
           allow_missing: bool, as_of, period: str | None, output: str) -> None:
    """Write one self-contained HTML page of the scenarios: the tree by status, grades, drags, trends.

    The time in its footer is now, or SOURCE_DATE_EPOCH's."""
    from . import report as reporting

    model = _load_for_eval(model_path)
    html = reporting.page(model, model_path, scenarios, data_files, sets, allow_missing, period, as_of, _say, _fail)
    if output == "-":
        click.echo(html, nl=False)
        return
    try:
        Path(output).write_text(html, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command line with a last-resort guard around it.

    Output that cannot be written ends the run with a message and exit code 2 (a closed pipe, as
    after ``| head``: quietly, exit code 1)."""
    stdout, _Output.failure = sys.stdout, None
    if stdout is not None:
        sys.stdout = _Output(stdout)
    try:
        try:
            cli.main(args=argv, prog_name="kpi", standalone_mode=True)
        finally:
            if sys.stdout is not None:
                sys.stdout.flush()  # an output error shows now, not while Python exits
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("kpi: interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        if exc is not _Output.failure:
            _internal_error(exc)
        if exc.errno != errno.EPIPE:
            click.echo(f"kpi: cannot write the output: {exc.strerror or exc}", err=True)
            sys.exit(2)
        sys.exit(1)
    except Exception as exc:  # the last resort: one line, never a traceback
        _internal_error(exc)
    finally:
        sys.stdout = stdout
        if _Output.failure is not None:  # what is still buffered goes nowhere, not to a second error
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())


def _internal_error(exc: BaseException) -> None:
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
    click.echo(f"kpi: internal error: {type(exc).__name__}: {exc}{where} (please report)", err=True)
    sys.exit(2)
