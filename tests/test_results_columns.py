"""An evaluation's results held as columns (``Results``), and kpi eval holding one scenario at a time."""

from __future__ import annotations

import attrs

import kpidsl
from kpidsl.evaluation.results import IndicatorResult, Results
from kpidsl.render import evaluation as render

from helpers import ECOMMERCE


def _model():
    return kpidsl.load_text(ECOMMERCE)


def test_results_read_as_a_mapping_of_result_objects_in_output_order():
    model = _model()
    ev = kpidsl.evaluate(model, model.scenario_values("q3"), name="q3")
    res = ev.results
    assert isinstance(res, Results) and list(res) == list(model.order) == [r.name for r in res.values()]
    assert len(res) == len(model.order) and all(type(r) is IndicatorResult for r in res.values())
    assert [n for n, _ in res.items()] == list(res) and all(res[n] == r for n, r in res.items())
    assert "nothing" not in res and model.order[0] in res and res.get("nothing") is None
    as_dict = {n: r for n, r in res.items()}
    assert res == as_dict and attrs.evolve(ev, results=as_dict) == ev  # equal to the same results in a dict
    assert any(r.status for r in res.values()) and any(r.met is None for r in res.values())


def test_json_csv_and_tree_write_a_scenario_before_the_next_is_evaluated():
    model = _model()
    asked: list[str] = []
    written: list[str] = []

    def evaluations():
        for name in model.scenarios:
            asked.append("".join(written))  # what was written before this scenario was asked for
            yield kpidsl.evaluate(model, model.scenario_values(name), name=name)

    names = list(model.scenarios)
    assert len(names) >= 2
    for to in (render.to_json, render.to_csv, lambda m, evs, write: render.to_tree(m, evs, write=write)):
        asked.clear()
        written.clear()
        to(model, evaluations(), write=written.append)
        assert names[0] not in asked[0] and names[0] in asked[1], to


def test_the_table_written_in_pieces_is_the_table_returned():
    model = _model()
    evs = [kpidsl.evaluate(model, model.scenario_values(n), name=n) for n in model.scenarios]
    pieces: list[str] = []
    assert render.to_table(model, evs, write=pieces.append) == "" and len(pieces) > 3
    assert "".join(pieces) == render.to_table(model, evs)
