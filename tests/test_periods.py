"""Periods: reading, order, end dates, neighbours; period blocks in scenarios."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, strategies as st

from kpidsl import api
from kpidsl.parsing.periods import Period, per_year, period_end, previous, read_period, year_ago


@pytest.mark.parametrize("raw, kind, end", [
    ("2025", "year", "2025-12-31"), ("2025-H1", "half", "2025-06-30"), ("2025-H2", "half", "2025-12-31"),
    ("2025-Q1", "quarter", "2025-03-31"), ("2025-Q3", "quarter", "2025-09-30"), ("2024-02", "month", "2024-02-29"),
    ("2025-07", "month", "2025-07-31"), ("2025-W01", "week", "2025-01-05"), ("2026-W53", "week", "2027-01-03"),
    ("2025-07-15", "day", "2025-07-15"), ("2024-12-31", "day", "2024-12-31"),
])
def test_periods_read_with_their_kind_and_end(raw, kind, end):
    p, problem = read_period(raw)
    assert problem is None and p.kind == kind and p.text == raw
    assert period_end(p) == datetime.date.fromisoformat(end)


@pytest.mark.parametrize("raw, words", [
    ("2025-13", "01 to 12"), ("2025-00", "01 to 12"), ("2025-H3", "not a period"), ("2025-Q5", "not a period"),
    ("2025-W54", "W01 to W52"), ("2025-W00", "W01 to W52"), ("2025-02-29", "calendar"), ("25-07", "not a period"),
    ("2025/07", "not a period"), ("July", "not a period"), ("0000", "0001"), ("２０２５", "not an ASCII digit"),
])
def test_bad_periods_say_what_is_expected(raw, words):
    p, problem = read_period(raw)
    assert p is None and words in problem


def test_neighbours():
    r = lambda t: read_period(t)[0]  # noqa: E731
    assert previous(r("2025-01")) == r("2024-12") and previous(r("2025-Q1")) == r("2024-Q4")
    assert previous(r("2026-W01")) == r("2025-W52") and previous(r("2027-W01")) == r("2026-W53")
    assert previous(r("2025-01-01")) == r("2024-12-31")
    assert year_ago(r("2025-07")) == r("2024-07") and year_ago(r("2024-02-29")) is None
    assert year_ago(r("2026-W53")) is None and year_ago(r("2025-03-01")) == r("2024-03-01")


@given(st.dates(min_value=datetime.date(2, 1, 1), max_value=datetime.date(9998, 12, 31)),
       st.sampled_from(["year", "half", "quarter", "month", "week", "day"]))
def test_periods_round_trip_and_order_by_end(day, kind):
    y, w, _ = day.isocalendar()
    index = {"year": 1, "half": (day.month - 1) // 6 + 1, "quarter": (day.month - 1) // 3 + 1, "month": day.month,
             "week": w, "day": day.timetuple().tm_yday}[kind]
    p = Period(y if kind == "week" else day.year, index, kind)
    assert read_period(p.text) == (p, None)
    before = previous(p)
    assert before < p and period_end(before) < period_end(p) and previous(p).kind == kind
    assert 1 <= p.index <= per_year(kind, p.year)


MODEL = '''model "M" { owner: "o"  period: monthly }
input sales { source: "ERP" }
input quota { source: "HR" }
kgi s { value: sales  target: >= quota }
'''


def test_period_blocks_are_read_into_the_scenario():
    model = api.load_text(MODEL + 'scenario a {\n  quota: 100\n  period "2025-02" { sales: 120  expect s.met }\n'
                          '  period "2025-01" { sales: 90 }\n}\n')
    sc = model.scenarios["a"]
    assert sc.values == {"quota": 100.0}
    assert sc.periods == {"2025-02": {"sales": 120.0}, "2025-01": {"sales": 90.0}}
    assert [e.span.line for e in sc.period_expects["2025-02"]] == [7]


@pytest.mark.parametrize("body, codes", [
    ('period "2025-13" { sales: 1 }', ["E504"]),
    ('period "2025-01" { sales: 1 }  period "2025-01" { sales: 2 }', ["E504"]),
    ('period "2025-01" { sales: 1 }  period "2025-Q1" { sales: 2 }', ["E505"]),
    ('period "2025-01" { s: 1 }', ["E501"]),
    ('period "2025-01" { sales: 1  sales: 2 }', ["E003"]),
    ('period "2025-01" { sales: x }', ["E001"]),
    ('period "2025-01" { period "2025-02" { } }', ["E004"]),
    ('period "2025-01" { expect s.score }', ["E503"]),
])
def test_period_block_errors(body, codes):
    _, findings = api.compile_text(MODEL + "scenario a { " + body + " }\n")
    assert [f.code for f in findings if f.is_error] == codes


def test_a_period_block_outside_a_scenario_is_e004():
    _, findings = api.compile_text(MODEL + 'kgi t { target: >= 1  source: "x"  kpi k { period "2025" { } } }\n')
    assert [f.code for f in findings if f.is_error] == ["E004"]
