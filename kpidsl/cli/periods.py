"""``kpi eval`` for scenarios with periods: the review table, one period (``--period``), to date
(``--to-date``), and the long table as JSON or CSV."""

from __future__ import annotations

import sys

import click

from .. import api
from ..api import KpiError, MissingValues
from ..data import SERIES_COLUMNS, Selected, read_text


def _header(path: str) -> set[str]:
    """The column names of a CSV data file (none when it cannot be read: the reading path reports it)."""
    import csv
    import io

    try:
        text = read_text(path)
        for row in csv.reader(io.StringIO(text[:65536])):
            if any(c.strip() for c in row):
                return {c.strip() for c in row}
    except Exception:
        pass
    return set()


def is_series_csv(path: str) -> bool:
    """Whether a CSV data file's header has a ``period`` or ``entity`` column."""
    return bool(SERIES_COLUMNS & _header(path))


def has_column(path: str, name: str) -> bool:
    """Whether a CSV data file's header has the column ``name``."""
    return name in _header(path)


def csv_rows(model, path: str, sets: tuple[str, ...], allow_missing: bool, as_of=None) -> bool:
    """``kpi eval --data FILE.csv --format csv`` of a CSV of plain series, column-wise with NumPy
    (the same text as one series at a time); False when the file is not of the plain form, or
    lacks needed values without ``allow_missing`` (the series path then says which)."""
    from ..data import read_series_columns
    from ..render.periods import iter_rows_csv

    if sets:
        return False
    got = read_series_columns(path, model)
    if got is None:
        return False
    series, ids, periods, columns = got
    result = api.evaluate_rows(model, columns, ids, periods, as_of=as_of)
    if result.own.missing and not allow_missing:
        return False
    for piece in iter_rows_csv(model, series, ids, periods, result):
        sys.stdout.write(piece)
    sys.exit(0)


def stop_if_missing(missing: list, say, fail) -> None:
    """Name each scenario's missing values (``MissingValues``) and exit 1, when there are any."""
    if missing:
        for exc in missing:
            say(f"scenario `{exc.scenario}` has no value for " + ", ".join(f"`{n}`" for n in exc.names))
        fail("supply the missing values in the scenario, with --data or --set, or pass --allow-missing", 1)


def periods_of(model, chosen: list[Selected], sets: tuple[str, ...] = ()) -> list[dict]:
    """Each chosen scenario's periods: those of its in-file scenario, then the data's, then the
    values of ``--set`` (which override every period's)."""
    from ..data import parse_set

    overlay = dict(parse_set(s) for s in sets)
    out = []
    for sc in chosen:
        periods = api.scenario_periods(model, sc.expects) if sc.expects is not None else {}
        for text, values in sc.periods.items():
            periods.setdefault(text, {}).update(values)
        for values in periods.values():
            values.update(overlay)
        out.append(periods)
    return out


def last_to_date(model, sc: Selected):
    """``kpi tree --scenario``'s evaluation of a scenario with periods: its last period to date
    (named ``NAME to date PERIOD``); None for a scenario without periods."""
    from ..render.periods import at_period

    [periods] = periods_of(model, [sc])
    if not periods:
        return None
    sev = api.evaluate_series(model, sc.name, sc.values, periods, label=sc.label, allow_missing=True, as_of=sc.as_of)
    return at_period([sev], None, True)[0]


def run(model, chosen: list[Selected], periods: list[dict], fmt: str, period: str | None, to_date: bool,
        allow_missing: bool, say, fail, render_eval_args, as_of=None) -> None:
    """Evaluate the scenarios that have periods and print them; exits."""
    from ..render import evaluation as render_eval
    from ..render import periods as render_periods
    from ..render.findings import plain

    sevs, missing = [], []
    for sc, ps in zip(chosen, periods):
        if not ps:
            say(f"scenario `{sc.name}` has no periods and is not shown; evaluate it without --period/--to-date")
            continue
        try:
            sevs.append(api.evaluate_series(model, sc.name, sc.values, ps, label=sc.label, entity=sc.entity,
                                            expects=sc.expects, allow_missing=allow_missing,
                                            source=tuple(sc.source), as_of=as_of or sc.as_of))
        except MissingValues as exc:
            missing.append(exc)
        except KpiError as exc:
            fail(str(exc))
    stop_if_missing(missing, say, fail)
    if not sevs:
        fail("no scenario has periods to evaluate", 1)
    if period is not None and not any(s.at(period) for s in sevs):
        have = sorted({pe.period.text for s in sevs for pe in s.periods})
        fail(f"no scenario has the period `{period}` (they have: {', '.join(have[:12])}"
             + (", …" if len(have) > 12 else "") + ")")
    style, drags, drag_parents, owners, inputs = render_eval_args
    if period is not None or to_date:
        evals = render_periods.at_period(sevs, period, to_date)
        if fmt == "json":
            text = render_eval.to_json(model, evals, drag_parents)
        elif fmt == "csv":
            text = render_eval.to_csv(model, evals)
        elif fmt == "tree":
            text = render_eval.to_tree(model, evals, style, drags, drag_parents, owners, inputs)
        else:
            text = render_eval.to_table(model, evals, style, drags, drag_parents)
    elif fmt == "json":
        text = render_periods.to_long_json(model, sevs)
    elif fmt == "csv":
        text = render_periods.to_long_csv(model, sevs)
    else:
        text = render_periods.to_review(model, sevs, style if fmt != "tree" else plain)
    click.echo(text, nl=not text.endswith("\n"))
    sys.exit(0)
