"""``kpi lsp`` without its extra, and the server's guard against internal errors (in process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import source_env


def test_without_the_extra_kpi_lsp_says_how_to_install_it(tmp_path):
    (tmp_path / "pygls").mkdir()
    missing = "raise ModuleNotFoundError(\"No module named 'pygls'\", name='pygls')\n"
    (tmp_path / "pygls" / "__init__.py").write_text(missing)
    env = source_env()
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    run = subprocess.run([sys.executable, "-m", "kpidsl", "lsp"], capture_output=True, text=True, env=env,
                         stdin=subprocess.DEVNULL, timeout=60)
    assert run.returncode == 2
    assert "pip install 'kpidsl[lsp]'" in run.stderr and "Traceback" not in run.stderr


def test_an_internal_error_is_logged_to_the_client_not_raised():
    pytest.importorskip("pygls")
    from kpidsl.lsp import server

    logged = []

    class Stub:
        def internal_error(self, where, exc):
            logged.append((where, type(exc).__name__))

    @server.guarded
    def broken(ls, params):
        raise ZeroDivisionError("boom")

    assert broken(Stub(), None) is None
    assert logged == [("broken", "ZeroDivisionError")]
