#!/usr/bin/env python3
"""L1 and L2, the language server (`kpi lsp`), driven over stdio by pytest-lsp's client as an editor drives it.

L1 edits: diagnostics after a one-character edit of a 2,000-declaration file reach the client
within 1.5 × an in-process parse and check of the same text (``api.compile_text`` + ``api.check``,
timed between the edits: both sides in the same minutes).
L2 requests: hover, definition, completion and inlay hints on a 10,000-declaration file each
answer (round trip) in at most 1/20 of an in-process full check of that file: from the index of
the last parsed version, never parsing again. Each is timed after a first request of its kind
(reported too: the first hover builds the index, once per version; the first inlay hints wait for
the scenario's evaluation, which a model this large gets in a worker thread).
Both with the server's default settings (its debounce included). Needs the `lsp` extra and pytest-lsp.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import kpi_command, model_text  # noqa: E402

EDIT_GOAL, REQUEST_GOAL = 1.5, 1 / 20


def text_of(decls: int) -> str:
    """``model_text`` and a scenario giving every input a value (the inlay hints need one)."""
    text = model_text(decls)
    groups = max(1, decls // 8)
    values = "\n".join(f"  a{g}: {90 + g % 20}\n  b{g}: {g % 7}" for g in range(groups))
    return text + f'scenario actual "Actual" {{\n{values}\n}}\n'


def in_process(text: str, repeat: int) -> float:
    """Median seconds of parsing, compiling and checking ``text`` in this process."""
    return statistics.median(checked(text) for _ in range(repeat))


def checked(text: str) -> float:
    """Seconds of one parse, compile and check of ``text`` in this process."""
    from kpidsl import api

    start = time.perf_counter()
    model, _ = api.compile_text(text, "bench.kpi")
    api.check(model)
    return time.perf_counter() - start


def position(text: str, needle: str, offset: int = 0):
    """The position of ``needle`` in ``text`` (ASCII), moved ``offset`` characters right."""
    return _pos(text, text.index(needle) + offset)


async def session(small: str, large: str, repeat: int) -> dict:
    from lsprotocol import types as lsp
    from pytest_lsp import client_capabilities, make_test_lsp_client

    client = make_test_lsp_client()
    await client.start_io(*kpi_command(), "lsp")
    await client.initialize_session(lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    publish = lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
    out: dict = {}
    try:
        # L1: one-character edits, each after the debounce has passed (as a person pauses)
        uri = Path("/bench/edit.kpi").as_uri()
        waiting = client.protocol.wait_for_notification_async(publish)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="kpi", version=1, text=small)))
        await waiting
        middle = small.index("target: >= 90", len(small) // 2) + len("target: >= 9")
        at = _pos(small, middle)  # the 0 of a kgi's `>= 90`, made 91 and back
        times, base = [], []
        for version in range(2, 2 + repeat):
            # the in-process check of the same text, between two edits: both sides in the same minutes
            base.append(checked(small[:middle] + ("1" if version % 2 == 0 else "0") + small[middle + 1:]))
            await asyncio.sleep(0.25)
            digit = "1" if version % 2 == 0 else "0"
            waiting = client.protocol.wait_for_notification_async(publish)
            start = time.perf_counter()
            client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(
                    start=at, end=lsp.Position(line=at.line, character=at.character + 1)), text=digit)]))
            params = await waiting
            times.append(time.perf_counter() - start)
            assert params.version == version and not params.diagnostics, params
        out["edit"] = statistics.median(times)
        out["edit base"] = statistics.median(base)

        # L2: requests on the large file, answered from the index
        uri = Path("/bench/large.kpi").as_uri()
        waiting = client.protocol.wait_for_notification_async(publish)
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="kpi", version=1, text=large)))
        await waiting
        doc = lsp.TextDocumentIdentifier(uri=uri)
        g = large.count("kgi goal") // 2  # a tree in the middle of the file
        name = position(large, f"value: a{g} * 3", len("value: ") + 1)
        typing = position(large, f"a{g} * 3 + b{g}", len(f"a{g} * 3 + b"))
        first = position(large, f"kgi goal{g} ")
        window = lsp.Range(start=first, end=lsp.Position(line=first.line + 60, character=0))
        requests = {  # inlay hints first: the others are then timed without the evaluation going on
            "inlay hints": lambda: client.text_document_inlay_hint_async(
                lsp.InlayHintParams(text_document=doc, range=window)),
            "hover": lambda: client.text_document_hover_async(lsp.HoverParams(text_document=doc, position=name)),
            "definition": lambda: client.text_document_definition_async(
                lsp.DefinitionParams(text_document=doc, position=name)),
            "completion": lambda: client.text_document_completion_async(
                lsp.CompletionParams(text_document=doc, position=typing)),
        }
        for what, request in requests.items():
            start = time.perf_counter()
            answer = await request()
            while not answer and what == "inlay hints" and time.perf_counter() - start < 120:
                await asyncio.sleep(0.05)  # a large model is evaluated in the background: ask again
                answer = await request()
            out[f"{what} first"] = time.perf_counter() - start
            assert answer, f"{what}: no answer"
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                await request()
                times.append(time.perf_counter() - start)
            out[what] = statistics.median(times)
    finally:
        await client.shutdown_session()
        await client.stop()
    return out


def _pos(text: str, at: int):
    from lsprotocol import types as lsp

    return lsp.Position(line=text.count("\n", 0, at), character=at - text.rfind("\n", 0, at) - 1)


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edit-decls", type=int, default=2000)
    parser.add_argument("--decls", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    try:
        import pytest_lsp  # noqa: F401
    except ImportError:
        print("L1/L2 language server: skipped (pip install 'kpidsl[lsp]' pytest-lsp)")
        return True
    small, large = text_of(args.edit_decls), text_of(args.decls)
    base_large = in_process(large, max(3, args.repeat // 3))
    got = asyncio.run(session(small, large, args.repeat))
    base_small = got["edit base"]
    ok = True
    ratio = got["edit"] / base_small
    ok &= ratio <= EDIT_GOAL
    print(f"L1 edits: diagnostics after a one-character edit of {args.edit_decls:,} declarations "
          f"{got['edit'] * 1000:.1f} ms; "
          f"in-process parse and check {base_small * 1000:.1f} ms; ratio {ratio:.2f} (goal ≤ {EDIT_GOAL}) "
          f"{'ok' if ratio <= EDIT_GOAL else 'MISSED'}")
    for what in ("hover", "definition", "completion", "inlay hints"):
        ratio = got[what] / base_large
        ok &= ratio <= REQUEST_GOAL
        print(f"L2 {what}: {got[what] * 1000:.2f} ms on {args.decls:,} declarations "
              f"(first {got[what + ' first'] * 1000:.1f} ms); "
              f"full check {base_large * 1000:.0f} ms; ratio {ratio:.3f} (goal ≤ {REQUEST_GOAL:.3f}) "
              f"{'ok' if ratio <= REQUEST_GOAL else 'MISSED'}")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
