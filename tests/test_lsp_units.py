"""``kpi lsp`` without its extra; in process, the server's guard against internal errors, and
requests answered from the index without parsing again."""

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


def test_a_garbled_message_is_one_line_on_standard_error_and_the_client_is_told():
    pytest.importorskip("pygls")
    run = subprocess.run([sys.executable, "-m", "kpidsl", "lsp"], input=b"Content-Length: 5\r\n\r\n{bad}",
                         capture_output=True, env=source_env(), timeout=60)
    assert run.returncode == 0 and b"Traceback" not in run.stderr
    assert run.stderr.decode().strip() == "kpi lsp: ERROR: Unable to handle message"
    assert b'"method": "window/showMessage"' in run.stdout


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


def test_requests_answer_from_the_index_without_parsing_again(monkeypatch):
    pytest.importorskip("pygls")
    from lsprotocol import types as lsp

    from conftest import ROOT
    from kpidsl import api
    from kpidsl.lsp import features, navigation
    from kpidsl.lsp.documents import Document

    text = (ROOT / "examples" / "ecommerce.kpi").read_text(encoding="utf-8")
    doc = Document("file:///x.kpi", "/x.kpi", "utf-16")
    doc.update(text, 1)
    doc.check()
    ev = doc.evaluate("q3")
    features.hover(doc, lsp.Position(line=0, character=0), ev)  # the index is built

    def parse_again(*args, **kwargs):
        raise AssertionError("parsed again")

    for name in ("compile_text", "parse", "load_text", "check", "evaluate"):
        monkeypatch.setattr(api, name, parse_again)
    line = text.split("\n").index("  kpi monthly_sales \"月销售额\" {")
    name = lsp.Position(line=line, character=8)
    assert "kpi monthly_sales" in features.hover(doc, name, ev).contents.value
    assert navigation.definition(doc, name) and navigation.references(doc, name, True)
    assert features.inlay_hints(doc, lsp.Range(start=lsp.Position(line=0, character=0),
                                               end=lsp.Position(line=200, character=0)), ev)
    assert features.completion(doc, lsp.Position(line=line + 1, character=13)).items
    assert navigation.symbols(doc) and navigation.folding(doc)
