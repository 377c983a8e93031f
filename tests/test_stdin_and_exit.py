"""What editors and hooks rely on: `kpi check -` with --stdin-filename, the exit code that --fail-on,
`fail-on` and --exit-zero choose, and `kpi test` when nothing is tested."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpidsl.checking import config as config_mod
from kpidsl.cli import cache
from kpidsl.cli.commands import cli
from kpidsl.parsing import sources

#: A one-line draft: clean but for W103 (not time-bound).
DRAFT = 'kgi sales { value: 120  target: >= 100  owner: "Sales" }\n'
#: An error (E204) and a warning (W103).
BROKEN = 'kgi sales { value: 120  target: >= 100  owner: "Sales"  weight: 40 }\n'
#: W106 on line 2 (silenced by `# noqa`), W101 on line 3, W103 on line 3 (ignored by src/kpi.toml).
EDITED = ('model "M" { owner: "Ops" }\ninput unused { source: "CRM" }  # noqa: W106\n'
          'kgi sales { value: 1 }\n')


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A temporary current folder with ``src/kpi.toml``; the configuration cache cleared around it."""
    config_mod.for_directory.cache_clear()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "kpi.toml").write_text('ignore = ["W103"]\n', encoding="utf-8")
    yield tmp_path
    config_mod.for_directory.cache_clear()


def kpi(*args: str, stdin: bytes | None = None):
    result = CliRunner().invoke(cli, list(args), input=stdin, prog_name="kpi")
    assert "Traceback" not in result.output
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# -- kpi check - --------------------------------------------------------------------------------

def test_stdin_is_reported_under_stdin_filename_with_its_config_and_noqa(project, golden):
    done = kpi("check", "-", "--stdin-filename", "src/x.kpi", stdin=EDITED.encode())
    assert done.exit_code == 1
    golden("check_stdin.txt", done.output)
    assert not Path(cache.FOLDER).exists()  # standard input is never cached


def test_stdin_without_a_filename_is_stdin_with_the_current_folders_config(project):
    done = kpi("check", "--format", "json", "-", stdin=EDITED.encode())
    found = json.loads(done.stdout)
    assert {f["path"] for f in found} == {"<stdin>"}
    assert [f["code"] for f in found] == ["W101", "W103"]  # src/kpi.toml does not apply
    assert done.exit_code == 1


def test_stdin_beside_files_and_the_file_is_not_read_for_stdin(project):
    (project / "src" / "x.kpi").write_text("this is the file on disk, not what the editor has\n", encoding="utf-8")
    (project / "b.kpi").write_text(DRAFT, encoding="utf-8")
    done = kpi("check", "--format", "json", "b.kpi", "-", "--stdin-filename", "src/x.kpi",
               stdin=DRAFT.encode())
    assert [(f["path"], f["code"]) for f in json.loads(done.stdout)] == [("b.kpi", "W103")]


@pytest.mark.parametrize("data, code, shown", [
    (b"kgi g { target: => 1 }\n", "E001", "src/x.kpi:1:17: E001"),
    (b"kgi g \xff\n", "E000", "src/x.kpi:1:7: E000"),
])
def test_stdin_errors_show_the_source_line(project, data, code, shown):
    done = kpi("check", "-", "--stdin-filename", "src/x.kpi", stdin=data)
    assert done.exit_code == 1 and done.output.startswith(shown)
    assert " 1 | kgi g " in done.output


def test_stdin_over_the_size_limit_is_exit_2(project, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 1024 * 1024)
    done = kpi("check", "-", stdin=b" " * (1024 * 1024 + 1))
    assert done.exit_code == 2
    assert done.stderr == "kpi: standard input is more than 1 MB; the limit is 1 MB\n"


@pytest.mark.parametrize("args, message", [
    (["check", "x.kpi", "--stdin-filename", "x.kpi"], "--stdin-filename names what `-` reads"),
    (["check", "-", "-"], "`-` (standard input) can be given once"),
])
def test_stdin_usage_errors(project, args, message):
    done = kpi(*args, stdin=DRAFT.encode())
    assert done.exit_code == 2 and message in done.stderr


# -- which findings fail: --fail-on, fail-on, --exit-zero ------------------------------------------

@pytest.mark.parametrize("source, config, args, exit_code", [
    (DRAFT, None, [], 1),                                   # any finding fails by default
    (DRAFT, None, ["--fail-on", "error"], 0),               # a warning is printed but passes
    (DRAFT, None, ["--fail-on", "warning"], 1),
    (DRAFT, 'fail-on = "error"\n', [], 0),                  # kpi.toml
    (DRAFT, '[tool.kpidsl]\nfail-on = "error"\n', [], 0),   # pyproject.toml
    (DRAFT, 'fail-on = "error"\n', ["--fail-on", "warning"], 1),  # the command line wins
    (DRAFT, None, ["--exit-zero"], 0),
    (BROKEN, None, ["--fail-on", "error"], 1),              # an error fails still
    (BROKEN, 'fail-on = "warning"\n', ["--fail-on", "error"], 1),
    (BROKEN, None, ["--exit-zero"], 0),                     # --exit-zero: whatever is found
    (BROKEN, None, ["--exit-zero", "--fail-on", "warning"], 0),
], ids=lambda v: "-" if v is None else repr(v)[:30])
def test_exit_code_by_fail_on_and_exit_zero(project, source, config, args, exit_code):
    (project / "a.kpi").write_text(source, encoding="utf-8")
    if config is not None:
        (project / ("pyproject.toml" if "tool" in config else "kpi.toml")).write_text(config, encoding="utf-8")
    plain = kpi("check", "--no-cache", "a.kpi")
    done = kpi("check", "--no-cache", *args, "a.kpi")
    assert done.exit_code == exit_code
    assert done.output == plain.output  # the exit code changes, never what is printed


def test_fail_on_is_per_file_from_its_own_config(project):
    (project / "src" / "kpi.toml").write_text('fail-on = "error"\n', encoding="utf-8")
    (project / "src" / "draft.kpi").write_text(DRAFT, encoding="utf-8")
    (project / "draft.kpi").write_text(DRAFT, encoding="utf-8")
    assert kpi("check", "src").exit_code == 0
    assert kpi("check", "src", "draft.kpi").exit_code == 1  # no kpi.toml above draft.kpi: warnings fail


def test_exit_zero_still_exits_2_for_what_cannot_be_read(project):
    (project / "a.kpi").write_text(DRAFT, encoding="utf-8")
    (project / "link.kpi").symlink_to("missing.kpi")
    done = kpi("check", "--exit-zero", "a.kpi", "link.kpi")
    assert done.exit_code == 2 and "link.kpi links to missing.kpi" in done.stderr
    assert kpi("check", "--exit-zero", "--fail-on", "never", "a.kpi").exit_code == 2


def test_bad_fail_on_in_config_is_exit_2(project):
    (project / "a.kpi").write_text(DRAFT, encoding="utf-8")
    (project / "kpi.toml").write_text('fail-on = "errors"\n', encoding="utf-8")
    done = kpi("check", "a.kpi")
    assert done.exit_code == 2
    assert done.stderr == f'kpi: {project / "kpi.toml"}: `fail-on` must be "error" or "warning", not \'errors\'\n'


# -- kpi test when nothing is tested ------------------------------------------------------------

def test_nothing_tested_is_a_failure_unless_allowed(project, golden):
    (project / "draft.kpi").write_text(DRAFT + "scenario s { }\n", encoding="utf-8")
    done = kpi("test", "draft.kpi")
    assert done.exit_code == 1
    golden("test_nothing_tested.txt", done.output)
    assert kpi("test", "--format", "json", "draft.kpi").exit_code == 1
    allowed = kpi("test", "--allow-no-tests", "draft.kpi")
    assert (allowed.exit_code, allowed.output) == (0, "0 passed, 0 failed\n")


@pytest.mark.parametrize("files, message", [
    ({}, "no .kpi file was found"),
    ({"a.kpi": DRAFT, "b.kpi": DRAFT}, "none of the 2 files has an `expect` line"),
])
def test_nothing_tested_says_why(project, files, message):
    (project / "models").mkdir()
    for name, text in files.items():
        (project / "models" / name).write_text(text, encoding="utf-8")
    done = kpi("test", "models")
    assert done.exit_code == 1 and message in done.stderr and "--allow-no-tests" in done.stderr


def test_one_expect_anywhere_is_enough(project):
    (project / "a.kpi").write_text(DRAFT, encoding="utf-8")
    (project / "b.kpi").write_text(DRAFT + "scenario s { expect 1 == 1 }\n", encoding="utf-8")
    assert kpi("test", "a.kpi", "b.kpi").exit_code == 0
