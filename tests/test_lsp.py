"""``kpi lsp`` over the protocol: pytest-lsp starts the command as a subprocess and drives it as an
editor does, feature by feature, on the examples and on broken, edited and Unicode files."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

pytest.importorskip("pytest_lsp")

import pytest_lsp  # noqa: E402
from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import LanguageClient  # noqa: E402

from conftest import ROOT, source_env  # noqa: E402
from lsp_helpers import (SERVER, apply, change, diagnostics, doc, open_text, pos, span, start,  # noqa: E402
                         utf16, where)

pytestmark = pytest.mark.asyncio(loop_scope="module")

EXAMPLES = sorted((ROOT / "examples").glob("*.kpi"))
ECOMMERCE = (ROOT / "examples" / "ecommerce.kpi").read_text(encoding="utf-8")
_n = 0


def fresh_uri(name: str = "doc") -> str:
    """A URI no other test opened (the server is shared by the module's tests)."""
    global _n
    _n += 1
    return (ROOT / "tests" / "data" / f"lsp_{name}_{_n}.kpi").as_uri()


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient):
    await start(lsp_client)
    yield
    await lsp_client.shutdown_session()


def expected_findings(path) -> list[tuple]:
    """``kpi check --format json`` of ``path``: (code, range, severity, message) as the protocol has them."""
    out = subprocess.run([sys.executable, "-m", "kpidsl", "check", "--no-cache", "--format", "json", str(path)],
                         capture_output=True, text=True, env=source_env(), cwd=ROOT)
    lines = path.read_text(encoding="utf-8").split("\n")

    def at(line, column):
        return (line - 1, utf16(lines[line - 1][: column - 1]) if line <= len(lines) else 0)

    return [(f["code"], at(f["line"], f["column"]), at(f["end_line"], f["end_column"]), f["severity"], f["message"])
            for f in json.loads(out.stdout)]


def found(diags) -> list[tuple]:
    sev = {lsp.DiagnosticSeverity.Error: "error", lsp.DiagnosticSeverity.Warning: "warning"}
    return [(d.code, (d.range.start.line, d.range.start.character), (d.range.end.line, d.range.end.character),
             sev[d.severity], d.message) for d in diags]


# ---------------------------------------------------------------------------------------------
# Start-up and diagnostics


@pytest.mark.parametrize("path", [*EXAMPLES, *(ROOT / "tests" / "data" / n for n in
                                               ("warnings.kpi", "weights.kpi", "syntax_error.kpi", "conversion.kpi"))],
                         ids=lambda p: p.name)
async def test_diagnostics_are_kpi_checks_findings(client: LanguageClient, path):
    uri = path.as_uri()
    got = await open_text(client, uri, path.read_text(encoding="utf-8"))
    assert found(got) == expected_findings(path)
    assert all(d.source == "kpi" and d.data for d in got)  # the rule's summary rides along
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc(uri)))


async def test_noqa_and_the_configuration_are_honoured(client: LanguageClient, tmp_path):
    text = (ROOT / "tests" / "data" / "weights.kpi").read_text(encoding="utf-8")
    first = await open_text(client, (tmp_path / "plain.kpi").as_uri(), text)
    assert [d.code for d in first] == ["E201", "E203", "E205"]
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "kpi.toml").write_text('ignore = ["E205"]\n')
    silenced = text.replace('kgi revenue "销售额" {', 'kgi revenue "销售额" {  # noqa: E201')
    got = await open_text(client, (tmp_path / "cfg" / "x.kpi").as_uri(), silenced)
    assert [d.code for d in got] == ["E203"]


async def test_a_changed_configuration_file_is_read_again(client: LanguageClient, tmp_path):
    text = (ROOT / "tests" / "data" / "weights.kpi").read_text(encoding="utf-8")
    uri = (tmp_path / "m.kpi").as_uri()
    assert [d.code for d in await open_text(client, uri, text)] == ["E201", "E203", "E205"]
    (tmp_path / "kpi.toml").write_text('ignore = ["E2"]\n')
    published = len(client.published)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=(tmp_path / "kpi.toml").as_uri(), type=lsp.FileChangeType.Created)]))
    await asyncio.wait_for(_until(lambda: any(p.uri == uri for p in client.published[published:])), 10)
    assert list([p for p in client.published[published:] if p.uri == uri][-1].diagnostics) == []


async def test_diagnostics_are_cleared_when_the_document_closes(client: LanguageClient):
    uri = fresh_uri("close")
    assert await open_text(client, uri, "kgi x { target: => 1 }\n")
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc(uri)))
    await asyncio.wait_for(_until(lambda: client.published[-1].uri == uri and not client.published[-1].diagnostics), 10)


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.005)


@pytest_lsp.fixture(config=SERVER, loop_scope="module")
async def slow_client(lsp_client: LanguageClient):
    await start(lsp_client, debounce=0.3)
    yield
    await lsp_client.shutdown_session()


async def test_changes_in_quick_succession_are_checked_once(slow_client: LanguageClient):
    uri = fresh_uri("debounce")
    text = 'model "m" { owner: "o" }\n'
    slow_client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="kpi", version=1, text=text)))
    for version in range(2, 7):  # five keystrokes, one after the other
        change(slow_client, uri, version, (span(pos(text, "}")), "x"))
        text = text.replace("}", "x}", 1)
        await asyncio.sleep(0.01)
    got = await diagnostics(slow_client, uri, 6)
    await asyncio.sleep(0.5)
    assert [p.version for p in slow_client.published if p.uri == uri] == [1, 6]  # at once, then the last
    assert [d.code for d in got] == ["E001"]


# ---------------------------------------------------------------------------------------------
# Edits: broken mid-edit, incremental changes, Unicode


async def test_a_syntax_error_mid_edit_keeps_the_last_good_model(client: LanguageClient):
    uri = fresh_uri("midedit")
    text = ECOMMERCE
    assert await open_text(client, uri, text) == []
    close = pos(text, "  veto compliance")  # type a new entry, unfinished, above the veto
    change(client, uri, 2, (span(close), "  weight: \n"))
    broken = text.replace("  veto compliance", "  weight: \n  veto compliance", 1)
    got = await diagnostics(client, uri, 2)
    assert {d.code for d in got} == {"E001"}
    # hover and definition answer from the model before the edit
    hover = await client.text_document_hover_async(lsp.HoverParams(**where(uri, pos(broken, "orders *", offset=2))))
    assert hover is not None and "input orders" in hover.contents.value
    defs = await client.text_document_definition_async(lsp.DefinitionParams(**where(uri, pos(broken, "orders *"))))
    assert [d.range.start.line for d in defs] == [pos(text, "input orders").line]
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc(uri)))
    assert "annual_sales" in [s.name for s in symbols]
    # completion reads the text as it is now
    typing = pos(broken, "weight: \n", offset=8)
    items = await client.text_document_completion_async(lsp.CompletionParams(**where(uri, typing)))
    assert items.items == [] or all(i.label not in ("kgi",) for i in items.items)
    change(client, uri, 3, (span(pos(broken, "  weight: \n"), pos(broken, "  veto compliance")), ""))
    assert await diagnostics(client, uri, 3) == []


async def test_incremental_changes_give_the_same_findings_as_the_whole_text(client: LanguageClient):
    uri = fresh_uri("incremental")
    text = ECOMMERCE
    await open_text(client, uri, text)
    edits = [("monthly_sales * 12", "monthly_sale * 12"), ("weight: 35%", "weight: 30%"),
             ("orders: 1_150", "orders: 1_150\n  nobody: 3")]
    for version, (old, new) in enumerate(edits, start=2):
        start_ = pos(text, old)
        end = pos(text, old, offset=len(old))
        change(client, uri, version, (span(start_, end), new))
        text = text.replace(old, new, 1)
    got = await diagnostics(client, uri, 1 + len(edits))
    whole = fresh_uri("whole")
    assert found(got) == found(await open_text(client, whole, text))
    assert {d.code for d in got} >= {"E101", "E201", "E501"}
    suggestion = next(d for d in got if d.code == "E101")
    assert "did you mean `monthly_sales`?" in suggestion.message


UNICODE = '''model "販売" { owner: "営業部"  period: monthly }
input 売上 "月間売上 📈" { source: "ERP" }
input 顧客数 { source: "CRM" }
kgi 目標 "🎯 年間目標" {
  value: 売上 * 12
  target: >= 1亿
  kpi 单价 { description: "👍🏽 per client"  value: 売上 / 顧客数  weight: 100%  target: >= 1万 }
}
scenario 実績 { 売上: 900万  顧客数: 600 }
'''


async def test_unicode_names_and_utf16_positions(client: LanguageClient):
    uri = fresh_uri("unicode")
    assert await open_text(client, uri, UNICODE) == []
    at = pos(UNICODE, "売上 / 顧客数", offset=1)  # after three astral characters on that line
    assert at.character == utf16(UNICODE.split("\n")[6][: UNICODE.split("\n")[6].index("売上 /") + 1])
    defs = await client.text_document_definition_async(lsp.DefinitionParams(**where(uri, at)))
    assert [(d.range.start.line, d.range.start.character, d.range.end.character) for d in defs] == [(1, 6, 8)]
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=at, context=lsp.ReferenceContext(include_declaration=False)))
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == sorted(
        [(p.line, p.character) for p in (pos(UNICODE, n) for n in ("売上 * 12", "売上 / 顧客数", "売上: 900万"))])
    # a finding after astral characters has its range in UTF-16 units
    broken = UNICODE.replace("売上 / 顧客数", "売上x / 顧客数")
    got = await open_text(client, fresh_uri("unicode_broken"), broken)
    e101 = next(d for d in got if d.code == "E101")
    assert (e101.range.start, e101.range.end) == (pos(broken, "売上x"), pos(broken, "売上x", offset=3))
    hover = await client.text_document_hover_async(lsp.HoverParams(**where(uri, pos(UNICODE, "单价", offset=1))))
    assert "kpi 单价" in hover.contents.value and "Scenario `実績`" in hover.contents.value


@pytest_lsp.fixture(config=SERVER, loop_scope="module")
async def utf8_client(lsp_client: LanguageClient):
    capabilities = lsp.ClientCapabilities(general=lsp.GeneralClientCapabilities(
        position_encodings=[lsp.PositionEncodingKind.Utf8]))
    result = await lsp_client.initialize_session(lsp.InitializeParams(capabilities=capabilities,
                                                                        initialization_options={"debounce": 0}))
    lsp_client.encoding = result.capabilities.position_encoding
    yield
    await lsp_client.shutdown_session()


async def test_a_client_that_counts_in_utf8_gets_byte_offsets(utf8_client: LanguageClient):
    assert utf8_client.encoding == lsp.PositionEncodingKind.Utf8
    broken = UNICODE.replace("売上 / 顧客数", "売上x / 顧客数")
    got = await open_text(utf8_client, fresh_uri("utf8"), broken)
    e101 = next(d for d in got if d.code == "E101")
    line = broken.split("\n")[6]
    start = len(line[: line.index("売上x")].encode("utf-8"))
    assert (e101.range.start.character, e101.range.end.character) == (start, start + len("売上x".encode("utf-8")))


async def test_a_byte_order_mark_keeps_the_first_line_s_columns(client: LanguageClient):
    text = "\ufeffkgi revenue { target: => 1 }\nkgi margin { target: => 2 }\n"
    got = await open_text(client, fresh_uri("bom"), text)
    assert [(d.range.start.line, d.range.start.character) for d in got if d.code == "E001"][:1] == [
        (0, text.index("=>"))]  # the mark is the client's first character
    uri = fresh_uri("bom_ok")
    good = "\ufeffinput orders { source: \"CRM\" }\nmetric m { value: orders  target: >= 1 }\n"
    await open_text(client, uri, good)
    defs = await client.text_document_definition_async(lsp.DefinitionParams(**where(uri, pos(good, "orders  "))))
    assert [(d.range.start.line, d.range.start.character) for d in defs] == [(0, good.index("orders"))]


# ---------------------------------------------------------------------------------------------
# Hover, scenario selection and inlay hints


async def test_hover_tells_what_a_name_is_and_its_scenario_results(client: LanguageClient):
    uri = fresh_uri("hover")
    await open_text(client, uri, ECOMMERCE)

    async def hover(needle, nth=0, offset=1):
        h = await client.text_document_hover_async(lsp.HoverParams(**where(uri, pos(ECOMMERCE, needle, nth, offset))))
        return h and h.contents.value

    text = await hover("monthly_sales \"")
    for part in ('kpi monthly_sales "月销售额"', "parent: `annual_sales`", "owner: Sales", "weight: `40%`",
                 "baseline: `700万`", "target: `>= 833万`", "stretch: `950万`", "value: `orders * avg_order_value`",
                 "period: monthly", "Scenario `q3 (Q3 actual)`", "score 70.3%", "status **red**"):
        assert part in text
    assert "source: CRM" in await hover("orders \"")
    assert "unit: JPY" in await hover("annual_sales \"")
    scenario = await hover("q3_push extends")
    assert "scenario q3_push extends q3" in scenario and "`expect` lines" in scenario
    assert "avg(x, …)" in await hover("avg(")
    assert await hover("owner:", offset=2) is None  # an entry key is not a name


async def test_a_selected_scenario_drives_hover_and_inlay_hints(client: LanguageClient):
    uri = fresh_uri("scenario")
    await open_text(client, uri, ECOMMERCE)
    whole = span(lsp.Position(line=0, character=0), lsp.Position(line=200, character=0))
    hints = await client.text_document_inlay_hint_async(lsp.InlayHintParams(text_document=doc(uri), range=whole))
    by_line = {h.position.line: h.label for h in hints}
    assert by_line[pos(ECOMMERCE, "kgi annual_sales").line] == "83.6% amber"
    assert by_line[pos(ECOMMERCE, "kpi monthly_sales").line] == "70.3% red"
    assert pos(ECOMMERCE, "input orders").line not in by_line  # inputs have no score
    header = pos(ECOMMERCE, '"月销售额"', offset=len('"月销售额"'))
    assert next(h.position for h in hints if h.position.line == header.line) == header
    listed = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="kpi.server.scenarios", arguments=[uri]))
    assert [s["name"] for s in listed["scenarios"]] == ["q3", "q3_push", "q4_plan", "audit_finding"]
    assert listed["selected"] == "q3"
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="kpi.server.selectScenario", arguments=[uri, "audit_finding"]))
    try:
        await _audit_finding_is_shown(client, uri, whole)
    finally:
        await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            command="kpi.server.selectScenario", arguments=["q3"]))


async def _audit_finding_is_shown(client, uri, whole):
    hints = await client.text_document_inlay_hint_async(lsp.InlayHintParams(text_document=doc(uri), range=whole))
    assert {h.position.line: h.label for h in hints}[pos(ECOMMERCE, "kgi annual_sales").line] == "0.0% vetoed"
    compliance = pos(ECOMMERCE, "compliance \"", offset=1)
    hover = await client.text_document_hover_async(lsp.HoverParams(**where(uri, compliance)))
    assert "Scenario `audit_finding" in hover.contents.value and "fail" in hover.contents.value


async def test_inlay_hints_follow_the_edits(client: LanguageClient):
    uri = fresh_uri("hints")
    text = ECOMMERCE
    await open_text(client, uri, text)
    change(client, uri, 2, (span(pos(text, "orders: 1_150"), pos(text, "orders: 1_150", offset=13)), "orders: 1_400"))
    text = text.replace("orders: 1_150", "orders: 1_400", 1)
    await diagnostics(client, uri, 2)
    hints = await client.text_document_inlay_hint_async(lsp.InlayHintParams(
        text_document=doc(uri), range=span(pos(text, "kpi monthly_sales"), pos(text, "  }\n  kpi repeat_rate"))))
    assert [h.label for h in hints] == ["120.0% green"]  # 9,660,000 a month: past the stretch, capped


def large_model(groups: int) -> str:
    """A model of ``groups`` trees (a kgi, two kpis, an input each) and a scenario for every input."""
    out = ['model "Large" { owner: "o"  period: monthly }']
    for g in range(groups):
        out.append(f'input a{g} {{ source: "ERP" }}\nkgi goal{g} {{\n  target: >= 90\n'
                   f'  kpi k{g}_0 {{ value: a{g}  weight: 50%  target: >= 100 }}\n'
                   f'  kpi k{g}_1 {{ value: a{g} * 2  weight: 50%  target: >= 100 }}\n}}')
    values = "\n".join(f"  a{g}: {60 + g % 50}" for g in range(groups))
    return "\n".join(out) + f"\nscenario actual {{\n{values}\n}}\n"


async def test_a_large_model_is_evaluated_in_the_background(client: LanguageClient):
    text = large_model(200)  # 800 declarations: past what is evaluated while a request waits
    uri = fresh_uri("large")
    assert await open_text(client, uri, text) == []
    before = client.refreshes  # (opening refreshed them too: a new model)
    window = span(pos(text, "kgi goal100"), pos(text, "}\ninput a101"))
    first = await client.text_document_inlay_hint_async(lsp.InlayHintParams(text_document=doc(uri), range=window))
    await asyncio.wait_for(_until(lambda: client.refreshes > before), 60)  # the server says: ask again
    hints = await client.text_document_inlay_hint_async(lsp.InlayHintParams(text_document=doc(uri), range=window))
    assert [h.label for h in hints] == ["80.0% amber", "60.0% red", "100.0% green"]  # a100 = 60: 60% and 120%
    assert len(first or []) in (0, 3)  # nothing yet, or already done


# ---------------------------------------------------------------------------------------------
# Definition, references, highlights, rename


ROLES = [  # (what, needle where the cursor is)
    ("formula", "orders * avg"),
    ("bound formula", "repeat_rate\n"),
    ("parent", "repeat_rate\n  target"),
    ("extends", "extends q3 {"),
    ("scenario key", "orders: 1_150"),
    ("expect line", "monthly_sales.score"),
]


@pytest.mark.parametrize("what,needle", ROLES, ids=[r[0] for r in ROLES])
async def test_definition_from_every_place_a_name_stands(client: LanguageClient, what, needle):
    text = ECOMMERCE
    if what == "bound formula":
        text += "metric margin { value: ad_clicks  target: >= orders * 0.01 }\n"
    needle = "orders * 0.01" if what == "bound formula" else needle
    if what == "extends":
        needle, offset = "extends q3 {", len("extends ")
    else:
        offset = 0
    uri = fresh_uri("definition")
    await open_text(client, uri, text)
    at = pos(text, needle, offset=offset + 1)
    defs = await client.text_document_definition_async(lsp.DefinitionParams(**where(uri, at)))
    name = needle[offset:].split()[0].split(".")[0].rstrip(":")
    declared = {"q3": "scenario q3 \"", "orders": "input orders", "avg": "", "repeat_rate": "kpi repeat_rate",
                "monthly_sales": "kpi monthly_sales"}[name]
    assert [(d.range.start.line, d.uri) for d in defs] == [(pos(text, declared).line, uri)]


async def test_references_and_highlights_cover_every_role(client: LanguageClient):
    uri = fresh_uri("references")
    await open_text(client, uri, ECOMMERCE)
    at = pos(ECOMMERCE, "repeat_rate \"", offset=1)
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=at, context=lsp.ReferenceContext(include_declaration=True)))
    lines = sorted(r.range.start.line for r in refs)
    expected = sorted(i for i, line in enumerate(ECOMMERCE.split("\n"))
                      if "repeat_rate" in line.split("#")[0])
    assert lines == expected  # the declaration, parent:, two scenario keys, two expect lines
    highlights = await client.text_document_document_highlight_async(lsp.DocumentHighlightParams(**where(uri, at)))
    kinds = {h.kind for h in highlights}
    assert len(highlights) == len(refs) and kinds == {lsp.DocumentHighlightKind.Write, lsp.DocumentHighlightKind.Read}
    without = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri), position=at, context=lsp.ReferenceContext(include_declaration=False)))
    assert len(without) == len(refs) - 1


async def test_rename_changes_every_place_and_the_file_still_checks(client: LanguageClient):
    uri = fresh_uri("rename")
    await open_text(client, uri, ECOMMERCE)
    at = pos(ECOMMERCE, "orders * avg", offset=2)
    prepared = await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(**where(uri, at)))
    assert prepared.placeholder == "orders"
    edit = await client.text_document_rename_async(lsp.RenameParams(**where(uri, at), new_name="bestellungen"))
    renamed = apply(ECOMMERCE, edit.changes[uri])
    assert "orders" not in renamed.replace('"orders"', "").split("# the monitored")[0].replace("orders * avg", "")
    assert renamed.count("bestellungen") == 5
    assert await open_text(client, fresh_uri("renamed"), renamed) == []
    q3 = await client.text_document_rename_async(lsp.RenameParams(
        **where(uri, pos(ECOMMERCE, "extends q3 {", offset=9)), new_name="q3_actual"))
    assert apply(ECOMMERCE, q3.changes[uri]).count("extends q3_actual") == 1


@pytest.mark.parametrize("new,says", [
    ("kpi", "reserved word"), ("scenario", "reserved word"), ("avg_order_value", "already the name of a input"),
    ("q4_plan", "already the name of a scenario"), ("2x", "not a name"), ("a-b", "not a name")])
async def test_rename_refuses_reserved_words_and_taken_names(client: LanguageClient, new, says):
    uri = fresh_uri("refuse")
    await open_text(client, uri, ECOMMERCE)
    with pytest.raises(Exception, match=says):
        await client.text_document_rename_async(lsp.RenameParams(
            **where(uri, pos(ECOMMERCE, "orders * avg", offset=1)), new_name=new))


# ---------------------------------------------------------------------------------------------
# Completion

COMPLETIONS = [  # (what, text with | at the cursor, labels expected, labels not expected)
    ("declaration keywords at the top", "|", {"model", "kgi", "kpi", "veto", "metric", "input", "scenario"}, {"value"}),
    ("keys of a kpi", "input a { source: \"x\" }\nkgi g { target: >= 1\n  kpi k {\n    |\n  }\n}\n",
     {"weight", "parent", "target", "baseline", "value"}, {"green", "orders", "kgi"}),
    ("keys and nested kinds of a kgi", "kgi g {\n  t|\n}\n", {"target"}, {"weight", "parent"}),
    ("keys of the model", "model \"m\" {\n  |\n}\n", {"cap", "green", "amber", "owner"}, {"weight"}),
    ("kinds nested in a kgi", "kgi g {\n  |\n}\n", {"kpi", "veto", "target"}, {"kgi", "input"}),
    ("periods", "input a {\n  period: |\n}\n", {"daily", "weekly", "monthly", "quarterly", "yearly"}, {"a"}),
    ("perspectives", "kgi g {\n  perspective: c|\n}\n", {"customer"}, {"financial"}),
    ("types", "kgi g {\n  type: |\n}\n", {"result", "process"}, set()),
    ("parents are kgis and kpis",
     "input a {}\nkgi g { target: >= 1 }\nveto v { target: == 0 }\nkpi k {\n  parent: |\n}\n",
     {"g"}, {"a", "v", "k"}),
    ("bounds read inputs and functions",
     "input a {}\nkgi g { target: >= 1 }\nkpi k {\n  target: >= |\n}\n",
     {"a", "min", "if"}, {"g", "k"}),
    ("values read names and functions",
     "input a {}\nkgi g { target: >= 1 }\nkpi k {\n  value: a + |\n}\n",
     {"a", "g", "avg"}, {"k"}),
    ("names filtered by prefix",
     "input apples {}\ninput pears {}\nmetric m {\n  value: ap|\n}\n",
     {"apples"}, {"pears"}),
    ("scenario names after extends",
     "scenario base {}\nscenario other {}\nscenario s extends |",
     {"base", "other"}, {"s"}),
    ("scenario keys and expect",
     "input a {}\nkgi g { value: a  target: >= 1 }\nscenario s {\n  |\n}\n",
     {"a", "g", "expect"}, {"target"}),
    ("expect lines",
     "input a {}\nkgi g { value: a  target: >= 1 }\nscenario s {\n  expect |\n}\n",
     {"a", "g", "not", "max"}, set()),
    ("results after a dot",
     "kgi g { target: >= 1 }\nscenario s {\n  expect g.|\n}\n",
     {"score", "achievement", "met"}, {"g"}),
    ("nothing in a comment", "input a {}\n# a |\n", set(), {"a", "kgi"}),
    ("nothing in a string", "input a {}\nkgi g {\n  owner: \"a |\n}\n", set(), {"a"}),
    ("nothing after a new name", "kgi |", set(), {"kgi", "model"}),
]


@pytest.mark.parametrize("what,text,wanted,unwanted", COMPLETIONS, ids=[c[0] for c in COMPLETIONS])
async def test_completion_offers_what_fits(client: LanguageClient, what, text, wanted, unwanted):
    uri = fresh_uri("complete")
    at = pos(text, "|")
    lines = text.split("\n")
    await open_text(client, uri, "\n".join(lines[: at.line] + lines[at.line + 1 :]))  # before the line was typed
    change(client, uri, 2, text.replace("|", "", 1))
    got = await client.text_document_completion_async(lsp.CompletionParams(**where(uri, at)))
    labels = {i.label for i in got.items}
    assert wanted <= labels and not (unwanted & labels), labels


async def test_completion_of_functions_gives_their_signature(client: LanguageClient):
    uri = fresh_uri("functions")
    text = "input a {}\nmetric m {\n  value: cl|\n}\n"
    await open_text(client, uri, text.replace("|", ""))
    got = await client.text_document_completion_async(lsp.CompletionParams(**where(uri, pos(text, "|"))))
    clamp = next(i for i in got.items if i.label == "clamp")
    assert clamp.detail == "clamp(x, low, high)" and clamp.kind == lsp.CompletionItemKind.Function


# ---------------------------------------------------------------------------------------------
# Outline, folding, formatting, code actions


async def test_the_outline_is_the_kgi_kpi_tree(client: LanguageClient):
    uri = fresh_uri("symbols")
    await open_text(client, uri, ECOMMERCE)
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc(uri)))

    def shape(s):
        return (s.name, [shape(c) for c in s.children or ()])

    tree = [shape(s) for s in symbols]
    assert tree[:2] == [("model", []), ("annual_sales", [
        ("monthly_sales", []), ("repeat_rate", [("cart_abandonment", [])]), ("new_customers", []), ("compliance", [])])]
    assert [n for n, _ in tree[2:]] == ["orders", "avg_order_value", "violations", "ad_impressions", "ad_clicks",
                                        "csat_product", "csat_delivery", "csat_support", "ad_ctr", "satisfaction",
                                        "q3", "q3_push", "q4_plan", "audit_finding"]
    kgi = symbols[1]
    assert kgi.kind == lsp.SymbolKind.Class and kgi.detail == "kgi 年销售额"
    assert kgi.selection_range.start == pos(ECOMMERCE, "annual_sales \"")


async def test_folding_ranges_are_the_blocks_and_comment_runs(client: LanguageClient):
    uri = fresh_uri("folding")
    await open_text(client, uri, ECOMMERCE)
    ranges = await client.text_document_folding_range_async(lsp.FoldingRangeParams(text_document=doc(uri)))
    got = {(r.start_line, r.end_line, r.kind) for r in ranges}
    lines = ECOMMERCE.split("\n")
    kgi = pos(ECOMMERCE, "kgi annual_sales").line
    assert (kgi, kgi + lines[kgi:].index("}"), lsp.FoldingRangeKind.Region) in got
    assert (0, 16, lsp.FoldingRangeKind.Comment) in got  # the header comment
    assert not any(start == pos(ECOMMERCE, "input orders").line for start, _, _ in got)  # one line: nothing to fold


async def test_formatting_is_kpi_fmt_and_refuses_a_syntax_error(client: LanguageClient):
    uri = fresh_uri("format")
    messy = 'kgi  g   "G"{target:>=1\n  kpi k{weight:100%   target: >= 2}}\n'
    await open_text(client, uri, messy)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    fmt = subprocess.run([sys.executable, "-m", "kpidsl", "fmt", "-"], input=messy, capture_output=True, text=True,
                         env=source_env())
    formatted = apply(messy, edits)
    assert fmt.returncode == 0, fmt.stderr
    assert formatted == fmt.stdout
    assert formatted.startswith('kgi g "G" {\n')
    again = fresh_uri("formatted")
    await open_text(client, again, formatted)
    assert await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(again), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))) in ([], ())
    broken = fresh_uri("format_broken")
    await open_text(client, broken, "kgi g { target: => 1 }\n")
    with pytest.raises(Exception, match="syntax error"):
        await client.text_document_formatting_async(lsp.DocumentFormattingParams(
            text_document=doc(broken), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))


async def _actions(client, uri, diag):
    return await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=doc(uri), range=diag.range, context=lsp.CodeActionContext(diagnostics=[diag])))


async def test_code_action_adds_noqa_and_the_finding_goes(client: LanguageClient):
    text = (ROOT / "tests" / "data" / "warnings.kpi").read_text(encoding="utf-8")
    uri = fresh_uri("noqa")
    diags = await open_text(client, uri, text)
    assert diags
    for d in diags:
        actions = await _actions(client, uri, d)
        silence = next(a for a in actions if "# noqa" in a.title)
        after = apply(text, silence.edit.changes[uri])
        left = await open_text(client, fresh_uri("silenced"), after)
        assert (d.code, d.range.start.line) not in {(e.code, e.range.start.line) for e in left}


async def test_code_action_did_you_mean_renames(client: LanguageClient):
    text = ECOMMERCE.replace("value: monthly_sales * 12", "value: monthly_sale * 12")
    text = text.replace("period: monthly\n  }", "period: montly\n  }", 1)
    uri = fresh_uri("didyoumean")
    diags = await open_text(client, uri, text)
    fixed = text
    for d in diags:
        actions = await _actions(client, uri, d)
        replace = [a for a in actions if a.title.startswith("Replace")]
        assert len(replace) == 1 and replace[0].is_preferred
        fixed = apply(fixed, replace[0].edit.changes[uri])
    assert fixed == ECOMMERCE


async def test_code_action_rescales_weights_to_100_percent(client: LanguageClient):
    text = (ROOT / "tests" / "data" / "weights.kpi").read_text(encoding="utf-8")
    text = text.replace("weight: 40  ", "weight: 40%  ")
    uri = fresh_uri("rescale")
    diags = await open_text(client, uri, text)
    e201 = next(d for d in diags if d.code == "E201")
    rescale = next(a for a in await _actions(client, uri, e201) if a.title.startswith("Rescale"))
    after = apply(text, rescale.edit.changes[uri])
    assert "weight: 47.06%" in after and "weight: 29.41%" in after and "weight: 23.53%" in after
    assert not any(d.code == "E201" for d in await open_text(client, fresh_uri("rescaled"), after))


# ---------------------------------------------------------------------------------------------
# Never crash


async def test_requests_on_unknown_or_broken_documents_answer_nothing(client: LanguageClient):
    logged = len(client.log_messages)
    unknown = doc(fresh_uri("never_opened"))
    at = lsp.Position(line=0, character=0)
    assert await client.text_document_hover_async(lsp.HoverParams(text_document=unknown, position=at)) is None
    broken = fresh_uri("never_good")
    await open_text(client, broken, "kgi {{{ ")
    b = doc(broken)
    assert await client.text_document_hover_async(lsp.HoverParams(text_document=b, position=at)) is None
    assert not await client.text_document_definition_async(lsp.DefinitionParams(text_document=b, position=at))
    assert not await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=b))
    assert not await client.text_document_inlay_hint_async(lsp.InlayHintParams(text_document=b, range=span(at)))
    assert [e for e in client.log_messages[logged:] if e.type == lsp.MessageType.Error] == []


async def test_every_position_of_every_example_answers_without_an_internal_error(client: LanguageClient):
    logged = len(client.log_messages)
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        uri = fresh_uri(path.stem)
        await open_text(client, uri, text)
        for n, line in enumerate(text.split("\n")[::3]):
            for character in range(0, utf16(line) + 2, 4):
                p = lsp.Position(line=n * 3, character=character)
                await client.text_document_hover_async(lsp.HoverParams(**where(uri, p)))
                await client.text_document_completion_async(lsp.CompletionParams(**where(uri, p)))
                await client.text_document_definition_async(lsp.DefinitionParams(**where(uri, p)))
    assert [e.message for e in client.log_messages[logged:] if e.type == lsp.MessageType.Error] == []
