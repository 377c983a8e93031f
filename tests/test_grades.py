"""Grades, adjustments (bonus and deduction items) and overdue indicators: syntax, checks, both
runtimes, outputs."""

from __future__ import annotations

import datetime
import math

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import kpidsl
from conftest import ROOT
from kpidsl import api
from kpidsl.cli.commands import cli
from kpidsl.render import evaluation as render_eval

np = pytest.importorskip("numpy")
from kpidsl.evaluation import arrays  # noqa: E402

REVIEW = ROOT / "tests" / "data" / "review.kpi"
M = 'model "M" {\n  owner: "O"  period: yearly  cap: 150%\n'
GRADES = ('  grade S { score: >= 110%  coefficient: 150% }\n  grade A { score: >= 100%  coefficient: 120% }\n'
          '  grade B { score: >= 90% }\n  grade C { score: >= 80%  coefficient: 80% }\n  grade D { coefficient: 0 }\n')
#: One KGI whose score is x between 0 and 1, and 1 + (x - 1) / 2 up to the cap of 150%.
ONE = M + GRADES + '}\ninput x { }\nkgi k { value: x  baseline: 0  target: >= 1  stretch: 2 }\n'


def both(model, values: dict, as_of=None):
    """The scalar result of ``values``, checked against the array runtime's on the same row."""
    ev = kpidsl.evaluate(model, values, allow_missing=True, as_of=as_of)
    names = [n for n, ind in model.indicators.items() if ind.formula is None]
    cols = {n: np.array([values.get(n, math.nan)], dtype=float) for n in names}
    batch = arrays.evaluate_columns(model, cols, 1, as_of)
    grades = [g.name for g in model.grades]
    for name, r in ev.results.items():
        assert arrays.STATUSES[int(batch.status[name][0])] == r.status
        s = float(batch.score[name][0])
        assert (s != s and r.score is None) or s == r.score
        if name in batch.grade:
            g = float(batch.grade[name][0])
            assert (None if g != g else grades[int(g)]) == r.grade
    return ev


# ---------------------------------------------------------------------------------------------
# grades


@pytest.mark.parametrize("x, grade, coefficient", [
    (0.0, "D", 0.0),
    (0.5, "D", 0.0),
    (0.7999999999, "C", 0.8),   # within the tolerance of 80%
    (0.8, "C", 0.8),
    (0.89, "C", 0.8),
    (0.9, "B", None),           # a grade without a coefficient
    (1.0, "A", 1.2),
    (1.19, "A", 1.2),           # score 1.095
    (1.2, "S", 1.5),            # score 1.1
    (5.0, "S", 1.5),            # the cap, 1.5
])
def test_the_grade_is_the_highest_band_the_score_reaches(x, grade, coefficient):
    model = kpidsl.load_text(ONE)
    r = both(model, {"x": x})["k"]
    assert (r.grade, r.coefficient) == (grade, coefficient)


def test_an_unknown_score_has_no_grade():
    r = both(kpidsl.load_text(ONE), {})["k"]
    assert (r.score, r.grade, r.coefficient) == (None, None, None)


def test_every_scored_indicator_is_graded_and_nothing_else():
    model = kpidsl.load(REVIEW)
    ev = kpidsl.evaluate(model, model.scenario_values("fy"), name="fy")
    graded = {n for n, r in ev.results.items() if r.grade is not None}
    assert graded == {"sales", "new_clients", "collection"}


def test_a_model_without_grades_grades_nothing():
    model = kpidsl.load(ROOT / "examples" / "ecommerce.kpi")
    ev = kpidsl.evaluate(model, model.scenario_values("q3"))
    assert all(r.grade is None and r.coefficient is None for r in ev.results.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 5), min_size=2, max_size=2))
def test_the_grade_is_monotone_in_the_score(xs):
    model = kpidsl.load_text(ONE)
    lo, hi = sorted(xs)
    order = [g.name for g in model.grades]
    a, b = both(model, {"x": lo})["k"], both(model, {"x": hi})["k"]
    assert order.index(b.grade) <= order.index(a.grade)  # a higher score: the same grade or a better one


@pytest.mark.parametrize("grades, message", [
    ("grade A { score: >= 90% }\ngrade S { score: >= 110% }\ngrade B { }\n", "highest band down"),
    ("grade A { score: >= 90% }\ngrade B { score: >= 90% }\ngrade C { }\n", "both start at 90%"),
    ("grade A { }\ngrade B { score: >= 50% }\n", "write it last"),
    ("grade A { }\ngrade B { }\n", "write it last"),
    ("grade A { score: >= 90% }\ngrade B { score: >= 60% }\n", "lower score would have no grade"),
    ("grade A { score: >= 90% }\ngrade B { coefficient: -1 }\n", "cannot be below 0"),
    ("".join(f"grade g{i} {{ score: >= {100 - i}% }}\n" for i in range(20)) + "grade z { }\n", "at most 20"),
])
def test_bad_grade_bands_are_e407(grades, message):
    _, findings = kpidsl.compile_text(M + "}\n" + grades + 'kgi k { target: >= 1  source: "S" }\n')
    errors = [f for f in findings if f.is_error]
    assert {f.code for f in errors} == {"E407"} and any(message in f.message for f in errors)


@pytest.mark.parametrize("text, code", [
    ('grade A { score: <= 90% }\ngrade B { }\n', "E001"),
    ('grade A { score: 80% .. 90% }\ngrade B { }\n', "E001"),
    ('grade A { score: >= x }\ngrade B { }\ninput x { }\n', "E001"),
    ('grade A { coefficient: "high" }\n', "E001"),
    ('grade A { weight: 1 }\n', "E004"),
    ('grade A { score: >= 1  score: >= 2 }\n', "E003"),
    ('kgi g { target: >= 1  source: "S"\n  grade A { }\n}\n', "E004"),
    ('grade A { }\ninput A { }\n', "E102"),
    ('grade A { }\nkgi g { value: A  target: >= 1 }\n', "E103"),
])
def test_grade_declaration_mistakes(text, code):
    _, findings = kpidsl.compile_text(M + "}\n" + text)
    assert code in [f.code for f in findings if f.is_error], [str(f) for f in findings]


@pytest.mark.parametrize("expect, code", [
    ('expect k.grade == "Z"', "E101"),
    ('expect k.grade >= "A"', "E303"),
    ('expect k.grade == 1', "E303"),
    ('expect k.grade', "E503"),
    ('expect k.grade == k.score', "E303"),
])
def test_grade_expectations_that_cannot_hold_are_refused(expect, code):
    _, findings = kpidsl.compile_text(ONE + f"scenario s {{ x: 1  {expect} }}\n")
    assert {f.code for f in findings if f.is_error} == {code}


def test_grade_results_need_grades():
    text = 'input x { }\nkgi k { value: x  target: >= 1 }\nscenario s { x: 1  expect k.coefficient >= 1 }\n'
    _, findings = kpidsl.compile_text(text)
    assert [f.code for f in findings if f.is_error] == ["E503"]


@pytest.mark.parametrize("expect, passed", [
    ('expect k.grade == "A"', True),
    ('expect k.grade != "B"', True),
    ('expect k.grade == "B" or k.coefficient == 1.2', True),
    ('expect k.coefficient == 1.5', False),
])
def test_expect_reads_the_grade_and_coefficient(expect, passed):
    model = kpidsl.load_text(ONE + f"scenario s {{ x: 1  {expect} }}\n")
    assert api.run_expects(model)[0] == int(passed)


def test_grades_may_stand_at_the_top_level_too():
    kgi = "input x { }\nkgi k { value: x  target: >= 1 }\n"
    top = kpidsl.load_text(M + "}\n" + GRADES.replace("  grade", "grade") + kgi)
    assert [g.name for g in top.grades] == ["S", "A", "B", "C", "D"] and not top.has_errors


# ---------------------------------------------------------------------------------------------
# adjustments

ADJ = M + '}\ninput x { }\ninput good { }\ninput bad { }\n'


def _adjusted(limit: str, cap: str = "") -> str:
    return ADJ + (f'kgi k {{ value: x  target: >= 1  stretch: 2  {cap}  {limit}\n'
                  '  adjustment bonus "加分" { value: good * 1% }\n'
                  '  adjustment penalty "扣分" { value: -bad * 1% }\n}\n')


@pytest.mark.parametrize("limit, x, good, bad, score", [
    ("", 0.8, 0, 0, 0.8),
    ("", 0.8, 5, 0, 0.85),
    ("", 0.8, 5, 10, 0.75),
    ("", 0.05, 0, 10, 0.0),                           # never below 0
    ("", 2.0, 40, 0, 1.5),                            # never past the cap
    ("adjustments: -10% .. 5%", 0.8, 20, 0, 0.85),    # bonuses limited to 5 points
    ("adjustments: -10% .. 5%", 0.8, 0, 30, 0.7),     # deductions to 10
    ("adjustments: -10% .. 5%", 0.8, 20, 18, 0.82),   # the total is limited, not each item
    ("adjustments: 0 .. 0", 0.8, 20, 18, 0.8),
])
def test_adjustments_add_points_to_their_parent(limit, x, good, bad, score):
    model = kpidsl.load_text(_adjusted(limit))
    assert not model.has_errors, model.findings
    r = both(model, {"x": x, "good": good, "bad": bad})["k"]
    assert r.score == pytest.approx(score, abs=1e-12)


def test_unknown_points_make_the_score_unknown():
    model = kpidsl.load_text(_adjusted(""))
    assert both(model, {"x": 0.8, "good": 1})["k"].score is None


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 3), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.sampled_from(["", "adjustments: -10% .. 5%"]))
def test_an_adjusted_score_stays_within_0_and_the_cap_and_the_limit(x, good, bad, limit):
    model = kpidsl.load_text(_adjusted(limit))
    plain = both(model, {"x": x, "good": 0, "bad": 0})["k"].score
    r = both(model, {"x": x, "good": good, "bad": bad})["k"]
    assert 0 <= r.score <= 1.5
    if limit:
        assert plain - 0.1 - 1e-12 <= r.score <= plain + 0.05 + 1e-12


def test_a_deduction_drags_and_a_vetoed_parent_scores_0():
    text = ADJ + ('kgi k { target: >= 1  source: "S"\n  kpi a { weight: 100%  value: x  target: >= 1 }\n'
                  '  adjustment penalty { value: -bad * 1% }\n  veto safe { value: good  target: == 0 }\n}\n')
    model = kpidsl.load_text(text)
    ev = both(model, {"x": 1, "good": 0, "bad": 3})
    assert ev["k"].score == pytest.approx(0.97)
    assert dict(ev.drags)["penalty"] == pytest.approx(0.03)
    assert "penalty 3.0 pts" in render_eval.to_table(model, [ev])
    assert both(model, {"x": 1, "good": 1, "bad": 0})["k"].status == "vetoed"


@pytest.mark.parametrize("text, code", [
    ('kgi k { target: >= 1  source: "S"\n  adjustment a { source: "HR" }\n}\n', "E004"),
    ('metric m { value: x }\nkgi k { target: >= 1  source: "S"\n  adjustment a { value: m }\n}\n', "E408"),
    ('kgi k { target: >= 1  source: "S"\n  adjustment a { value: k.score }\n}\n', "E503"),
    ('kgi k { target: >= 1  source: "S"  adjustments: 1% .. 5%\n  adjustment a { value: x }\n}\n', "E409"),
    ('kgi k { target: >= 1  source: "S"  adjustments: 5%\n  adjustment a { value: x }\n}\n', "E001"),
    ('kgi k { target: >= 1  source: "S"  adjustments: x .. 1\n  adjustment a { value: x }\n}\n', "E001"),
    ('adjustment a { value: x }\n', "E205"),
    ('kgi k { target: >= 1  source: "S"\n  adjustment a { value: x  weight: 10% }\n}\n', "E204"),
    ('metric m { value: x\n  adjustment a { value: x }\n}\n', "E004"),
    ('kgi k { target: >= 1  source: "S"\n  adjustment a { value: x }\n}\nscenario s { a: 1 }\n', "E501"),
    ('input a { adjustments: -1 .. 1 }\n', "E004"),
])
def test_adjustment_mistakes(text, code):
    _, findings = kpidsl.compile_text(ADJ + text)
    assert code in [f.code for f in findings if f.is_error], [str(f) for f in findings]


def test_a_flat_adjustment_names_its_parent():
    text = ADJ + 'kgi k { value: x  target: >= 1 }\nadjustment a { parent: k  value: good * 1% }\n'
    model = kpidsl.load_text(text)
    assert model.indicators["k"].adjustments == ["a"]
    assert both(model, {"x": 0.5, "good": 10})["k"].score == pytest.approx(0.6)


# ---------------------------------------------------------------------------------------------
# as-of dates and overdue

DUE = M + ('  due: 2025-12-31\n}\ninput x { }\n'
           'kgi k { value: x  target: >= 1\n  kpi early { value: x  target: >= 1  due: 2025-06-30 }\n'
           '  veto v { value: x  target: <= 5 }\n}\n')


@pytest.mark.parametrize("as_of, x, k, early", [
    (None, 0.5, "red", "red"),                                         # no as-of date: never overdue
    (datetime.date(2025, 6, 30), 0.5, "red", "red"),                   # on the day: not yet
    (datetime.date(2025, 7, 1), 0.5, "red", "overdue"),
    (datetime.date(2026, 1, 1), 0.5, "overdue", "overdue"),            # the model's deadline, inherited
    (datetime.date(2026, 1, 1), 1.0, "green", "green"),                # met: never overdue
    (datetime.date(2026, 1, 1), 9.0, "vetoed", "green"),               # a veto is the stronger word
])
def test_overdue_is_past_the_deadline_and_not_met(as_of, x, k, early):
    ev = both(kpidsl.load_text(DUE), {"x": x}, as_of)
    assert (ev["k"].status, ev["early"].status) == (k, early)


def test_a_scenario_s_as_of_is_inherited_and_read_by_expect():
    text = DUE + ("scenario a { x: 0.5  as_of: 2025-07-01  expect early.overdue  expect not k.overdue }\n"
                  "scenario b extends a { expect early.overdue }\n"
                  "scenario c extends a { as_of: 2025-01-01  expect not early.overdue }\n")
    model = kpidsl.load_text(text)
    assert api.run_expects(model) == (4, [])


@pytest.mark.parametrize("entry", ["as_of: 5", 'as_of: "2025-01-01"', "as_of: 2025-02-30"])
def test_a_bad_as_of_is_refused(entry):
    _, findings = kpidsl.compile_text(DUE + f"scenario s {{ x: 1  {entry} }}\n")
    assert [f.code for f in findings if f.is_error] in (["E001"], ["E002"])


def test_an_input_named_as_of_is_still_assigned():
    model = kpidsl.load_text('input as_of { }\nkgi k { value: as_of  target: >= 1 }\nscenario s { as_of: 2 }\n')
    assert model.scenario_values("s") == {"as_of": 2.0}


# ---------------------------------------------------------------------------------------------
# outputs


@pytest.fixture
def kpi(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), prog_name="kpi")
        assert "Traceback" not in result.output
        return result.exit_code, result.output

    return run


@pytest.mark.parametrize("args, name", [
    (["eval", str(REVIEW)], "eval_review_table.txt"),
    (["eval", str(REVIEW), "--format", "tree"], "eval_review_tree.txt"),
    (["eval", str(REVIEW), "--format", "json"], "eval_review.json"),
    (["eval", str(REVIEW), "--format", "csv"], "eval_review.csv"),
    (["tree", str(REVIEW), "--scenario", "fy"], "tree_review_fy.txt"),
    (["eval", str(REVIEW), "--as-of", "2025-06-01", "--scenario", "h1"], "eval_review_as_of.txt"),
])
def test_review_outputs_golden(kpi, golden, args, name):
    code, out = kpi(*args)
    assert code == 0, out
    golden(name, out.replace(str(REVIEW), "tests/data/review.kpi"))


def test_the_kgi_s_grade_leads_every_output(kpi):
    for fmt, first in (("table", "h1: sales grade C ×0.8"), ("tree", "sales  销售额")):
        out = kpi("eval", str(REVIEW), "--format", fmt)[1]
        assert first in out.split("\n\n")[0 if fmt == "table" else 1].splitlines()[0]
    assert '"grades": [' in kpi("eval", str(REVIEW), "--format", "json")[1]


def test_the_csv_batch_gives_grades_and_as_of_by_scenario_name(kpi, tmp_path):
    data = tmp_path / "review.csv"
    data.write_text("scenario,sales,new_clients,collection,awards,complaints\n"
                    "h1,480,42,0.93,1,4\nother,480,42,0.93,1,4\n", encoding="utf-8")
    code, out = kpi("eval", str(REVIEW), "--data", str(data), "--format", "csv")
    assert code == 0
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0][-2:] == ["grade", "coefficient"]
    by = {(r[0], r[1]): r for r in rows[1:]}
    assert by["h1", "new_clients"][10] == "overdue" and by["other", "new_clients"][10] == "amber"
    assert by["h1", "sales"][-2:] == ["C", "0.8"]


def test_a_bad_as_of_option_is_a_usage_error(kpi):
    code, out = kpi("eval", str(REVIEW), "--as-of", "2025-13-01")
    assert code == 2 and "expected a date such as 2025-06-30" in out


def test_formatting_keeps_grades_and_adjustments():
    from kpidsl.render.formatter import format_source

    text = REVIEW.read_text(encoding="utf-8")
    assert format_source(text) == text


@pytest.mark.parametrize("good, bad, points", [(20, 0, 0.05), (0, 30, -0.1), (20, 18, 0.02), (1, 0, 0.01)])
def test_the_points_added_in_all_are_a_result(good, bad, points):
    model = kpidsl.load_text(_adjusted("adjustments: -10% .. 5%"))
    ev = both(model, {"x": 0.5, "good": good, "bad": bad})
    assert ev["k"].adjustment == pytest.approx(points) and ev["bonus"].adjustment is None
    assert f"adjusted {points * 100:+.1f} pts" in render_eval.to_tree(model, [ev])


@pytest.mark.parametrize("kind", ["kpi", "kgi", "veto", "metric", "input", "adjustment"])
def test_the_model_header_holds_grades_and_no_other_declaration(kind):
    _, findings = kpidsl.compile_text(M + f"  {kind} x {{ }}\n}}\n")
    assert [(f.code, f.span.line) for f in findings if f.is_error] == [("E004", 3)]


@settings(max_examples=150, deadline=None)
@given(st.floats(0, 2), st.one_of(st.none(), st.dates(datetime.date(2024, 1, 1), datetime.date(2027, 1, 1))))
def test_overdue_exactly_when_past_the_deadline_and_not_met(x, as_of):
    ev = both(kpidsl.load_text(DUE), {"x": x}, as_of)
    for name, due in (("k", datetime.date(2025, 12, 31)), ("early", datetime.date(2025, 6, 30))):
        r = ev[name]
        late = as_of is not None and as_of > due and r.met is False and r.status != "vetoed"
        assert (r.status == "overdue") == late, (name, x, as_of, r)


def test_a_failed_grade_expectation_shows_the_grade_read(kpi, tmp_path):
    path = tmp_path / "g.kpi"
    path.write_text(ONE + 'scenario s { x: 0.85  expect k.grade == "A"  expect k.coefficient >= 1 }\n',
                    encoding="utf-8")
    code, out = kpi("test", str(path))
    assert code == 1
    assert '    k.grade = "C"\n' in out and "    k.coefficient = 0.8\n" in out
