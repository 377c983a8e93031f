"""``kpi lsp`` without its extra; in process, the server's guard against internal errors, and
requests answered from the index without parsing again."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, source_env


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


EXAMPLE = (ROOT / "examples" / "ecommerce.kpi").read_text(encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(EXAMPLE)), st.integers(0, 8), st.sampled_from(
    ["", "{", "}", '"', "#", ":", "kpi x", "\n", ">=", "万", "😀", "(", "expect ", "..", "\ufeff", "extends "])),
    min_size=1, max_size=6), st.integers(0, 200), st.integers(0, 80))
def test_any_edit_leaves_every_feature_answering(edits, line, character):
    pytest.importorskip("pygls")
    from lsprotocol import types as lsp

    from kpidsl.lsp import actions, features, navigation
    from kpidsl.lsp.documents import Document

    doc = Document("file:///x.kpi", "/x.kpi", "utf-16")
    doc.update(EXAMPLE, 1)
    doc.check()  # a good model first, as an editor has before the edits
    text = EXAMPLE
    for version, (start, length, new) in enumerate(edits, start=2):
        text = text[:start] + new + text[start + length:]
        doc.update(text, version)
        doc.check()
    p = lsp.Position(line=line, character=character)
    ev = doc.evaluate(doc.scenario(None)) if doc.model.scenarios else None
    whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=400, character=0))
    features.hover(doc, p, ev)
    features.completion(doc, p)
    features.inlay_hints(doc, whole, ev)
    navigation.definition(doc, p)
    navigation.references(doc, p, True)
    navigation.highlights(doc, p)
    navigation.symbols(doc)
    navigation.folding(doc)
    try:
        navigation.rename(doc, p, "renamed_name")
    except navigation.RenameRefused:
        pass
    try:
        actions.formatting(doc)
    except actions.NotFormatted:
        pass
    diags = [lsp.Diagnostic(range=doc.analysis.lines.range(f.span), message=f.message, code=f.code, source="kpi")
             for f in doc.analysis.findings]
    actions.code_actions(doc, lsp.CodeActionParams(text_document=lsp.TextDocumentIdentifier(uri=doc.uri), range=whole,
                                                   context=lsp.CodeActionContext(diagnostics=diags)))
