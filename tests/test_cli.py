"""The command line: exit codes, golden outputs, and no traceback for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import kpidsl
from conftest import ROOT, source_env
from helpers import invoke_kpi
from kpidsl import api
from kpidsl.cli.commands import cli, main
from kpidsl.render.tree import MAX_INDENT

DATA = ROOT / "tests" / "data"
ECOMMERCE = str(ROOT / "examples" / "ecommerce.kpi")


@pytest.fixture
def kpi(monkeypatch):
    """Run `kpi ARGS` in-process from the tests folder, without colour; returns (exit code, output)."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(ROOT / "tests")

    return invoke_kpi


def test_check_clean_file(kpi):
    code, out = kpi("check", ECOMMERCE)
    assert (code, out) == (0, "All checks passed.\n")


def test_check_text_golden(kpi, golden):
    code, out = kpi("check", "data/weights.kpi")
    assert code == 1
    golden("check_weights.txt", out)


def test_check_json_golden(kpi, golden):
    code, out = kpi("check", "--format", "json", "data/weights.kpi")
    assert code == 1
    findings = json.loads(out)
    assert [(f["code"], f["line"]) for f in findings] == [("E201", 3), ("E203", 11), ("E205", 14)]
    assert set(findings[0]) == {"path", "line", "column", "end_line", "end_column", "code", "severity",
                                "message"}
    golden("check_weights.json", out)


def test_check_syntax_error_and_statistics(kpi, golden):
    code, out = kpi("check", "--statistics", "data/syntax_error.kpi")
    assert code == 1
    golden("check_syntax_error.txt", out)


def test_check_folder_finds_kpi_files(kpi):
    code, out = kpi("check", "--format", "json", "data")
    paths = {f["path"] for f in json.loads(out)}
    assert code == 1
    assert paths == {"data/weights.kpi", "data/syntax_error.kpi", "data/binary.kpi", "data/warnings.kpi"}


def test_check_select_and_ignore(kpi):
    code, out = kpi("check", "--format", "json", "--select", "E2", "--ignore", "E205", "data/weights.kpi")
    assert [f["code"] for f in json.loads(out)] == ["E201", "E203"]
    code, out = kpi("check", "--format", "json", "--ignore", "E0", "data/binary.kpi")
    assert [f["code"] for f in json.loads(out)] == ["E000"]  # E000-E002 cannot be silenced


def test_binary_file_is_e000(kpi):
    code, out = kpi("check", "--format", "json", "data/binary.kpi")
    assert code == 1
    assert [(f["code"], f["line"]) for f in json.loads(out)] == [("E000", 1)]


@pytest.mark.parametrize("args", [
    ("check", "no/such.kpi"),
    ("check", "--format", "yaml", ECOMMERCE),
    ("check", "--select", "Z9", ECOMMERCE),
    ("eval", "no/such.kpi"),
    ("eval", "--set", "orders", ECOMMERCE),
    ("eval", "--set", "orders=5kg", ECOMMERCE),
    ("eval", "--set", "ordrs=5", ECOMMERCE),
    ("eval", "--scenario", "nope", ECOMMERCE),
    ("eval", "--data", "no/such.csv", ECOMMERCE),
    ("eval", "--data", "data/weights.kpi", ECOMMERCE),
    ("eval", "--bogus", ECOMMERCE),
    ("rule", "E999"),
    ("frobnicate",),
])
def test_usage_and_io_errors_exit_2(kpi, args):
    code, out = kpi(*args)
    assert code == 2
    assert out.strip()


@pytest.mark.parametrize("fmt,name", [("table", "eval_ecommerce_table.txt"), ("tree", "eval_ecommerce_tree.txt"),
                                      ("json", "eval_ecommerce.json"), ("csv", "eval_ecommerce.csv")])
def test_eval_golden(kpi, golden, fmt, name):
    code, out = kpi("eval", "--format", fmt, "--scenario", "q3", "--scenario", "q3_push",
                    "../examples/ecommerce.kpi")
    assert code == 0
    golden(name, out)


def test_eval_json_shape(kpi):
    code, out = kpi("eval", "--format", "json", ECOMMERCE)
    doc = json.loads(out)
    assert set(doc) == {"model", "owner", "path", "scenarios"}
    assert doc["model"] == "E-commerce FY2025" and doc["path"] == ECOMMERCE
    q3 = next(s for s in doc["scenarios"] if s["name"] == "q3")
    assert set(q3) == {"name", "label", "source", "missing", "problems", "indicators", "drags"}
    assert q3["source"] == ["the model"]
    top = q3["indicators"][0]
    assert set(top) == {"name", "kind", "label", "owner", "parent", "weight", "value", "unit", "target",
                        "baseline", "stretch", "met", "achievement", "score", "status"}
    assert set(q3["drags"][0]) == {"name", "drag", "kgi", "path", "leaf", "vetoed_by"}
    assert top["name"] == "annual_sales" and top["target"] == {"op": ">=", "value": 100000000.0}
    kinds = [i["kind"] for i in q3["indicators"]]
    assert kinds.index("metric") > max(i for i, k in enumerate(kinds) if k in ("kgi", "kpi", "veto"))
    assert kinds.index("input") > max(i for i, k in enumerate(kinds) if k == "metric")


def test_eval_missing_values_exit_1_and_name_them(kpi):
    code, out = kpi("eval", "data/conversion.kpi")
    assert code == 1
    assert "`orders`" in out


def test_eval_allow_missing(kpi):
    code, out = kpi("eval", "--format", "json", "--allow-missing", "data/conversion.kpi")
    assert code == 0
    sc = json.loads(out)["scenarios"][0]
    assert sc["missing"] == ["orders"]
    assert sc["indicators"][1]["status"] == "no-data"


def test_eval_set_and_csv_batch(kpi):
    code, out = kpi("eval", "--format", "json", "--set", "orders=25", "data/conversion.kpi")
    assert code == 0
    assert json.loads(out)["scenarios"][0]["indicators"][1]["value"] == 0.025
    code, out = kpi("eval", "--format", "csv", "--data", "data/batch.csv", "data/conversion.kpi")
    assert code == 0
    rows = out.splitlines()
    assert list(dict.fromkeys(r.split(",")[0] for r in rows)) == ["scenario", "jan", "feb", "mar"]
    assert len(rows) == 1 + 3 * len(kpidsl.load(ROOT / "tests" / "data" / "conversion.kpi").order)


#: How deep the `parent:` chain of the deep model is: beyond Python's default recursion limit.
DEEP = 1500


@pytest.fixture(scope="module")
def deep_chain(tmp_path_factory) -> str:
    """A clean model whose kpis form one `parent:` chain DEEP long, with a value for each."""
    src = 'model "Deep" { owner: "O"  period: yearly }\nkgi k0 { target: >= 1  source: "S" }\n' + "".join(
        f'kpi k{i} {{ parent: k{i - 1}  target: >= 1  source: "S" }}\n' for i in range(1, DEEP + 1))
    src += "scenario s { " + "  ".join(f"k{i}: 2" for i in range(DEEP + 1)) + " }\n"
    path = tmp_path_factory.mktemp("deep") / "deep.kpi"
    path.write_text(src, encoding="utf-8")
    return str(path)


#: Beyond MAX_INDENT levels, text stops indenting and marks the depth (docs/choices.md).
DEEPEST = " " * 4 * (MAX_INDENT - 1) + f"… [depth {DEEP}] └── k{DEEP}"


@pytest.mark.parametrize("args, last", [
    (["check", "--no-cache", "--ignore", "W105"], "All checks passed."),  # 1,500 KPIs in one tree is W105
    (["tree"], DEEPEST + "  (100%)  target >= 1  owner: O (inherited)"),
    (["eval", "--format", "tree"], DEEPEST + "  (100%)  2  target >= 1  ✓  100.0%  green"),
    (["eval", "--format", "table"], "  " * MAX_INDENT + f"… [depth {DEEP}] k{DEEP} "),
    (["eval", "--format", "csv"], f"s,k{DEEP},,kpi,,>= 1,2.0,true,1.0,1.0,green"),
])
def test_a_deep_parent_chain_checks_draws_and_evaluates(kpi, deep_chain, args, last):
    code, out = kpi(*args, deep_chain)
    assert code == 0, out[-300:]
    assert out.splitlines()[-1].startswith(last)
    assert max(map(len, out.splitlines())) < 300  # no line indented DEEP levels


def test_a_deep_parent_chain_evaluates_to_json(kpi, deep_chain):
    code, out = kpi("eval", "--format", "json", deep_chain)
    assert code == 0, out[-300:]
    (scenario,) = json.loads(out)["scenarios"]
    rows = scenario["indicators"]
    assert [r["name"] for r in rows] == [f"k{i}" for i in range(DEEP + 1)]
    assert {r["status"] for r in rows} == {"green"} and rows[-1]["parent"] == f"k{DEEP - 1}"


def test_eval_model_with_errors_exit_1(kpi):
    code, out = kpi("eval", "data/weights.kpi")
    assert code == 1
    assert "E201" in out
    code, out = kpi("eval", "data/syntax_error.kpi")
    assert code == 1
    assert "E001" in out


def test_rule_list_and_explain(kpi):
    code, out = kpi("rule")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()][:3] == ["E000", "E001", "E002"]
    code, out = kpi("rule", "e201")
    assert code == 0 and out.startswith("E201 (error)")


def test_internal_error_is_one_line(monkeypatch, capsys):
    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "compile_text", boom)
    with pytest.raises(SystemExit) as exc:
        main(["check", "--no-cache", ECOMMERCE])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("kpi: internal error: RuntimeError: boom") and "please report" in err
    assert "Traceback" not in err


def test_python_dash_m_runs_from_another_folder(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kpidsl", "eval", "--format", "json", ECOMMERCE],
                          cwd=tmp_path, env=source_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["scenarios"][0]["name"] == "q3"


def test_subprocesses_import_kpidsl_from_this_source_tree(tmp_path, monkeypatch):
    stale = tmp_path / "site" / "kpidsl"  # a copy found on the path, as one installed by `pip install .`
    stale.mkdir(parents=True)
    (stale / "__init__.py").write_text("raise SystemExit('a stale copy of kpidsl was imported')\n")
    monkeypatch.setenv("PYTHONPATH", str(stale.parent))
    proc = subprocess.run([sys.executable, "-c", "import kpidsl; print(kpidsl.__file__)"],
                          cwd=tmp_path, env=source_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(ROOT / "kpidsl" / "__init__.py")


def test_kpi_test_passes_on_the_examples(kpi):
    code, out = kpi("test", "../examples")
    assert code == 0
    assert out.splitlines()[-1].endswith(" passed, 0 failed")


def test_kpi_test_reports_failures_with_values(kpi, tmp_path, golden):
    model = tmp_path / "m.kpi"
    model.write_text('model "x" { owner: "o"  period: yearly }\ninput a { source: "s" }\n'
                     'kgi g "G" { value: a * 2  target: >= 100 }\n'
                     'scenario s1 {\n  a: 40\n  expect g == 80\n  expect g.met or g.score > 90%\n}\n'
                     'scenario s2 { expect g.met }\n', encoding="utf-8")
    code, out = kpi("test", str(model))
    assert code == 1
    golden("test_failures.txt", out.replace(str(model), "m.kpi"))
    code, out = kpi("test", "--format", "json", str(model))
    doc = json.loads(out)
    assert (doc["passed"], doc["failed"]) == (1, 2)
    assert [(f["line"], f["scenario"]) for f in doc["failures"]] == [(7, "s1"), (9, "s2")]


def test_kpi_test_fails_on_model_errors(kpi):
    code, out = kpi("test", "data/weights.kpi")
    assert code == 1
    assert "E201" in out and out.splitlines()[-1] == "0 passed, 1 failed"


UGLY = 'model "M" {owner:"o"   period:monthly}\ninput x{source:"s"}\nkgi g{value:x*2 target:>=1}\n'


def test_fmt_check_diff_and_write(kpi, tmp_path):
    path = tmp_path / "m.kpi"
    path.write_text(UGLY, encoding="utf-8")
    assert kpi("fmt", "--check", str(path))[0] == 1
    code, out = kpi("fmt", "--diff", str(path))
    assert code == 1 and out.startswith(f"--- {path}") and "+kgi g { value: x * 2  target: >= 1 }" in out
    assert path.read_text(encoding="utf-8") == UGLY
    assert kpi("fmt", str(path))[0] == 0
    assert path.read_text(encoding="utf-8") != UGLY
    assert kpi("fmt", "--check", str(path))[0] == 0


def test_fmt_standard_input_to_standard_output(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(cli, ["fmt", "-"], input=UGLY.encode(), prog_name="kpi")
    assert result.exit_code == 0
    assert result.output.startswith('model "M" { owner: "o"  period: monthly }\n')
    result = CliRunner().invoke(cli, ["fmt", "-"], input=b"kgi g { target: => 1 }", prog_name="kpi")
    assert result.exit_code == 2 and "E001" in result.output


def test_examples_are_formatted(kpi):
    assert kpi("fmt", "--check", "../examples")[0] == 0


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_tree_command(kpi, fmt):
    code, out = kpi("tree", "--format", fmt, ECOMMERCE)
    assert code == 0 and "monthly_sales" in out
    code, scored = kpi("tree", "--format", fmt, "--scenario", "q3", ECOMMERCE)
    assert code == 0 and ("amber" in scored) and scored != out


def test_tree_unknown_scenario_and_model_errors(kpi):
    assert kpi("tree", "--scenario", "nope", ECOMMERCE)[0] == 2
    assert kpi("tree", "data/weights.kpi")[0] == 1


#: What a clean `kpi check --no-cache` must not load: the lark path, batches, other outputs, the cache.
_NOT_FOR_A_CLEAN_CHECK = ("lark", "numpy", "yaml", "csv", "json", "hashlib", "textwrap", "kpidsl.parsing.lark_backend",
                          "kpidsl.evaluation.arrays", "kpidsl.evaluation.plan", "kpidsl.render.formatter", "kpidsl.render.evaluation", "kpidsl.render.tree")


@pytest.mark.parametrize("args, loaded", [
    (["check", "--no-cache"], set()),
    (["check"], {"hashlib", "json"}),  # the cache keys and stores the result
    (["check", "--no-cache", "--format", "json"], {"json"}),
])
def test_check_imports_only_what_it_needs(tmp_path, args, loaded):
    code = ("import sys\nfrom kpidsl.cli.commands import main\n"
            "try:\n    main(sys.argv[2:])\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "print(' '.join(m for m in sys.argv[1].split() if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, " ".join(_NOT_FOR_A_CLEAN_CHECK), *args, ECOMMERCE],
                          cwd=tmp_path, env=source_env(), capture_output=True, text=True, check=True)
    assert set(done.stderr.split()) == loaded
