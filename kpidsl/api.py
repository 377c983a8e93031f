"""The small public API that the command line (and any editor integration) uses."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Mapping

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


def read_source(path: str) -> tuple[str | None, list[Finding]]:
    """Read and decode a file: its text, or None and an E000 finding. OSError for I/O problems."""
    data = sources.read_bytes(path)
    sink = FindingSink(path)
    return sources.decode(data, sink), sink.items


def compile_text(text: str, path: str = "<text>") -> tuple[Model | None, list[Finding]]:
    """Parse and compile ``text``: the model (None after a syntax error) and every finding."""
    text = sources.without_bom(text)  # the parser and the model read the same object
    sink = FindingSink(path)
    tree = parser.parse_text(text, sink)
    if tree is None or sink.items:  # E001/E002: the model is not compiled
        return None, list(sink.items)
    model = compiler.compile_tree(tree, text, sink)
    return model, list(model.findings)


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


def check(model: Model, config: Config | None = None) -> list[Finding]:
    """Every finding for a compiled model — compile errors and practice rules — sorted by position,
    less those silenced by ``# noqa`` comments and ``config`` (None: the defaults, silencing nothing)."""
    from .checking.lint import lint

    return lint(model, config)


def evaluate(model: Model, values: Mapping[str, float], *, name: str = "scenario", label: str | None = None,
             allow_missing: bool = False, expects: str | None = None) -> Evaluation:
    """Evaluate one scenario: ``values`` (name → number) against ``model``.

    ``name`` and ``label`` name the scenario in the result. Values the model needs that ``values``
    lacks raise ``MissingValues``, or with ``allow_missing`` are unknown (their indicators get the
    status ``no-data``). ``expects`` names the in-file scenario whose ``expect`` lines are checked
    (``Evaluation.expects``). Raises ``KpiError`` when the model has errors, or when ``values``
    names something undeclared or computed by a ``value`` formula."""
    from .evaluation.scalar import evaluate as evaluate_one

    return evaluate_one(model, values, name=name, label=label, allow_missing=allow_missing, expects=expects)


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


def evaluate_batch(model: Model, columns: Mapping, n: int):
    """Evaluate ``n`` scenarios given as NumPy columns (name -> float64 array, NaN = not supplied);
    a ``kpidsl.evaluation.arrays.BatchResult``. Imports NumPy."""
    from .evaluation.arrays import evaluate_columns

    return evaluate_columns(model, dict(columns), n)


__all__ = ["parse", "load", "load_text", "compile_text", "check", "evaluate", "evaluate_batch", "release_plan",
           "run_expects", "read_source", "Model", "Span", "MissingValues"]
