"""Scoring one value through the evaluation plan, in both Python runtimes (they must agree)."""

from __future__ import annotations

import math

import kpidsl
from kpidsl.compiler.model import Target
from kpidsl.evaluation import scalar

_TEMPLATE = "input x { }\nkgi k { value: x  target: >= 1 }\n"


def one_kpi(target: Target, baseline=None, stretch=None, cap=1.2, green=1.0, amber=0.8):
    """A model of one KGI valued by input ``x``, with these levels and settings."""
    model = kpidsl.load_text(_TEMPLATE)
    k = model.indicators["k"]
    k.target, k.baseline, k.stretch = target, baseline, stretch
    model.settings.cap, model.settings.green, model.settings.amber = cap, green, amber
    return model


def score_of(a: float, target: Target, baseline=None, stretch=None, cap=1.2, green=1.0, amber=0.8):
    """``(achievement, met, status)`` of actual ``a`` (NaN: unknown), the same in both runtimes."""
    model = one_kpi(target, baseline, stretch, cap, green, amber)
    values = {} if a != a else {"x": a}
    r = scalar.evaluate(model, values, allow_missing=True)["k"]
    ach = math.nan if r.achievement is None else r.achievement
    try:
        import numpy as np

        from kpidsl.evaluation import arrays
    except ImportError:  # pragma: no cover - NumPy is a dependency
        return ach, r.met, r.status
    batch = arrays.evaluate_columns(model, {"x": np.array([a])}, 1)
    got = float(batch.achievement["k"][0])
    assert (got != got and ach != ach) or got == ach, (a, target, got, ach)
    assert batch.met_value("k", 0) == r.met and batch.status_text("k")[0] == r.status
    return ach, r.met, r.status
