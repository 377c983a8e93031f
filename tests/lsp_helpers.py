"""Helpers for the language-server tests: a pytest-lsp client that records every diagnostics
notification, positions found by text, and edits applied as an editor applies them."""

from __future__ import annotations

import asyncio
import sys

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities, make_test_lsp_client

from conftest import source_env

PUBLISH = lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every ``publishDiagnostics`` in ``client.published`` and
    counting the server's requests to refresh inlay hints in ``client.refreshes``."""
    client = make_test_lsp_client()
    client.published = []
    keep = client.protocol.fm.features[PUBLISH]

    def record(params: lsp.PublishDiagnosticsParams) -> None:
        client.published.append(params)
        keep(params)

    client.protocol.fm.features[PUBLISH] = record
    client.refreshes = 0

    @client.feature(lsp.WORKSPACE_INLAY_HINT_REFRESH)
    def refresh(params) -> None:
        client.refreshes += 1

    return client


#: `kpi lsp` as an editor starts it: the command line, in a subprocess, over stdio.
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "kpidsl", "lsp"], client_factory=recording_client,
                            server_env=source_env())


async def start(client: LanguageClient, **options) -> None:
    """Initialize as VS Code does, with ``options`` as the initialization options (no debounce unless given)."""
    capabilities = client_capabilities("visual-studio-code")
    capabilities.workspace.inlay_hint = lsp.InlayHintWorkspaceClientCapabilities(refresh_support=True)  # as VS Code has
    await client.initialize_session(lsp.InitializeParams(
        capabilities=capabilities, initialization_options={"debounce": 0, **options}))


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def where(uri: str, position: lsp.Position) -> dict:
    """The document and position of a request's parameters: ``lsp.HoverParams(**where(uri, p))``."""
    return {"text_document": doc(uri), "position": position}


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def pos(text: str, needle: str, nth: int = 0, offset: int = 0) -> lsp.Position:
    """The position (UTF-16) of the ``nth`` occurrence of ``needle`` in ``text``, moved ``offset``
    characters right."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return lsp.Position(line=line, character=utf16(text[start:at]))


def offset_of(text: str, p: lsp.Position) -> int:
    """The index in ``text`` of a UTF-16 position."""
    lines = text.split("\n")
    base = sum(len(line) + 1 for line in lines[: p.line])
    line, units, n = lines[p.line] if p.line < len(lines) else "", 0, 0
    while n < len(line) and units < p.character:
        units += 2 if line[n] > "\uffff" else 1
        n += 1
    return base + n


def apply(text: str, edits) -> str:
    """``text`` with ``edits`` (TextEdits) applied, last first, as an editor does."""
    spans = sorted(((offset_of(text, e.range.start), offset_of(text, e.range.end), e.new_text) for e in edits),
                   reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


async def open_text(client: LanguageClient, uri: str, text: str, version: int = 1) -> list[lsp.Diagnostic]:
    """Open a document and return the diagnostics published for this version."""
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="kpi", version=version, text=text)))
    return await diagnostics(client, uri, version)


async def diagnostics(client: LanguageClient, uri: str, version: int, timeout: float = 10) -> list[lsp.Diagnostic]:
    """The diagnostics published for ``uri`` at ``version`` (waiting for them)."""
    async def wait():
        while True:
            for p in reversed(client.published):
                if p.uri == uri and p.version == version:
                    return list(p.diagnostics)
            await asyncio.sleep(0.005)

    return await asyncio.wait_for(wait(), timeout)


def change(client: LanguageClient, uri: str, version: int, *changes) -> None:
    """Send incremental changes: each ``(range, text)``, or a plain string for the whole text."""
    content = [lsp.TextDocumentContentChangeWholeDocument(text=c) if isinstance(c, str)
               else lsp.TextDocumentContentChangePartial(range=c[0], text=c[1]) for c in changes]
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=content))


def span(start: lsp.Position, end: lsp.Position | None = None) -> lsp.Range:
    return lsp.Range(start=start, end=end or start)
