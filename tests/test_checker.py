"""kpi check: the practice rules, suppression, configuration and output formats."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import kpidsl
from conftest import ROOT
from kpidsl import api
from kpidsl.checking import config as config_mod
from kpidsl.checking.lint import noqa_codes
from kpidsl.cli.commands import cli
from kpidsl.checking.config import Config
from kpidsl.render.findings import github_findings
from kpidsl.checking.rules import RULES, markdown

HEADER = 'model "M" { owner: "Ops"  period: monthly }\n'


def codes(src: str, config: Config | None = None) -> list[tuple[str, int]]:
    model, found = kpidsl.compile_text(src)
    if model is not None:
        found = kpidsl.check(model, config)
    return [(f.code, f.span.line) for f in found]


@pytest.mark.parametrize("rule", [r for r in RULES.values() if r.bad is not None], ids=lambda r: r.code)
def test_every_rule_example_triggers_it_and_the_fix_is_clean(rule):
    assert rule.code in [c for c, _ in codes(rule.bad)]
    assert codes(rule.good) == []


def test_every_rule_has_a_complete_explanation():
    for r in RULES.values():
        assert r.severity in ("error", "warning")
        assert r.summary and r.finds and r.why and r.fix, r.code
        assert (r.bad is None) == (r.good is None) == (r.code == "E000")


def test_docs_rules_md_is_generated_from_the_registry():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == markdown(), (
        "docs/rules.md is out of date: python -c 'import kpidsl.checking.rules as r; print(r.markdown(), end=\"\")' "
        "> docs/rules.md")


# -- the practice rules, with positions ---------------------------------------------------------

def test_smart_warnings_positions():
    src = (ROOT / "tests" / "data" / "warnings.kpi").read_text(encoding="utf-8")
    assert sorted(codes(src)) == sorted([("W102", 1), ("W103", 1), ("W102", 3), ("W103", 3), ("W104", 3),
                                         ("W101", 4), ("W102", 4), ("W103", 4), ("W104", 4)])


def test_owner_and_period_are_inherited_from_parents():
    src = ('kgi g {\n  target: >= 1\n  owner: "CEO"\n  due: 2025-12-31\n'
           '  kpi a { target: >= 1  source: "ERP" }\n}\n'
           'kpi b { parent: a  target: >= 1  source: "ERP" }\n')
    assert codes(src) == []


def test_owner_inherited_from_the_model_only_not_from_siblings():
    src = ('model "M" { period: monthly }\nkgi g {\n  target: >= 1\n  source: "x"\n'
           '  kpi a { target: >= 1  source: "ERP"  owner: "A" }\n  kpi b { target: >= 1  source: "ERP" }\n}\n')
    assert codes(src) == [("W102", 2), ("W102", 6)]


def test_w104_only_for_leaf_kpis():
    src = HEADER + 'kgi g {\n  target: >= 1\n  kpi a {\n    target: >= 1\n    kpi b { target: >= 1 }\n  }\n}\n'
    assert codes(src) == [("W104", 6)]


def test_w105_threshold_and_max_children():
    kids = "".join(f'  kpi k{i} {{ target: >= 1  source: "x" }}\n' for i in range(4))
    src = HEADER + "kgi g {\n  target: >= 1\n" + kids + "}\n"
    assert codes(src) == []
    assert codes(src, Config(max_children=3)) == [("W105", 2)]


def test_w106_unused_input_and_metric():
    src = HEADER + ('input a { source: "x" }\ninput b { source: "x" }\nmetric m { value: a }\n'
                    'metric watched { value: a  target: >= 1 }\nkgi g { value: a  target: >= 1 }\n'
                    'scenario s { a: 1\n  b: 2 }\n')
    assert codes(src) == [("W106", 3), ("W106", 4)]
    # an input read by an expect counts as used
    src2 = src.replace("  b: 2 }", "  b: 2\n  expect b > 1 }")
    assert codes(src2) == [("W106", 4)]


def test_w107_w108_only_when_the_file_uses_type_or_perspective():
    base = HEADER + 'kgi g {\n  target: >= 1\n  kpi a { target: >= 1  source: "x"{extra} }\n}\n'
    assert codes(base.replace("{extra}", "")) == []
    assert codes(base.replace("{extra}", "  type: result")) == [("W107", 2)]
    assert codes(base.replace("{extra}", "  type: process")) == []
    assert codes(base.replace("{extra}", "  perspective: customer")) == [("W108", 2)]


def test_warnings_run_beside_errors():
    src = HEADER + 'input orders { source: "x" }\ninput avg { source: "x" }\nkgi s { value: ordrs * avg  target: >= 1 }\n'
    assert sorted(codes(src)) == [("E101", 4), ("W106", 2)]


# -- a warning that only follows from an error is not reported ------------------------------------

_INPUT = 'input x { source: "ERP" }\n'


#: Each case has one error, and a warning that follows from it alone (the code before the rule
#: reported both).
FOLLOW_ON = [
    # the input `x` is named only in an entry with an error: not W106 unused
    (_INPUT + 'kgi k { target: > x  owner: "o" }', "E001", "W106"),  # `>` is no target operator
    (_INPUT + 'kgi k { target: x  owner: "o" }', "E001", "W106"),
    (_INPUT + 'kgi k { target: >= 1  due: x  owner: "o" }', "E001", "W106"),
    (_INPUT + 'kgi k { value: 1  target: >= 1\n  kpi a { weight: x  value: 1  target: >= 1 }\n}', "E001", "W106"),
    (_INPUT + 'kgi k { value: 1  value: x  target: >= 1 }', "E003", "W106"),  # the second is not read
    (_INPUT + 'kgi k { formula: x  target: >= 1  source: "e" }', "E004", "W106"),  # unknown key
    (_INPUT + 'input y { value: x }\nkgi k { value: y  target: >= 1 }', "E004", "W106"),
    (_INPUT + 'kgi k { value: 1  target: >= 1  weight: x }', "E204", "W106"),
    (_INPUT + 'kgi k { value: 1  target: >= 1 }\nkpi a { parent: x  value: 1  target: >= 1 }', "E103", "W106"),
    (_INPUT + 'kgi k { value: 1  target: >= 1 }\nkgi k { value: x  target: >= 1 }', "E102", "W106"),
    ('model "M" { owner: "Ops"  period: monthly  cap: x }\n' + _INPUT + 'kgi k { value: 1  target: >= 1 }',
     "E001", "W106"),
    # a `type` or `perspective` that cannot be read: not W107 / W108 for its tree
    ('kgi k { value: 1  target: >= 1  type: proces }', "E001", "W107"),
    ('kgi k { value: 1  target: >= 1  perspective: financial\n'
     '  kpi a { value: 1  weight: 100%  target: >= 1  perspective: custmer }\n}', "E001", "W108"),
]


@pytest.mark.parametrize("source, error, follow_on", FOLLOW_ON,
                         ids=[f"{e}-{w}-{i}" for i, (_, e, w) in enumerate(FOLLOW_ON)])
def test_follow_on_warnings_of_an_error_are_not_reported(source, error, follow_on):
    found = codes((source if source.startswith("model") else HEADER + source) + "\n")
    assert [c for c, _ in found] == [error], f"{follow_on} follows from {error}"


def test_follow_on_rule_keeps_the_warnings_an_error_does_not_explain():
    # an input that no entry names is unused, errors elsewhere notwithstanding
    src = HEADER + _INPUT + 'input spare { source: "ERP" }\nkgi k { target: x  owner: "o" }\n'
    assert codes(src) == [("W106", 3), ("E001", 4)]
    # a string names nothing
    assert codes(HEADER + _INPUT + 'kgi k { value: "x"  target: >= 1 }\n') == [("W106", 2), ("E001", 3)]
    # a tree whose `type` entries all read is still W107, beside another tree's unreadable one
    src = HEADER + 'kgi k { value: 1  target: >= 1  type: proces }\nkgi j { value: 1  target: >= 1  type: result }\n'
    assert codes(src) == [("E001", 2), ("W107", 3)]


# -- suppression -------------------------------------------------------------------------------

@pytest.mark.parametrize("line,expected", [
    ("kgi g {  # noqa", ()),
    ("kgi g {  # noqa: W102, W103", ("W102", "W103")),
    ("kgi g {  # NOQA:w1 because", ("W1",)),
    ('kgi g "# noqa" {', None),
    ("kgi g {  # no qa", None),
])
def test_noqa_parsing(line, expected):
    assert noqa_codes(line) == expected


@pytest.mark.parametrize("line,expected", [
    ("kgi g {", "kgi g {  # noqa: W102"),
    ("kgi g {   ", "kgi g {  # noqa: W102   "),
    ("kgi g {  # noqa: W103", "kgi g {  # noqa: W103, W102"),
    ("kgi g {  # noqa: W103, W104 because", "kgi g {  # noqa: W103, W104, W102 because"),
    ("kgi g {  # the plan's tree", "kgi g {  # the plan's tree  # noqa: W102"),
    ("kgi g {  # noqa", "kgi g {  # noqa  # noqa: W102"),  # a bare noqa silences all: left as written
    # a `# noqa:` inside a string is no comment: the edit goes after the code, not into the label
    ('kgi g "x # noqa: W103" {', 'kgi g "x # noqa: W103" {  # noqa: W102'),
    ('kgi g "x # noqa: W103" {  # noqa: W104', 'kgi g "x # noqa: W103" {  # noqa: W104, W102'),
])
def test_noqa_insertion_adds_the_code_to_the_comment_only(line, expected):
    at, text = api.noqa_insertion(line, "W102")
    assert line[:at] + text + line[at:] == expected
    codes = noqa_codes(expected)
    assert codes == () or "W102" in codes  # () silences every code


def test_noqa_silences_on_the_line_where_the_finding_starts():
    src = (ROOT / "tests" / "data" / "warnings.kpi").read_text(encoding="utf-8")
    lines = src.splitlines()
    lines[0] += "  # noqa: W102, W103"
    lines[2] += "  # noqa"
    assert sorted(codes("\n".join(lines))) == [("W101", 4), ("W102", 4), ("W103", 4), ("W104", 4)]


def test_noqa_cannot_silence_syntax_errors():
    assert codes("kgi g { target: => 1 }  # noqa") == [("E001", 1)]


def test_config_select_ignore_and_prefixes():
    src = (ROOT / "tests" / "data" / "warnings.kpi").read_text(encoding="utf-8")
    assert sorted(codes(src, Config(ignore=("W102", "W103")))) == [("W101", 4), ("W104", 3), ("W104", 4)]
    assert codes(src, Config(select=("W101",))) == [("W101", 4)]
    assert codes(src, Config(select=("W1",), ignore=("W10",))) == []


def _run(args, cwd):
    return CliRunner().invoke(cli, args, prog_name="kpi", env={"NO_COLOR": "1"}, catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    config_mod.for_directory.cache_clear()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    warnings = (ROOT / "tests" / "data" / "warnings.kpi").read_text(encoding="utf-8")
    (tmp_path / "sub" / "a.kpi").write_text(warnings, encoding="utf-8")
    (tmp_path / "b.kpi").write_text(warnings, encoding="utf-8")
    yield tmp_path
    config_mod.for_directory.cache_clear()


def _check_codes(args) -> dict[str, list[str]]:
    result = CliRunner().invoke(cli, ["check", "--format", "json", *args], prog_name="kpi")
    assert result.exit_code in (0, 1), result.output
    out: dict[str, list[str]] = {}
    for f in json.loads(result.output):
        out.setdefault(f["path"], []).append(f["code"])
    return {k: sorted(set(v)) for k, v in out.items()}


def test_nearest_config_wins_and_cli_overrides(project):
    (project / "pyproject.toml").write_text('[tool.kpidsl]\nignore = ["W102"]\n', encoding="utf-8")
    (project / "sub" / "kpi.toml").write_text('ignore = ["W103"]\n', encoding="utf-8")
    got = _check_codes(["b.kpi", "sub/a.kpi"])
    assert got == {"b.kpi": ["W101", "W103", "W104"], "sub/a.kpi": ["W101", "W102", "W104"]}
    got = _check_codes(["--ignore", "W104", "b.kpi"])
    assert got == {"b.kpi": ["W101", "W102", "W103"]}
    got = _check_codes(["--select", "W101", "sub/a.kpi"])
    assert got == {"sub/a.kpi": ["W101"]}


def test_pyproject_without_tool_table_is_skipped(project):
    (project / "kpi.toml").write_text('select = ["W101"]\n', encoding="utf-8")
    (project / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert _check_codes(["sub/a.kpi"]) == {"sub/a.kpi": ["W101"]}


def test_per_file_ignores_and_max_children(project):
    (project / "kpi.toml").write_text('max-children = 1\n[per-file-ignores]\n"sub/*.kpi" = ["W1"]\n',
                                      encoding="utf-8")
    got = _check_codes(["b.kpi", "sub"])
    assert got == {"b.kpi": ["W101", "W102", "W103", "W104", "W105"]}


@pytest.mark.parametrize("content,key", [
    ('ignore = "W1\n', "kpi.toml"),
    ('colour = "red"\n', "colour"),
    ('ignore = ["Z9"]\n', "Z9"),
    ('ignore = [1]\n', "ignore"),
    ("max-children = 0\n", "max-children"),
    ("max-children = 1001\n", "from 1 to 1,000"),
    ("max-children = 0x" + "f" * 4000 + "\n", "from 1 to 1,000"),
    ("max-children = " + "9" * 5000 + "\n", "4,300 digits"),
    ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "kpi.toml:1: nested more than 64 levels"),
    ('fail-on = "errors"\n', "fail-on"),
    ('per-file-ignores = ["x"]\n', "per-file-ignores"),
])
def test_broken_config_is_exit_2_naming_file_and_key(project, content, key):
    (project / "kpi.toml").write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "b.kpi"], prog_name="kpi")
    assert result.exit_code == 2
    assert "kpi.toml" in result.output and key in result.output
    assert "Traceback" not in result.output


# -- output formats ----------------------------------------------------------------------------

def _format(fmt: str) -> str:
    result = CliRunner().invoke(cli, ["check", "--format", fmt, "data/warnings.kpi", "data/weights.kpi"],
                                prog_name="kpi", env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    return result.output


@pytest.fixture
def in_tests(monkeypatch):
    monkeypatch.chdir(ROOT / "tests")


@pytest.mark.parametrize("fmt,name", [("text", "check_formats.txt"), ("json", "check_formats.json"),
                                      ("sarif", "check_formats.sarif"), ("github", "check_formats.github")])
def test_format_golden(in_tests, golden, fmt, name):
    out = _format(fmt)
    if fmt == "sarif":
        out = out.replace(kpidsl.__version__, "VERSION")
    golden(name, out)


def test_sarif_has_the_required_fields(in_tests):
    log = json.loads(_format("sarif"))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kpidsl" and driver["version"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids == list(RULES)
    for r in driver["rules"]:
        assert r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning")
    assert run["results"]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning") and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["artifactLocation"]["uri"] in ("data/warnings.kpi", "data/weights.kpi")
        region = loc["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])


def test_github_escaping():
    f = kpidsl.Finding("dir,a:b%.kpi", kpidsl.Span(2, 3, 2, 9), "E201", "50% of a, b: c\nnext\rline")
    assert github_findings([f]) == (
        "::error file=dir%2Ca%3Ab%25.kpi,line=2,col=3,endLine=2,endColumn=9,title=E201::"
        "50%25 of a, b: c%0Anext%0Dline")


def test_statistics_counts_per_code(in_tests):
    result = CliRunner().invoke(cli, ["check", "--statistics", "data/warnings.kpi"], prog_name="kpi",
                                env={"NO_COLOR": "1"})
    stats = [line.split()[:2] for line in result.output.splitlines() if line[:5].strip().isdigit()]
    assert stats == [["3", "W102"], ["3", "W103"], ["2", "W104"], ["1", "W101"]]


def test_rule_lists_every_code():
    result = CliRunner().invoke(cli, ["rule"], prog_name="kpi")
    assert [line.split()[0] for line in result.output.splitlines()] == list(RULES)
