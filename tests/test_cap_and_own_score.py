"""`cap:` on an indicator overrides the model's; `score: own` scores a kpi on its own achievement."""

from __future__ import annotations

import pytest

import kpidsl
from kpidsl.evaluation.drags import drags_of

np = pytest.importorskip("numpy")
from kpidsl.evaluation import arrays  # noqa: E402

M = 'model "M" { owner: "O"  period: monthly  cap: 120% }\n'


def test_an_indicators_cap_overrides_the_models():
    text = M + ('kgi g { target: >= 1  source: "S"\n'
                '  kpi collected "回款率" { weight: 50%  target: >= 90%  stretch: 100%  cap: 100%  source: "S" }\n'
                '  kpi sales { weight: 50%  target: >= 100  stretch: 150  cap: 150%  source: "S" }\n}\n')
    model = kpidsl.load_text(text)
    assert not model.has_errors, model.findings
    e = kpidsl.evaluate(model, {"collected": 1.0, "sales": 150})
    assert e["collected"].score == 1.0 and e["sales"].score == pytest.approx(1.5)
    batch = arrays.evaluate_columns(model, {"collected": np.array([1.0]), "sales": np.array([150.0])}, 1)
    assert batch.score["sales"][0] == e["sales"].score


@pytest.mark.parametrize("cap", ["50%", "600%", "-100%"])
def test_an_indicators_cap_outside_the_range_is_e404(cap):
    _, findings = kpidsl.compile_text(M + f'kgi g {{ target: >= 1  stretch: 2  cap: {cap}  source: "S" }}\n')
    assert [f.code for f in findings if f.is_error] == ["E404"]


def test_cap_is_refused_where_no_score_has_a_stretch():
    _, findings = kpidsl.compile_text(M + 'input x { cap: 150%  source: "S" }\nkgi g { value: x  target: >= 1 }\n')
    assert "E004" in [f.code for f in findings]


OWN = M + ('kgi g { target: >= 1  source: "S"\n'
           '  kpi repeat_rate { weight: 100%  target: >= 75%  score: own  source: "S"\n'
           '    kpi cart_abandonment { weight: 100%  target: <= 20%  source: "S" }\n  }\n}\n')


def test_score_own_scores_on_its_own_achievement_and_keeps_its_drivers():
    model = kpidsl.load_text(OWN)
    assert not model.has_errors, model.findings
    e = kpidsl.evaluate(model, {"repeat_rate": 0.72, "cart_abandonment": 0.25})
    assert e["repeat_rate"].score == pytest.approx(0.72 / 0.75)
    assert e["cart_abandonment"].score == pytest.approx(0.8)  # still evaluated, for diagnosis
    assert e["g"].score == pytest.approx(0.72 / 0.75)
    assert [d.name for d in drags_of(model, e)["g"]] == ["repeat_rate"]
    with pytest.raises(kpidsl.MissingValues):  # its own value is needed now
        kpidsl.evaluate(model, {"cart_abandonment": 0.25})


def test_score_own_without_a_target_is_e406_and_drivers_is_the_default():
    _, findings = kpidsl.compile_text(OWN.replace("target: >= 75%  score: own", "score: own"))
    assert "E406" in [f.code for f in findings]
    _, findings = kpidsl.compile_text(OWN.replace("score: own", "score: drivers"))
    assert not [f for f in findings if f.is_error]
    _, findings = kpidsl.compile_text(OWN.replace("score: own", "score: mine"))
    assert [f.code for f in findings if f.is_error] == ["E001"]
