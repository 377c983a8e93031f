"""Property tests: the parser and compiler never crash, scores are monotone, roll-ups stay in range."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import lark
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import kpidsl
from kpidsl.compiler.model import Target
from kpidsl.parsing.grammar_gen import grammar_text
from plan_helpers import score_of

from helpers import ECOMMERCE, mutants

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


@functools.cache
def grammar() -> lark.Lark:
    return lark.Lark(grammar_text(), parser="lalr", start="file")


def check_parse_and_compile(text: str) -> None:
    """parse: a tree, or KpiError with findings; compile_text never raises; a clean model evaluates."""
    try:
        tree = kpidsl.parse(text)
    except kpidsl.KpiError as exc:
        assert exc.findings
        assert all(f.code in ("E001", "E002") for f in exc.findings), [f.code for f in exc.findings]
        assert all(f.span.line >= 1 and f.span.column >= 1 for f in exc.findings)
        tree = None
    model, found = kpidsl.compile_text(text)
    assert (model is None) == (tree is None)
    n_lines = max(1, text.lstrip("\ufeff").count("\n") + 1)
    for f in found:
        assert 1 <= f.span.line <= n_lines, (f.code, f.span, f.message)
        assert f.span.column >= 1
    if model is not None and not model.has_errors:
        try:
            kpidsl.evaluate(model, {}, allow_missing=True)
        except kpidsl.KpiError:
            pass
        for sc in model.scenarios:
            kpidsl.evaluate(model, model.scenario_values(sc), name=sc, allow_missing=True, expects=sc)


# ---------------------------------------------------------------------------------------------
# (1) inputs from the grammar


_names = st.sampled_from(["x", "g", "k", "orders", "销售额", "月売上", "value", "target", "weight", "parent",
                          "owner", "period", "monthly", "min", "if", "round", "expect", "score", "met",
                          "due", "_a1", "baseline", "stretch", "cap", "unit"])
_numbers = st.sampled_from(["0", "1", "42", "3.5", "75%", "833万", "1.1亿", "1_000", "1e6", "2.5M", "3B", "5k",
                            "1e999", "5kg", "1__0", "100", "120%", "40"])
_strings = st.sampled_from(['"a"', '""', '"中文"', '"\\n\\t\\"\\\\"', '"\\u4e07"', '"\\q"', '"\\u12"'])
_dates = st.sampled_from(["2025-12-31", "2024-02-29", "2025-02-30", "2025-13-01"])
_comments = st.sampled_from(["# c\n", "# 注释 { } \"\n", "#\n"])


def _padded(word: str):
    return st.sampled_from([f" {word} ", f"\n{word} ", f"{word}\t"])


_ignored = st.sampled_from([" ", "\n", "\r\n", "\t", "\ufeff", "\x0c"])
RAW = dict(NAME=_names, NUMBER=_numbers, STRING=_strings, DATE=_dates, COMMENT=_comments, __IGNORE_0=_ignored)
PADDED = dict(
    NAME=_names.map(lambda s: f" {s} "),
    NUMBER=_numbers.map(lambda s: f" {s} "),
    STRING=_strings.map(lambda s: f" {s} "),
    DATE=_dates.map(lambda s: f" {s} "),
    COMMENT=_comments,
    __IGNORE_0=_ignored,
    **{k: _padded(w) for k, w in [("MODEL", "model"), ("SCENARIO", "scenario"), ("KGI", "kgi"),
                                  ("KPI", "kpi"), ("VETO", "veto"), ("METRIC", "metric"),
                                  ("INPUT", "input"), ("TRUE", "true"), ("FALSE", "false"),
                                  ("EXTENDS", "extends"), ("AND", "and"), ("OR", "or"), ("NOT", "not")]},
)


@settings(max_examples=150, **SETTINGS)
@given(st.deferred(lambda: from_lark(grammar(), start="file", explicit=RAW)))
def test_grammar_generated_text_never_crashes(text):
    check_parse_and_compile(text)


@settings(max_examples=200, **SETTINGS)
@given(st.deferred(lambda: from_lark(grammar(), start="file", explicit=PADDED)))
def test_grammar_generated_spaced_text_never_crashes(text):
    check_parse_and_compile(text)


# ---------------------------------------------------------------------------------------------
# (1) mutations of the e-commerce example and of every shipped example

_TOKENS = ["{", "}", ":", '"', "#", "%", "..", ">=", "亿", "\x00", "\r", "\ufeff", "\n", "(", ")", "-",
           "expect ", "kpi ", "parent: ", "weight: 40 ", "1e999", "\\", "万", ";", ",", "=>", "^", "/ 0",
           "target: ", "extends ", "veto v { } ", ".score", "\t", "2025-02-30"]


_BASES = [ECOMMERCE] + [p.read_text(encoding="utf-8")
                         for p in sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.kpi"))]


def mutated():
    return mutants(_BASES, _TOKENS)


@settings(max_examples=300, **SETTINGS)
@given(mutated())
def test_mutated_spec_example_never_crashes(text):
    check_parse_and_compile(text)


def test_unmutated_spec_example_is_clean():
    model, found = kpidsl.compile_text(ECOMMERCE)
    assert model is not None and not model.has_errors


# ---------------------------------------------------------------------------------------------
# (2) monotone scores

_finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def threshold(draw, op):
    t = draw(_finite)
    b = s = None
    if draw(st.booleans()):
        d = draw(st.floats(min_value=1e-3, max_value=1e6))
        b = t - d if op == ">=" else t + d
        assume(b != t)
    if draw(st.booleans()):
        d = draw(st.floats(min_value=1e-3, max_value=1e6))
        s = t + d if op == ">=" else t - d
        assume(s != t)
    cap = draw(st.floats(min_value=1.0, max_value=3.0))
    return Target(op, value=t), b, s, cap


@settings(max_examples=300, **SETTINGS)
@given(threshold(">="), _finite, _finite)
def test_ge_score_is_non_decreasing_in_the_actual(th, a1, a2):
    target, b, s, cap = th
    lo, hi = sorted((a1, a2))
    s_lo = score_of(lo, target, b, s, cap)[0]
    s_hi = score_of(hi, target, b, s, cap)[0]
    assert 0.0 <= s_lo <= s_hi <= cap + 1e-12


@settings(max_examples=300, **SETTINGS)
@given(threshold("<="), _finite, _finite)
def test_le_score_is_non_increasing_in_the_actual(th, a1, a2):
    target, b, s, cap = th
    lo, hi = sorted((a1, a2))
    s_lo = score_of(lo, target, b, s, cap)[0]
    s_hi = score_of(hi, target, b, s, cap)[0]
    assert cap + 1e-12 >= s_lo >= s_hi >= 0.0


@settings(max_examples=100, **SETTINGS)
@given(threshold(">="))
def test_ge_score_is_one_exactly_at_target(th):
    target, b, s, cap = th
    assert score_of(target.value, target, b, s, cap)[0] == 1.0


# ---------------------------------------------------------------------------------------------
# (3) roll-ups with weights that sum to 100% stay within [0, cap]


@st.composite
def weighted_tree(draw):
    n = draw(st.integers(1, 8))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=n - 1, max_size=n - 1)))
    weights = [b - a for a, b in zip([0] + cuts, cuts + [100])]
    cap_pct = draw(st.integers(100, 250))
    lines = [f'model "m" {{ cap: {cap_pct}% }}', "kgi g {"]
    values = {}
    for i, w in enumerate(weights):
        op = draw(st.sampled_from([">=", "<="]))
        t = draw(st.integers(-1000, 1000))
        entries = [f"weight: {w}%", f"target: {op} {t}"]
        if draw(st.booleans()):
            d = draw(st.integers(1, 500))
            entries.append(f"baseline: {t - d if op == '>=' else t + d}")
        if draw(st.booleans()):
            d = draw(st.integers(1, 500))
            entries.append(f"stretch: {t + d if op == '>=' else t - d}")
        lines.append(f"  kpi k{i} {{ {'  '.join(entries)} }}")
        values[f"k{i}"] = draw(st.floats(min_value=-1e5, max_value=1e5, allow_nan=False))
    lines.append("}")
    return "\n".join(lines), values, cap_pct / 100


@settings(max_examples=200, **SETTINGS)
@given(weighted_tree())
def test_roll_up_stays_within_zero_and_cap(case):
    src, values, cap = case
    model = kpidsl.load_text(src)
    assert not model.has_errors, [(f.code, f.message) for f in model.findings if f.is_error]
    ev = kpidsl.evaluate(model, values)
    score = ev["g"].score
    assert score is not None and not math.isnan(score)
    assert -1e-12 <= score <= cap + 1e-9
    for name in values:
        assert 0.0 <= ev[name].score <= cap + 1e-12
    expected = sum(model.indicators[n].effective_weight * ev[n].score for n in values)
    assert math.isclose(score, expected, rel_tol=1e-9, abs_tol=1e-12)
