"""The pre-commit hooks, installed by pre-commit itself from this repository, and the configuration
docs/pre-commit.md gives, run as written with this repository's path and a commit of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from kpidsl.render.formatter import format_source

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GOOD = 'model "M" { owner: "Ops"  period: monthly }\nkgi g { target: >= 1  source: "ERP" }\n'
BAD = 'model "M" { owner: "Ops"  period: monthly }\nkgi g { target: >= 1  weight: 40  source: "ERP" }\n'
DOC = ROOT / "docs" / "pre-commit.md"
#: What docs/pre-commit.md writes for the commit to pin, and tells the reader to replace.
PLACEHOLDER = "<COMMIT-SHA>"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    """One PRE_COMMIT_HOME for the module: a hook environment is installed once per repository and rev."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid"))


def test_kpi_check_hook_passes_good_and_fails_bad_files(tmp_path, pre_commit_home):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "good.kpi").write_text(GOOD, encoding="utf-8")
    (repo / "bad.kpi").write_text(BAD, encoding="utf-8")
    _git(repo, "add", ".")
    env = dict(os.environ, PRE_COMMIT_HOME=str(pre_commit_home), NO_COLOR="1")

    def hook(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "kpi-check",
                               "--files", *files], cwd=repo, capture_output=True, text=True, env=env,
                              timeout=600)

    ok = hook("good.kpi")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = hook("good.kpi", "bad.kpi")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.kpi:2:" in bad.stdout and "E204" in bad.stdout


# -- docs/pre-commit.md, as written ------------------------------------------------------------------

def _yaml_blocks() -> list:
    text = DOC.read_text(encoding="utf-8")
    return [yaml.safe_load(b) for b in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M)]


def _head() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "HEAD"], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return done.stdout.strip()


def test_documented_rev_is_the_placeholder_or_a_commit_of_this_repository():
    _head()
    ((entry,),) = [b["repos"] for b in _yaml_blocks() if isinstance(b, dict) and "repos" in b]
    rev = entry["rev"]
    if rev != PLACEHOLDER:
        found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                               capture_output=True)
        assert found.returncode == 0, f"docs/pre-commit.md pins `rev: {rev}`, which names no commit here"


def test_documented_installs_name_a_clone_or_a_commit():
    # kpidsl is on no package index: `pip install kpidsl` cannot work
    installs = re.findall(r"pip install ([^\s`]+)", DOC.read_text(encoding="utf-8"))
    assert installs
    for arg in installs:
        arg = arg.strip("\"'")
        assert arg.startswith("git+") and "@" in arg.split("/")[-1] or arg.startswith("PATH/"), (
            f"`pip install {arg}`: kpidsl is on no package index; install git+URL@COMMIT or a clone's path")


def test_documented_config_runs_from_a_commit_of_this_repository(tmp_path, pre_commit_home):
    """The first configuration of docs/pre-commit.md with this repository's path for `repo`; its
    placeholder replaced by `pre-commit autoupdate`, as the page says, with this checkout's commit
    (the hooks run as committed, not as in the working tree)."""
    head = _head()
    config, fragment = [b for b in _yaml_blocks() if not (isinstance(b, dict) and "jobs" in b)]
    assert config["repos"][0]["rev"] == PLACEHOLDER
    config["repos"][0]["repo"] = str(ROOT)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    env = dict(os.environ, PRE_COMMIT_HOME=str(pre_commit_home), NO_COLOR="1")

    def pre_commit(*args: str) -> subprocess.CompletedProcess:
        _git(repo, "add", "-A")
        return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True,
                              text=True, env=env, timeout=600)

    def write(**files: str) -> None:
        for name in [p.name for p in repo.glob("*.kpi")]:
            (repo / name).unlink()
        for name, text in files.items():
            (repo / f"{name}.kpi").write_text(format_source(text, name), encoding="utf-8")  # as kpi-fmt wants

    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    updated = pre_commit("autoupdate")
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"] == head

    tested = GOOD + "scenario s {\n  g: 2\n  expect g.met\n}\n"
    write(good=tested)
    ok = pre_commit("run", "--all-files")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    write(good=tested, bad=BAD)
    bad = pre_commit("run", "--all-files")
    assert bad.returncode == 1 and "bad.kpi:2:" in bad.stdout and "E204" in bad.stdout, bad.stdout

    # a draft: no expects (kpi-test passes), W103 alone (kpi-check fails, unless warnings may pass)
    draft = 'model "M" { owner: "Ops" }\nkgi g { value: 1  target: >= 1 }\n'
    write(draft=draft)
    strict = pre_commit("run", "--all-files")
    assert strict.returncode == 1 and "W103" in strict.stdout, strict.stdout
    assert re.search(r"^kpi test\.+Passed$", strict.stdout, re.M), strict.stdout
    (hook,) = fragment
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    config["repos"][0]["hooks"] = [hook if h["id"] == hook["id"] else h for h in config["repos"][0]["hooks"]]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    lenient = pre_commit("run", "--all-files")
    assert lenient.returncode == 0 and "W103" in lenient.stdout, lenient.stdout + lenient.stderr
