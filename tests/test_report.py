"""`kpi report` without a browser: the page's nodes are `kpi eval --format json`'s, every user text is
escaped, the page is self-contained and reproducible, the sparklines are numbers, bad input is a
message, and Jinja2 stays out of every other command."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import pytest

from conftest import ROOT, source_env
from report_helpers import EVIL, EXAMPLES, HOSTILE_CSV_NAME, Nodes, expected, hostile_files, report, run, same
from kpidsl.render.report import ICONS, sparkline


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_nodes_statuses_and_scores_are_the_evaluations(name, tmp_path):
    page = Nodes(report(name, tmp_path / "r.html"))
    want = expected(name)
    assert sorted(page.views) == sorted(want)
    for key, got in page.views.items():
        assert same(got, want[key]), (key, got, want[key])


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_page_is_self_contained(name, tmp_path):
    text = report(name, tmp_path / "r.html")
    page = Nodes(text)
    assert "http:" not in text.lower() and "https:" not in text.lower() and "file:" not in text.lower()
    assert "url(" not in text and "@import" not in text
    tags = {t for t, _ in page.tags}
    assert not tags & {"link", "img", "iframe", "object", "embed", "base", "form", "audio", "video"}
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs
    assert [t for t, _ in page.tags].count("script") == 1
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_every_user_text_is_escaped(tmp_path):
    model, data = hostile_files(tmp_path)
    for args in ([str(model)], [str(model), "--data", str(data)]):
        out = tmp_path / "r.html"
        code, said = run("report", *args, "-o", str(out))
        assert code == 0, said
        text = out.read_text(encoding="utf-8")
        assert "<img" not in text and "<svg onload" not in text and "<iframe" not in text
        assert "<b onclick" not in text and "<a href=http" not in text and "<i>" not in text
        assert "\"'><img" not in text
        assert html.escape(EVIL, quote=False) in text  # shown, as text
        tags = Nodes(text).tags
        assert not any(k.startswith("on") for _, a in tags for k in a)
        assert {t for t, _ in tags} <= {"html", "head", "meta", "title", "style", "body", "header", "h1", "p", "nav",
                                         "ul", "li", "a", "main", "section", "h2", "h3", "div", "details", "summary",
                                         "span", "b", "meter", "svg", "polyline", "circle", "ol", "footer", "script",
                                         "table", "thead", "tbody", "tr", "th", "td"}
    # the entity names, the data file's name (the scenario's) and the model's owner, all escaped
    for raw in ("<img src=z onerror=alert(7)>", "<b>two</b>", HOSTILE_CSV_NAME, "<b onclick=alert(2)>boss</b>",
                "<svg onload=alert(4)>"):
        assert html.escape(raw, quote=False) in text, raw


def test_control_and_bidi_characters_show_as_escapes(tmp_path):
    model = tmp_path / "m.kpi"
    model.write_text('model "M" { owner: "o"  period: yearly }\ninput a { }\n'
                     'kgi g "evil\u202etxt.exe" { value: a  target: >= 1  owner: "x\u0007y" }\nscenario s { a: 2 }\n',
                     encoding="utf-8")
    code, said = run("report", str(model), "-o", str(tmp_path / "r.html"))
    assert code == 0, said
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "\u202e" not in text and "\u0007" not in text
    assert "evil\\u202etxt.exe" in text and "x\\u0007y" in text


def test_page_shows_what_a_review_needs(tmp_path):
    text = report("monthly", tmp_path / "r.html")
    assert text.count('class="spark"') == 4 * 3  # a sparkline per indicator of each rep
    assert "to date 1,319" in text and "run rate" not in text  # the year is complete: no projection
    assert "target &gt;= 40 (480 to date)" in text  # the level to date beside the target as written
    assert 'id="ranking"' in text and text.index("sato") < text.index("chen")  # best first
    assert "sales_monthly.csv" in text and "2025-12-01 00:00 UTC" in text
    assert "<details open>" in text and "@media print" in text and "break-inside: avoid" in text
    ecommerce = report("ecommerce", tmp_path / "e.html")
    assert "monthly_sales</a>" in ecommerce and "−11.9 pts" in ecommerce  # the drags, linked
    for status, icon in ICONS.items():  # a word and an icon beside every colour
        if f'status st-{status}"' in ecommerce:
            assert f'status st-{status}">{icon} {status}<' in ecommerce
    plant = report("plant", tmp_path / "p.html")
    assert plant.count("<h3>Metrics</h3>") == 3 and 'data-name="availability"' in plant  # metrics after the tree


def test_grades_adjustments_and_vetoes_show_where_they_apply(tmp_path):
    review = str(ROOT / "tests" / "data" / "review.kpi")
    code, said = run("report", review, "-o", str(tmp_path / "r.html"))
    assert code == 0, said
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    page = Nodes(text)
    want = expected("", [review])
    assert sorted(page.views) == sorted(want) and all(same(page.views[k], want[k]) for k in want)
    assert '<p class="grades"><b>sales</b> grade C ×0.8</p>' in text and 'class="grade">grade B ×1<' in text
    assert 'class="adjusted">adjusted -2.0 pts<' in text and 'class="adjusted">adjusted +5.0 pts<' in text
    vetoed = report("ecommerce", tmp_path / "e.html").split('data-view="audit_finding"')[1]
    assert "⛔ veto fired" in vetoed and "⛔ vetoed by compliance" in vetoed


def test_page_is_reproducible_with_source_date_epoch(tmp_path):
    a, b = report("ecommerce", tmp_path / "a.html"), report("ecommerce", tmp_path / "b.html")
    assert a == b and "Made 2025-12-01 00:00 UTC" in a


def test_period_chooses_the_date_shown(tmp_path):
    args, _ = EXAMPLES["monthly"]
    code, said = run("report", *args, "--period", "2025-03", "-o", str(tmp_path / "r.html"))
    assert code == 0, said
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "to date 2025-03 (2025-01 … 2025-03, 3 periods)" in text
    assert "run rate 2025:" in text  # the year projected from its first quarter
    ranking = re.findall(r'<td><a href="#v\d+">(\w+)</a></td>', text)
    assert ranking == ["sato", "chen", "okafor", "garcia"]  # ranked at March, not at the last month
    code, said = run("report", *args, "--period", "2031-01", "-o", str(tmp_path / "r.html"))
    assert code == 2 and "no scenario has the period `2031-01`" in said


@pytest.mark.parametrize("args, code, message", [
    (["--set", "nothing=1"], 2, "nothing"),
    (["--data", "missing.csv"], 2, "missing.csv"),
])
def test_bad_input_is_a_message(args, code, message, tmp_path):
    got, said = run("report", str(ROOT / "examples" / "ecommerce.kpi"), *args, "-o", str(tmp_path / "r.html"))
    assert got == code and message in said and said.startswith("kpi: ")


def test_missing_values_and_unwritable_output(tmp_path):
    model = tmp_path / "m.kpi"
    model.write_text('model "M" { owner: "o"  period: yearly }\ninput a { }\nkgi g { value: a  target: >= 1 }\n'
                     "scenario s { }\n", encoding="utf-8")
    code, said = run("report", str(model), "-o", str(tmp_path / "r.html"))
    assert code == 1 and "scenario `s` has no value for `a`" in said
    code, said = run("report", str(model), "--allow-missing", "-o", str(tmp_path / "r.html"))
    assert code == 0 and "no-data" in (tmp_path / "r.html").read_text(encoding="utf-8")
    code, said = run("report", str(model), "--allow-missing", "-o", str(tmp_path / "no" / "r.html"))
    assert code == 2 and said.startswith("kpi: cannot write")
    code, said = run("report", str(model), "--allow-missing", "-o", "-")
    assert code == 0 and said.startswith("<!DOCTYPE html>")
    model.write_text('model "M" { owner: "o"  period: yearly }\ninput a { }\nkgi g { value: a  target: >= 1 }\n',
                     encoding="utf-8")
    code, said = run("report", str(model), "-o", str(tmp_path / "r.html"))
    assert code == 1 and "has no scenarios to report" in said


@pytest.mark.parametrize("values, levels", [
    ([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]),
    ([None, 5.0], [(1.0, 9.0), (1.0, 9.0)]),
    ([7.0], [None]),
    ([float("nan"), float("inf"), 3.0], [None, None, None]),
])
def test_sparklines_are_numbers_only(values, levels):
    s = sparkline(values, levels)
    for key in ("line", "target", "high"):
        assert re.fullmatch(r"[0-9., -]*", s[key]), s[key]
    assert s["dots"] and all(re.fullmatch(r"-?[0-9.]+", x) for pair in s["dots"] for x in pair)


def test_sparkline_of_nothing_known():
    assert sparkline([None, None], [1.0, 1.0]) is None


def test_jinja2_is_imported_by_report_only():
    code = ("import sys\nfrom kpidsl.cli.commands import main\n"
            "try:\n    main(['eval', sys.argv[1], '--format', 'json'])\nexcept SystemExit:\n    pass\n"
            "print('jinja2' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "ecommerce.kpi")],
                          capture_output=True, text=True, env=source_env(), timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr


def test_docs_report_commands_run(tmp_path):
    """docs/report.md's `kpi report` commands work as written (their output into a temporary folder)."""
    text = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    commands = [line for line in text.splitlines() if line.startswith("kpi report ")]
    assert len(commands) >= 3
    for line in commands:
        args = line.split()[1:]
        args[args.index("-o") + 1] = str(tmp_path / args[args.index("-o") + 1])
        code, said = run(*[str(ROOT / a) if a.startswith("examples/") else a for a in args])
        assert code == 0, (line, said)
