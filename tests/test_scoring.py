"""The scoring table of docs/scoring.md, row by row, through the evaluation plan in both runtimes:
met, score, tolerance and status bands."""

from __future__ import annotations

import math

import pytest

from kpidsl.compiler.model import Target
from plan_helpers import score_of

C = 1.2  # the default cap


def threshold_score(a, target, baseline, stretch, cap):
    return score_of(a, target, baseline, stretch, cap)[0]


def is_met(a, target):
    return score_of(a, target)[1]


def status_of(score, green, amber):
    # a target of >= 1 with a stretch of 2 and a cap of 2 scores an actual a in [0, 2] as a
    return score_of(score, T(">=", 1.0), None, 2.0, 2.0, green, amber)[2]


def T(op: str, t: float | None = None, lo: float | None = None, hi: float | None = None) -> Target:
    return Target(op, value=t, low=lo, high=hi)


# (op, t, baseline, stretch, cap, a, score, met)
GE = [
    # met, no stretch: 1
    (">=", 100, None, None, C, 100, 1.0, True),
    (">=", 100, None, None, C, 150, 1.0, True),
    # not met, no baseline, t > 0: max(0, a/t)
    (">=", 100, None, None, C, 99, 0.99, False),
    (">=", 100, None, None, C, 50, 0.5, False),
    (">=", 100, None, None, C, 0, 0.0, False),
    (">=", 100, None, None, C, -5, 0.0, False),
    # zero target: met at 0 and above, else 0
    (">=", 0, None, None, C, 0, 1.0, True),
    (">=", 0, None, None, C, 5, 1.0, True),
    (">=", 0, None, None, C, -1, 0.0, False),
    # negative target, no baseline: not met scores 0 (t is not > 0)
    (">=", -10, None, None, C, -10, 1.0, True),
    (">=", -10, None, None, C, -9, 1.0, True),
    (">=", -10, None, None, C, -20, 0.0, False),
    # with baseline: max(0, (a-b)/(t-b))
    (">=", 100, 80, None, C, 90, 0.5, False),
    (">=", 100, 80, None, C, 99, 0.95, False),
    (">=", 100, 80, None, C, 80, 0.0, False),
    (">=", 100, 80, None, C, 70, 0.0, False),
    (">=", 100, 80, None, C, 100, 1.0, True),
    (">=", 100, 80, None, C, 500, 1.0, True),
    # with stretch: 1 + (C-1)·min(1, (a-t)/(s-t))
    (">=", 100, None, 120, C, 100, 1.0, True),
    (">=", 100, None, 120, C, 110, 1.1, True),
    (">=", 100, None, 120, C, 120, 1.2, True),
    (">=", 100, None, 120, C, 130, 1.2, True),
    (">=", 100, None, 120, C, 50, 0.5, False),
    # both
    (">=", 100, 80, 120, C, 90, 0.5, False),
    (">=", 100, 80, 120, C, 115, 1.15, True),
    # cap other than 1.2
    (">=", 100, None, 120, 1.5, 110, 1.25, True),
    (">=", 100, None, 120, 1.5, 200, 1.5, True),
    (">=", 100, None, 120, 1.0, 200, 1.0, True),
    (">=", 100, None, 120, 2.0, 105, 1.25, True),
    # negative levels
    (">=", -10, -20, 0, C, -15, 0.5, False),
    (">=", -10, -20, 0, C, -5, 1.1, True),
    (">=", -10, -20, 0, C, -25, 0.0, False),
    # the worked example: monthly_sales
    (">=", 8_330_000, 7_000_000, 9_500_000, C, 7_935_000, 935_000 / 1_330_000, False),
    (">=", 8_330_000, 7_000_000, 9_500_000, C, 9_660_000, 1.2, True),
    (">=", 0.75, None, None, C, 0.71, 0.71 / 0.75, False),
]

LE = [
    # met, no stretch: 1
    ("<=", 20, None, None, C, 20, 1.0, True),
    ("<=", 20, None, None, C, 5, 1.0, True),
    ("<=", 20, None, None, C, -5, 1.0, True),
    # not met, no baseline, t > 0 and a > 0: t/a
    ("<=", 0.2, None, None, C, 0.23, 0.2 / 0.23, False),
    ("<=", 20, None, None, C, 40, 0.5, False),
    ("<=", 20, None, None, C, 21, 20 / 21, False),
    # zero and negative targets: not met scores 0
    ("<=", 0, None, None, C, 0, 1.0, True),
    ("<=", 0, None, None, C, -1, 1.0, True),
    ("<=", 0, None, None, C, 1, 0.0, False),
    ("<=", -5, None, None, C, -3, 0.0, False),
    ("<=", -5, None, None, C, -5, 1.0, True),
    # with baseline: max(0, (b-a)/(b-t))
    ("<=", 20, 30, None, C, 25, 0.5, False),
    ("<=", 20, 30, None, C, 21, 0.9, False),
    ("<=", 20, 30, None, C, 30, 0.0, False),
    ("<=", 20, 30, None, C, 40, 0.0, False),
    ("<=", 20, 30, None, C, 20, 1.0, True),
    # with stretch: 1 + (C-1)·min(1, (t-a)/(t-s))
    ("<=", 20, None, 10, C, 15, 1.1, True),
    ("<=", 20, None, 10, C, 10, 1.2, True),
    ("<=", 20, None, 10, C, 0, 1.2, True),
    ("<=", 20, None, 10, C, 20, 1.0, True),
    ("<=", 20, None, 10, C, 40, 0.5, False),
    ("<=", 20, 30, 10, C, 25, 0.5, False),
    ("<=", 20, 30, 10, C, 12, 1.16, True),
    # cap other than 1.2
    ("<=", 20, None, 10, 2.0, 15, 1.5, True),
    ("<=", 20, None, 10, 1.3, 5, 1.3, True),
    # negative levels
    ("<=", -10, 0, -20, C, -5, 0.5, False),
    ("<=", -10, 0, -20, C, -15, 1.1, True),
    ("<=", -10, 0, -20, C, 5, 0.0, False),
]

EXACT = [
    ("==", 0, None, None, C, 0, 1.0, True),
    ("==", 0, None, None, C, 1e-10, 1.0, True),
    ("==", 0, None, None, C, -1e-10, 1.0, True),
    ("==", 0, None, None, C, 1e-8, 0.0, False),
    ("==", 0, None, None, C, -1, 0.0, False),
    ("==", 0, None, None, C, 1, 0.0, False),
    ("==", -5, None, None, C, -5, 1.0, True),
    ("==", -5, None, None, C, 5, 0.0, False),
    ("==", 1e6, None, None, C, 1e6 + 0.0005, 1.0, True),   # tolerance 1e-9·|t| = 0.001
    ("==", 1e6, None, None, C, 1e6 - 0.0005, 1.0, True),
    ("==", 1e6, None, None, C, 1e6 + 0.01, 0.0, False),
    ("==", 0.3, None, None, C, 0.1 + 0.2, 1.0, True),
    ("==", 100, None, None, 1.5, 100, 1.0, True),            # the cap never applies
]


def band(lo, hi, a, score, met):
    return ("..", (lo, hi), None, None, C, a, score, met)


BANDS = [
    band(0.3, 0.4, 0.35, 1.0, True),
    band(0.3, 0.4, 0.3, 1.0, True),
    band(0.3, 0.4, 0.4, 1.0, True),
    band(0.3, 0.4, 0.29, 0.0, False),
    band(0.3, 0.4, 0.41, 0.0, False),
    band(0.3, 0.4, 0.4 + 1e-10, 1.0, True),
    band(0.3, 0.4, 0.3 - 1e-10, 1.0, True),
    band(0.3, 0.4, 0.4 + 1e-8, 0.0, False),
    band(0.3, 0.4, 0.1 + 0.2, 1.0, True),
    band(5, 5, 5, 1.0, True),
    band(5, 5, 5.1, 0.0, False),
    band(-2, -1, -1.5, 1.0, True),
    band(-2, -1, 0, 0.0, False),
    band(-2, -1, -3, 0.0, False),
    band(1e6, 2e6, 1e6 - 0.0005, 1.0, True),
    band(1e6, 2e6, 1e6 - 0.01, 0.0, False),
]


def make_target(op, t):
    if op == "..":
        return T("..", lo=t[0], hi=t[1])
    return T(op, float(t))


@pytest.mark.parametrize("op, t, b, s, cap, a, score, met", GE + LE + EXACT + BANDS)
def test_scoring_table(op, t, b, s, cap, a, score, met):
    target = make_target(op, t)
    got = threshold_score(float(a), target, b, s, cap)
    assert got == pytest.approx(score, rel=1e-12, abs=1e-12)
    assert is_met(float(a), target) is met


@pytest.mark.parametrize("op, t", [(">=", 100.0), ("<=", 100.0), ("==", 100.0), ("..", (1.0, 2.0))])
def test_unknown_actual_is_unknown(op, t):
    target = make_target(op, t)
    assert math.isnan(threshold_score(math.nan, target, None, None, C))
    assert is_met(math.nan, target) is None


def test_tolerance_lets_float_sums_meet_targets():
    a = 0.1 + 0.2
    assert a != 0.3
    assert is_met(a, T(">=", 0.3)) is True
    assert is_met(0.3, T(">=", 0.1 + 0.2)) is True
    assert is_met(a, T("<=", 0.3)) is True
    assert threshold_score(0.3, T(">=", 0.1 + 0.2), None, None, C) == 1.0


@pytest.mark.parametrize("t, inside, outside", [
    (0.3, 0.3 - 0.5e-9, 0.3 - 2e-9),           # |t| < 1: the tolerance is 1e-9
    (1e-3, 1e-3 - 0.5e-9, 1e-3 - 2e-9),
    (0.0, -0.5e-9, -2e-9),
    (1e6, 1e6 - 0.0005, 1e6 - 0.002),          # |t| > 1: 1e-9·|t|
    (1e10, 1e10 - 5, 1e10 - 20),
    (-1e6, -1e6 - 0.0005, -1e6 - 0.002),
])
def test_tolerance_both_sides_ge(t, inside, outside):
    assert is_met(inside, T(">=", t)) is True
    assert is_met(outside, T(">=", t)) is False
    assert threshold_score(inside, T(">=", t), None, None, C) == 1.0
    assert threshold_score(outside, T(">=", t), None, None, C) < 1.0


@pytest.mark.parametrize("t, inside, outside", [
    (0.3, 0.3 + 0.5e-9, 0.3 + 2e-9),
    (0.0, 0.5e-9, 2e-9),
    (1e6, 1e6 + 0.0005, 1e6 + 0.002),
    (-1e6, -1e6 + 0.0005, -1e6 + 0.002),
])
def test_tolerance_both_sides_le(t, inside, outside):
    assert is_met(inside, T("<=", t)) is True
    assert is_met(outside, T("<=", t)) is False
    assert threshold_score(inside, T("<=", t), None, None, C) == 1.0
    assert threshold_score(outside, T("<=", t), None, None, C) < 1.0


def test_score_within_tolerance_below_target_with_stretch_is_not_below_one():
    # met by the tolerance: the met formula applies and the score is not less than 1
    s = threshold_score(100 - 5e-8, T(">=", 100.0), None, 120.0, C)
    assert 1.0 <= s < 1.0 + 1e-6


@pytest.mark.parametrize("score, status", [
    (1.2, "green"), (1.0, "green"), (1.0 - 0.5e-9, "green"), (1.0 - 2e-9, "amber"), (0.99, "amber"),
    (0.8, "amber"), (0.8 - 0.5e-9, "amber"), (0.8 - 2e-9, "red"), (0.79, "red"), (0.0, "red"),
    (0.7 + 0.1, "amber"),  # 0.7999999999999999
    (math.nan, "no-data"),
])
def test_status_default_bands(score, status):
    assert status_of(score, 1.0, 0.8) == status


@pytest.mark.parametrize("score, status", [
    (0.96, "green"), (0.95, "green"), (0.949, "amber"), (0.7, "amber"), (0.699, "red"), (1.5, "green"),
])
def test_status_custom_bands(score, status):
    assert status_of(score, 0.95, 0.7) == status


def test_status_with_amber_equal_to_green_has_no_amber():
    assert status_of(0.99, 1.0, 1.0) == "red"
    assert status_of(1.0, 1.0, 1.0) == "green"
