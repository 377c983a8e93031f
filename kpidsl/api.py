"""The small public API that the command line (and any editor integration) uses."""

from __future__ import annotations

import datetime
import os
from typing import TYPE_CHECKING, Mapping, Sequence

from .compiler import passes as compiler
from .parsing import parser
from .parsing import sources
from .parsing import syntax
from .evaluation.results import Evaluation, MissingValues
from .errors import Finding, FindingSink, KpiError, Span
from .compiler.model import Model

if TYPE_CHECKING:
    from .checking.config import Config


def parse(text: str, path: str | None = None) -> syntax.File:
    """Parse source text into a syntax tree; raises ``KpiError`` with E001/E002 findings."""
    sink = FindingSink(path or "<text>")
    tree = parser.parse_text(sources.without_bom(text), sink)
    if tree is None or sink.items:
        raise KpiError(sink.items)
    return tree


def read_source(path: str) -> tuple[str | None, Sequence[Finding]]:
    """Read and decode a file: its text, or None and an E000 finding. OSError for I/O problems."""
    data = sources.read_bytes(path)
    sink = FindingSink(path)
    return sources.decode(data, sink), sink.items


def compile_text(text: str, path: str = "<text>") -> tuple[Model | None, Sequence[Finding]]:
    """Parse and compile ``text``: the model (None after a syntax error) and every finding (a
    read-only sequence, ``model.findings`` when there is a model)."""
    text = sources.without_bom(text)  # the parser and the model read the same object
    sink = FindingSink(path)
    tree = parser.parse_text(text, sink)
    if tree is None or sink.items:  # E001/E002: the model is not compiled
        return None, sink.items
    model = compiler.compile_tree(tree, text, sink)
    return model, model.findings


def load_text(text: str, path: str = "<text>") -> Model:
    """Compile ``text`` into a model; raises ``KpiError`` after E000–E002 (syntax) findings."""
    model, findings = compile_text(text, path)
    if model is None:
        raise KpiError(findings)
    return model


def load(path: str | os.PathLike) -> Model:
    """Read, parse and compile a ``.kpi`` file; raises ``KpiError`` after E000–E002 findings
    and ``OSError`` when the file cannot be read. Other findings are in ``model.findings``."""
    path = os.fspath(path)
    text, findings = read_source(path)
    if text is None:
        raise KpiError(findings)
    return load_text(text, path)


def check(model: Model, config: Config | None = None) -> Sequence[Finding]:
    """Every finding for a compiled model — compile errors and practice rules — sorted by position,
    less those silenced by ``# noqa`` comments and ``config`` (None: the defaults, silencing nothing):
    a read-only sequence (``kpidsl.errors.Findings``), each finding made when it is read."""
    from .checking.lint import lint

    return lint(model, config)


def noqa_insertion(line: str, code: str) -> tuple[int, str]:
    """Where (an index into ``line``) and what to insert so that the line's ``# noqa`` comment
    silences ``code``: added to its ``# noqa:`` list, else a ``# noqa: CODE`` comment at its end."""
    from .checking.lint import noqa_insertion

    return noqa_insertion(line, code)


def evaluate(model: Model, values: Mapping[str, float], *, name: str = "scenario", label: str | None = None,
             allow_missing: bool = False, expects: str | None = None, as_of: datetime.date | None = None) -> Evaluation:
    """Evaluate one scenario: ``values`` (name → number) against ``model``.

    ``name`` and ``label`` name the scenario in the result. Values the model needs that ``values``
    lacks raise ``MissingValues``, or with ``allow_missing`` are unknown (their indicators get the
    status ``no-data``). ``expects`` names the in-file scenario whose ``expect`` lines are checked
    (``Evaluation.expects``). Raises ``KpiError`` when the model has errors, or when ``values``
    names something undeclared or computed by a ``value`` formula. ``as_of`` is the day the numbers
    stand at (an unmet indicator past its deadline is overdue); by default, the ``as_of`` of the
    in-file scenario ``name``."""
    from .evaluation.scalar import evaluate as evaluate_one

    return evaluate_one(model, values, name=name, label=label, allow_missing=allow_missing, expects=expects,
                        as_of=as_of)


def missing_values(model: Model, values: Mapping[str, float]) -> list[str]:
    """The names ``evaluate`` needs that ``values`` lacks (for which it raises ``MissingValues``
    unless ``allow_missing``), found without evaluating: to stop before any result is written."""
    from .evaluation.plan import plan_of

    return plan_of(model).missing(values)


def release_plan(model: Model) -> None:
    """Free the evaluation plan of ``model`` and the code compiled from it, which the next evaluation
    builds again: for a caller that has evaluated what it needs, before it renders the results (a
    large model's plan and code take more memory than its syntax tree)."""
    from .evaluation.plan import forget

    forget(model)


def run_expects(model: Model) -> tuple[int, list]:
    """``kpi test`` for one model: evaluate every in-file scenario and check its ``expect`` lines; the
    number of checks that held and the failures (``kpidsl.evaluation.expect.Failure``)."""
    from .evaluation.expect import run_model

    return run_model(model)


def evaluate_batch(model: Model, columns: Mapping, n: int, *, as_of: datetime.date | None = None,
                   names: Sequence[str] | None = None):
    """Evaluate ``n`` scenarios given as NumPy columns (name -> float64 array, NaN = not supplied);
    a ``kpidsl.evaluation.arrays.BatchResult``. Imports NumPy. ``as_of`` is the day the numbers
    stand at; by default, for each row, the ``as_of`` of the in-file scenario of its name in ``names``."""
    from .evaluation.arrays import evaluate_named

    return evaluate_named(model, dict(columns), n, names, as_of)


def occurrences(tree: syntax.File) -> list:
    """Every place a name stands for a declaration in ``tree`` (a model's ``tree``, or ``parse``'s),
    in file order: ``kpidsl.parsing.names.Occurrence`` (name, span, role)."""
    from .parsing.names import occurrences as found

    return found(tree)


def declarations(tree: syntax.File) -> list:
    """Every declaration of ``tree``, in file order: ``kpidsl.parsing.names.Declaration``."""
    from .parsing.names import declarations as found

    return found(tree)


def vocabulary() -> dict:
    """The words of the language, for editors: ``reserved`` (keywords, never names),
    ``declarations`` (the keywords a declaration starts with), ``kinds`` (indicator kinds),
    ``keys`` (``model`` or a kind → the entry keys it may have), ``words`` (key → its enumerated
    values), ``functions`` (name → (fewest, most or None) arguments), ``results`` (what an
    ``expect`` line reads after a name's dot), ``nests`` (the kinds declared inside another) and
    ``holds`` (the kinds they are declared in, also the kinds ``parent:`` names)."""
    from .compiler.formulas import FUNCTIONS, RESULTS
    from .parsing import grammar

    return {"reserved": grammar.RESERVED, "declarations": grammar.DECLARATIONS, "kinds": grammar.KINDS,
            "keys": {k: frozenset(v) for k, v in compiler.ALLOWED.items()}, "words": dict(compiler._WORDS),
            "functions": dict(FUNCTIONS), "results": tuple(RESULTS), "nests": compiler._NESTS,
            "holds": compiler._HOLDS}


def evaluate_series(model: Model, name: str, values: Mapping[str, float], periods: Mapping[str, Mapping[str, float]],
                    *, label: str | None = None, entity: str | None = None, expects: str | None = None,
                    allow_missing: bool = False, source: tuple[str, ...] = (), as_of: datetime.date | None = None):
    """Evaluate a scenario over periods: ``values`` apply to every period, ``periods`` maps each
    period's text (``2025-07``) to its own values. A ``kpidsl.evaluation.periods.SeriesEvaluation``:
    each period on its own, to date and its run rate. ``expects`` names the in-file scenario whose
    ``expect`` lines are checked. Raises ``KpiError`` for a bad period or mixed granularities and
    ``MissingValues`` as ``evaluate`` does. Each period stands at its end, or at ``as_of``."""
    from .evaluation.periods import Series, evaluate_series as run, ordered
    from .parsing.periods import read_period

    read = []
    for text, vals in periods.items():
        period, problem = read_period(text)
        if period is None:
            raise KpiError([], problem)
        read.append((period, vals))
    series = Series(name, tuple(ordered(read, f"scenario `{name}`")), dict(values), label, entity, expects,
                    tuple(source))
    return run(model, series, allow_missing=allow_missing, as_of=as_of)


def evaluate_rows(model: Model, columns: Mapping, series, periods, *, own: bool = True, run_rate: bool = True,
                  as_of: datetime.date | None = None):
    """Evaluate many series at once with NumPy: one row per series and period, rows sorted by series
    then period (``kpidsl.evaluation.periods.evaluate_rows``; ``own=False`` and ``run_rate=False``
    leave the periods on their own and the run rate out). Imports NumPy."""
    from .evaluation.periods import evaluate_rows as run

    return run(model, columns, series, periods, own=own, run_rate=run_rate, as_of=as_of)


def scenario_periods(model: Model, name: str) -> dict[str, dict[str, float]]:
    """The periods of an in-file scenario (with those of the scenarios it extends), by their text."""
    from .evaluation.periods import series_of

    series = series_of(model, name)
    return {} if series is None else {p.text: dict(v) for p, v in series.periods}


__all__ = ["parse", "load", "load_text", "compile_text", "check", "evaluate", "evaluate_batch", "release_plan",
           "run_expects", "evaluate_series", "evaluate_rows", "scenario_periods", "read_source", "occurrences",
           "declarations", "vocabulary", "Model", "Span", "MissingValues"]
