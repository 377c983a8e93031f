"""Threshold scoring of SPEC §5: achievement and ``met`` from a value and a target."""

from __future__ import annotations

import math

from ..compiler.model import Target

TOL = 1e-9
NAN = math.nan


def tolerance(t: float) -> float:
    """The floating-point allowance for comparisons against ``t``."""
    return TOL * max(1.0, abs(t))


def is_met(a: float, target: Target) -> bool | None:
    """Whether value ``a`` meets ``target`` (None when ``a`` is unknown)."""
    if a != a:
        return None
    op = target.op
    if op == ">=":
        return a >= target.value - tolerance(target.value)
    if op == "<=":
        return a <= target.value + tolerance(target.value)
    if op == "==":
        return abs(a - target.value) <= tolerance(target.value)
    return target.low - tolerance(target.low) <= a <= target.high + tolerance(target.high)


def threshold_score(a: float, target: Target, baseline: float | None, stretch: float | None,
                    cap: float) -> float:
    """The score of value ``a`` against its threshold (NaN when ``a`` is unknown)."""
    met = is_met(a, target)
    if met is None:
        return NAN
    op, t = target.op, target.value
    if op in ("==", ".."):
        return 1.0 if met else 0.0
    if op == ">=":
        if met:
            if stretch is None:
                return 1.0
            return 1.0 + (cap - 1.0) * min(1.0, max(0.0, (a - t) / (stretch - t)))
        if baseline is not None:
            return max(0.0, (a - baseline) / (t - baseline))
        return max(0.0, a / t) if t > 0 else 0.0
    # "<="
    if met:
        if stretch is None:
            return 1.0
        return 1.0 + (cap - 1.0) * min(1.0, max(0.0, (t - a) / (t - stretch)))
    if baseline is not None:
        return max(0.0, (baseline - a) / (baseline - t))
    return t / a if t > 0 and a > 0 else 0.0


def status_of(score: float, green: float, amber: float) -> str:
    """``green``, ``amber``, ``red`` or ``no-data`` for a score."""
    if score != score:
        return "no-data"
    if score >= green - tolerance(green):
        return "green"
    if score >= amber - tolerance(amber):
        return "amber"
    return "red"
