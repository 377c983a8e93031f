"""Shared fixtures: the project root, golden-file comparison, and the environment of subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def source_env(**extra: str) -> dict[str, str]:
    """The environment for a Python subprocess that must run this source tree's ``kpidsl``, not a
    copy that ``pip install .`` put in site-packages: the repository root first on PYTHONPATH."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


@pytest.fixture
def golden():
    """Compare text with ``tests/golden/NAME``; ``KPI_UPDATE_GOLDEN=1`` rewrites the file."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("KPI_UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path}; run with KPI_UPDATE_GOLDEN=1 to create it"
        assert text == path.read_text(encoding="utf-8")

    return check


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path_factory, monkeypatch):
    """`kpi check` caches results in .kpi_cache/; tests keep theirs out of the repository."""
    from kpidsl.cli import cache

    monkeypatch.setattr(cache, "FOLDER", str(tmp_path_factory.mktemp("cache") / ".kpi_cache"))
