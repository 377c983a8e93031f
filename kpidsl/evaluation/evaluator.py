"""Scenario evaluation: values from the program, then scores rolled up the tree (SPEC §5)."""

from __future__ import annotations

import gc
from typing import Mapping

import attrs

from ..errors import KpiError
from ..compiler.model import Model
from .scoring import NAN, is_met, status_of, threshold_score


def _num(x: float) -> float | None:
    return None if x != x else x


@attrs.frozen
class IndicatorResult:
    """One declaration's value, achievement, ``met``, score and status in one scenario."""

    name: str
    kind: str
    value: float | None
    met: bool | None
    achievement: float | None
    score: float | None
    status: str | None


@attrs.frozen
class ExpectResult:
    """One ``expect`` line and whether it held (None: it read an unknown value)."""

    expect: object
    passed: bool | None


@attrs.frozen
class Evaluation:
    """The evaluation of one scenario: results in output order, missing names, drags, expects."""

    name: str
    label: str | None
    results: dict[str, IndicatorResult]
    missing: tuple[str, ...]
    drags: tuple[tuple[str, float], ...]
    expects: tuple[ExpectResult, ...] = ()

    def __getitem__(self, name: str) -> IndicatorResult:
        return self.results[name]


class MissingValues(KpiError):
    """A scenario does not supply values the model needs."""

    def __init__(self, scenario: str, names: list[str]):
        self.scenario = scenario
        self.names = tuple(names)
        Exception.__init__(self, f"scenario `{scenario}` is missing values for " + ", ".join(names))
        self.findings = ()


def evaluate(model: Model, values: Mapping[str, float], **kw) -> Evaluation:
    """Evaluate ``values`` (name → number) against ``model``; see ``_evaluate`` for the options."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # results are acyclic; collections over a large model's heap would dominate
    try:
        return _evaluate(model, values, **kw)
    finally:
        if gc_was_enabled:
            gc.enable()


def _evaluate(model: Model, values: Mapping[str, float], *, name: str = "scenario", label: str | None = None,
             allow_missing: bool = False, expects: str | None = None) -> Evaluation:
    """Evaluate ``values`` (name → number) against ``model``.

    Raises ``KpiError`` when the model has errors or a name is unknown or computed, and
    ``MissingValues`` when needed values are absent (unless ``allow_missing``: then they are unknown).
    ``expects`` names the in-file scenario whose ``expect`` lines are checked.
    """
    if model.program is None:
        raise KpiError([f for f in model.findings if f.is_error] or model.findings,
                       "the model has errors and cannot be evaluated")
    prog = model.program
    inds = model.indicators
    v = [NAN] * len(prog.slots)
    for key, x in values.items():
        ind = inds.get(key)
        if ind is None or ind.formula is not None:
            why = "is not declared" if ind is None else "is computed by its `value` formula"
            raise KpiError([], f"`{key}` {why}; a scenario assigns inputs and indicators without a formula")
        v[prog.slots[key]] = float(x)
    missing = [n for n in prog.needed if n not in values]
    if missing and not allow_missing:
        raise MissingValues(name, missing)
    prog.values(v)

    cap, green, amber = model.settings.cap, model.settings.green, model.settings.amber
    n = len(v)
    score = [NAN] * n
    ach = [NAN] * n
    met: list[bool | None] = [None] * n
    status: list[str | None] = [None] * n
    slots = prog.slots
    for nm in reversed(model.order):  # children before parents
        ind = inds[nm]
        i = slots[nm]
        t = ind.target
        if t is not None:
            met[i] = is_met(v[i], t)
            ach[i] = threshold_score(v[i], t, ind.baseline, ind.stretch, cap)
        if ind.kind == "veto":
            score[i] = ach[i]
            if t is not None:
                status[i] = "no-data" if met[i] is None else "pass" if met[i] else "fail"
            continue
        if ind.kind == "input":
            continue
        scored = ind.scored
        if ind.children:
            total = 0.0
            for c in ind.children:
                total += inds[c].effective_weight * score[slots[c]]
            score[i] = total
        elif t is not None:
            score[i] = ach[i]
        veto_met = [met[slots[c]] for c in ind.vetoes]
        if False in veto_met:
            score[i], status[i] = 0.0, "vetoed"
            continue
        if None in veto_met:
            score[i] = NAN
        if scored:
            status[i] = status_of(score[i], green, amber)

    results = {nm: IndicatorResult(nm, inds[nm].kind, _num(v[slots[nm]]), met[slots[nm]],
                                   _num(ach[slots[nm]]), _num(score[slots[nm]]), status[slots[nm]])
               for nm in model.order}
    drags = []
    for nm in model.order:
        ind = inds[nm]
        s = score[slots[nm]]
        if ind.kind != "kpi" or s != s or ind.effective_weight is None:
            continue
        w, p = 1.0, ind
        while p.parent is not None:
            w *= p.effective_weight if p.effective_weight is not None else 1.0
            p = inds[p.parent]
        d = w * max(0.0, 1.0 - s)
        if d > 1e-12:
            drags.append((nm, d))
    drags.sort(key=lambda x: -x[1])  # stable: ties stay in tree order
    checked = ()
    if expects is not None:
        checked = tuple(ExpectResult(e, f(v, score, ach, met)) for e, f in prog.expects.get(expects, []))
    return Evaluation(name, label, results, tuple(missing), tuple(drags), checked)

