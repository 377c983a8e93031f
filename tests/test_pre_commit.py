"""The pre-commit hooks, installed by pre-commit itself from this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GOOD = 'model "M" { owner: "Ops"  period: monthly }\nkgi g { target: >= 1  source: "ERP" }\n'
BAD = 'model "M" { owner: "Ops"  period: monthly }\nkgi g { target: >= 1  weight: 40  source: "ERP" }\n'


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
                            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid"))


def test_kpi_check_hook_passes_good_and_fails_bad_files(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "good.kpi").write_text(GOOD, encoding="utf-8")
    (repo / "bad.kpi").write_text(BAD, encoding="utf-8")
    _git(repo, "add", ".")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), NO_COLOR="1")

    def hook(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "kpi-check",
                               "--files", *files], cwd=repo, capture_output=True, text=True, env=env,
                              timeout=600)

    ok = hook("good.kpi")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = hook("good.kpi", "bad.kpi")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.kpi:2:" in bad.stdout and "E204" in bad.stdout
