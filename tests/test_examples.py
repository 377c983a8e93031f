"""Every shipped example checks clean, has scenarios, and every `expect` line in it holds."""

from __future__ import annotations

import pytest

import kpidsl
from kpidsl import api
from kpidsl.parsing import sources
from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.kpi"))


def test_the_four_examples_are_shipped():
    assert {p.stem for p in EXAMPLES} >= {"ecommerce", "sales_department", "manufacturing", "customer_service"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_checks_clean(path):
    model = kpidsl.load(path)
    assert [(f.code, f.span.line) for f in kpidsl.check(model)] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_scenarios_meet_their_expectations(path):
    model = kpidsl.load(path)
    assert len(model.scenarios) >= 2
    assert any(sc.extends for sc in model.scenarios.values())
    total = 0
    for name in model.scenarios:
        if api.scenario_periods(model, name):  # checked period by period and to date below
            continue
        ev = kpidsl.evaluate(model, model.scenario_values(name), name=name, expects=name)
        assert ev.missing == ()
        failed = [(name, e.expect.span.line) for e in ev.expects if e.passed is not True]
        assert failed == []
        total += len(ev.expects)
    passed, failures = api.run_expects(model)
    assert failures == []
    assert max(total, passed) >= 3


def test_ecommerce_reproduces_the_worked_example():
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    ev = kpidsl.evaluate(model, model.scenario_values("q3"), name="q3")
    assert ev["annual_sales"].score == pytest.approx(0.835551, abs=1e-6)
    assert ev["annual_sales"].status == "amber"
    assert [n for n, _ in ev.drags[:3]] == ["monthly_sales", "repeat_rate", "cart_abandonment"]
    assert ev.drags[0][1] == pytest.approx(0.118797, abs=1e-6)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_byte_order_mark_changes_nothing_and_the_lines_are_split_once(path, tmp_path, monkeypatch):
    from kpidsl.parsing import descent

    marked = tmp_path / path.name
    marked.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    splits = []

    def recorded(text):
        splits.append(sources.lines_of(text))
        return splits[-1]

    plain = kpidsl.load(path)
    monkeypatch.setattr(descent, "lines_of", recorded)
    model = kpidsl.load(marked)
    assert model.text == plain.text and kpidsl.check(model) == []
    assert len(splits) == 1 and list(model.lines) == splits[0]  # the lines the parser read, without the mark
