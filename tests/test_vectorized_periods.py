"""Series of periods: the NumPy runtime (``evaluate_rows``) against the scalar one (``evaluate_series``),
row by row, on generated models and data: each period, to date, run rate and the levels of each."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

import kpidsl  # noqa: E402
from kpidsl.compiler.model import ACCUMULATE  # noqa: E402
from kpidsl.evaluation.periods import Series, evaluate_rows, evaluate_series  # noqa: E402
from kpidsl.parsing.periods import read_period  # noqa: E402
from test_vectorized import INPUTS, VALUES, _same, models, supplied_names  # noqa: E402

PERIODS = (("2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-11", "2025-12"), ("2025-Q3", "2025-Q4", "2026-Q1"),
           ("2025-W51", "2025-W52", "2026-W01"), ("2025",  "2026"))


def _with_periods(text: str, accumulate: list[str], series: bool) -> str:
    for x, how in zip(INPUTS, accumulate):
        text = text.replace(f"input {x} {{ }}", f"input {x} {{ accumulate: {how} }}", 1)
    extra = f"metric fed_a {{ value: {INPUTS[0]} * 2 - {INPUTS[1]} / 4  target: >= {INPUTS[1]}  baseline: 0 }}\n"
    extra += (f"metric lag_a {{ value: {INPUTS[0]} - previous({INPUTS[0]}) + year_ago({INPUTS[1]})  "
              f"target: >= year_ago({INPUTS[2]}) }}\n")
    if series:
        text = text.replace("period: yearly", "period: yearly  to_date: series", 1)
    return text + extra


def _check(a, b, ctx) -> None:
    assert _same(None if a != a else a, b), ctx


def compare(model, all_series: list[Series]) -> None:
    names = supplied_names(model)
    rows = [(i, p, {**s.base, **v}) for i, s in enumerate(all_series) for p, v in s.periods]
    cols = {k: np.array([v.get(k, math.nan) for _, _, v in rows], dtype=float) for k in names}
    got = evaluate_rows(model, cols, np.array([i for i, _, _ in rows], dtype=np.int64), [p for _, p, _ in rows])
    row = 0
    for s in all_series:
        sev = evaluate_series(model, s, allow_missing=True)
        for pe in sev.periods:
            bases = [("own", pe.own, got.own), ("to_date", pe.to_date, got.to_date)]
            assert bool(got.projected[row]) == (pe.projection is not None), row
            if pe.projection is not None:
                bases.append(("projection", pe.projection, got.projection))
            for basis, ev, batch in bases:
                for nm, res in ev.results.items():
                    ctx = (row, basis, nm)
                    _check(float(batch.value[nm][row]), res.value, ctx)
                    _check(float(batch.score[nm][row]), res.score, ctx)
                    _check(float(batch.achievement[nm][row]), res.achievement, ctx)
                    assert batch.met_value(nm, row) == res.met, ctx
                    assert batch.STATUSES[int(batch.status[nm][row])] == res.status, ctx
                for nm, level in pe.bounds[basis].items():
                    cols_ = got.levels[basis][nm]
                    want = level if type(level) is tuple else (level,)
                    assert len(cols_) == len(want), (row, basis, nm)
                    for c, w in zip(cols_, want):
                        _check(float(c[row]), w, (row, basis, nm, "level"))
            row += 1


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(models(), st.data())
def test_generated_models_with_periods(text, data):
    how = data.draw(st.lists(st.sampled_from(ACCUMULATE), min_size=len(INPUTS), max_size=len(INPUTS)))
    text = _with_periods(text, how, data.draw(st.booleans()))
    model, findings = kpidsl.compile_text(text)
    assert model is not None and model.evaluable, (text, [str(f) for f in findings if f.is_error])
    names = supplied_names(model)
    values = st.fixed_dictionaries({n: VALUES for n in names}).map(lambda d: {k: v for k, v in d.items() if v is not None})
    all_series = []
    for i in range(data.draw(st.integers(1, 3))):
        texts = data.draw(st.sampled_from(PERIODS))
        chosen = sorted(data.draw(st.sets(st.sampled_from(texts), min_size=1)))
        periods = tuple((read_period(t)[0], data.draw(values)) for t in chosen)
        all_series.append(Series(f"s{i}", periods, data.draw(values)))
    compare(model, all_series)


def test_example_with_fed_and_formula_levels():
    text = _with_periods('''model "T" { owner: "t"  period: yearly }
input x0 { }
input x1 { }
input x2 { }
input x3 { }
kgi goal { value: x0 + x1  target: >= 10  baseline: 2  stretch: 20
  kpi k0 { value: x0 / x1  target: 0.5 .. x2 }
  kpi k1 { value: x3  target: <= x2 * 3 }
}
''', ["sum", "avg", "last", "sum"], False)
    model = kpidsl.load_text(text)
    p = lambda t: read_period(t)[0]  # noqa: E731
    compare(model, [Series("a", ((p("2025-01"), {"x0": 3, "x1": 4, "x2": 1, "x3": 2}),
                                 (p("2025-02"), {"x0": 9, "x1": 2, "x2": 2, "x3": 9}),
                                 (p("2026-01"), {"x0": 1, "x1": 1, "x2": 0.1, "x3": 0}))),
                    Series("b", ((p("2025-02"), {"x0": 5}),), {"x1": 1, "x2": 3, "x3": 1})])


def test_to_date_alone_is_the_to_date_of_all():
    text = _with_periods('''model "T" { owner: "t"  period: yearly }
input x0 { }
input x1 { }
input x2 { }
input x3 { }
kgi goal { value: x0 + x1  target: >= 10  baseline: 2  stretch: 20 }
''', ["sum", "avg", "last", "sum"], False)
    model = kpidsl.load_text(text)
    p = [read_period(t)[0] for t in ("2025-01", "2025-02", "2025-03", "2025-01")]
    cols = {"x0": np.array([1.0, 2.0, 3.0, 4.0]), "x1": np.array([1.0, 5.0, 2.0, 3.0]), "x2": np.ones(4),
            "x3": np.arange(4.0)}
    ids = np.array([0, 0, 0, 1])
    full = evaluate_rows(model, cols, ids, p)
    alone = evaluate_rows(model, cols, ids, p, own=False, run_rate=False)
    assert alone.own is None and alone.projection is None
    for name in ("goal", "fed_a", "lag_a"):
        assert np.array_equal(full.to_date.score[name], alone.to_date.score[name], equal_nan=True)
        assert np.array_equal(full.to_date.value[name], alone.to_date.value[name], equal_nan=True)
