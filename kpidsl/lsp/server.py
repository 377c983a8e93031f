"""``kpi lsp``: the language server, over standard input and output, on pygls.

Diagnostics are ``kpi check``'s findings for the latest text. A change is checked at once when
the document has not been checked for ``debounce`` seconds (initialization option ``debounce``),
else when they have passed, then for the latest text only: a burst of keystrokes costs one check
per ``debounce`` seconds, and a lone edit is checked without waiting. A request that needs the
latest model checks it at once. Requests answer from the last model that compiled, so
a file with a syntax error mid-edit still has hover, outline and completion. No handler raises:
an internal error is logged to the client (``window/logMessage``) and the request gets no answer.

Commands: ``kpi.server.scenarios`` (the scenarios of a document) and ``kpi.server.selectScenario``
(the scenario whose values, scores and statuses hover and inlay hints show; initialization option
``scenario``). Without one, the document's first scenario is shown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import traceback
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..checking.rules import RULES
from . import actions, features, navigation
from .documents import Document, evaluate

#: Models with at most this many declarations are evaluated when a request needs their results
#: (milliseconds); a larger one in a worker thread, the requests answering without results until
#: it is done (then inlay hints are refreshed): the first evaluation of a 10,000-declaration model
#: takes seconds, and the session must not wait for it.
EVALUATE_AT_ONCE = 500


_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}


class KpiServer(LanguageServer):
    """The server: open documents by URI, the selected scenario, and the pending checks."""

    def __init__(self):
        super().__init__("kpi", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.documents: dict[str, Document] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.checked: dict[str, float] = {}  # when each document was last checked (the loop's clock)
        self.debounce = 0.15
        self.scenario: str | None = None
        self.evaluating: set[tuple[int, str]] = set()
        self.worker = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpi-evaluate")

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def document(self, uri: str) -> Document | None:
        """The open document at ``uri``, its latest text checked."""
        doc = self.documents.get(uri)
        if doc is not None and not doc.fresh:
            self.publish(uri)
        return doc

    def changed(self, uri: str, text: str, version: int | None) -> None:
        doc = self.documents.get(uri)
        if doc is None:
            encoding = getattr(self.workspace.position_encoding, "value", self.workspace.position_encoding) or "utf-16"
            doc = self.documents[uri] = Document(uri, _path(uri), encoding)
            if doc.config_error:
                self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=doc.config_error))
        doc.update(text, version)
        if uri in self.pending:  # a check is due: it will read the latest text
            return
        loop = asyncio.get_running_loop()
        wait = self.checked.get(uri, -self.debounce) + self.debounce - loop.time()
        if wait <= 0:
            self.publish(uri)
        else:
            self.pending[uri] = loop.call_later(wait, self.publish, uri)

    def publish(self, uri: str) -> None:
        """Check the document's latest text (unless done) and send its diagnostics."""
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        doc = self.documents.get(uri)
        if doc is None:
            return
        try:
            had = doc.model
            analysis = doc.check()
            self.checked[uri] = asyncio.get_running_loop().time()
            lines = analysis.lines
            diagnostics = [lsp.Diagnostic(range=lines.range(f.span), message=f.message, code=f.code, source="kpi",
                                          severity=_SEVERITY[f.severity], data=RULES[f.code].summary)
                           for f in analysis.findings]
        except Exception as exc:  # never let a check end the session
            self.internal_error("diagnostics", exc)
            return
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, version=analysis.version, diagnostics=diagnostics))
        if doc.model is not had:
            self.refresh_hints()

    def evaluation(self, doc: Document):
        """The selected scenario's evaluation in the document's last model, or None (no scenario, a
        model that cannot be evaluated, or a large one still being evaluated)."""
        model = doc.model
        name = doc.scenario(self.scenario)
        if name is None or not model.evaluable:
            return None
        if name in doc.evaluations or len(model.indicators) <= EVALUATE_AT_ONCE:
            return doc.evaluate(name)
        key = (id(model), name)
        if key not in self.evaluating:
            self.evaluating.add(key)
            job = asyncio.get_running_loop().run_in_executor(self.worker, evaluate, model, name)
            job.add_done_callback(functools.partial(self._evaluated, doc, model, name, key))
        return None

    def _evaluated(self, doc: Document, model, name: str, key, job: asyncio.Future) -> None:
        self.evaluating.discard(key)
        if job.cancelled():
            return
        if job.exception() is not None:
            self.internal_error("evaluation", job.exception())
        elif doc.model is model:
            doc.evaluations[name] = job.result()
            self.refresh_hints()

    def refresh_hints(self) -> None:
        caps = self.client_capabilities.workspace
        if caps and caps.inlay_hint and caps.inlay_hint.refresh_support:
            self.workspace_inlay_hint_refresh(None)  # a client that cannot answer is no matter

    def internal_error(self, where: str, exc: BaseException) -> None:
        self.log(f"kpi lsp: internal error in {where}: {type(exc).__name__}: {exc} (please report)\n"
                 + "".join(traceback.format_exception(exc)), lsp.MessageType.Error)


def _path(uri: str) -> str:
    """The file path of a ``file:`` URI (another scheme's path as it stands: no kpi.toml is found for it)."""
    parsed = urlparse(uri)
    path = unquote(parsed.path)
    if parsed.scheme == "file" and len(path) > 2 and path[0] == "/" and path[2] == ":":
        path = path[1:]  # file:///C:/…
    return path or uri


server = KpiServer()
#: The protocol's error code for a request that is valid but failed (a rename refused, a file not formatted).
REQUEST_FAILED = -32803


def guarded(fn):
    """``fn`` answering None (and logging to the client) instead of raising; a refusal the user
    should read (``RenameRefused``, ``NotFormatted``) is sent as the request's error."""

    @functools.wraps(fn)
    def run(ls: KpiServer, *args):
        try:
            return fn(ls, *args)
        except (navigation.RenameRefused, actions.NotFormatted) as exc:
            raise JsonRpcException(str(exc), code=REQUEST_FAILED) from None
        except JsonRpcException:
            raise
        except Exception as exc:
            ls.internal_error(fn.__name__, exc)
            return None

    return run


def _document(ls: KpiServer, params) -> Document | None:
    return ls.document(params.text_document.uri)


def _options(ls: KpiServer, options) -> None:
    if isinstance(options, dict):
        if isinstance(options.get("debounce"), (int, float)):
            ls.debounce = max(0.0, float(options["debounce"]))
        if isinstance(options.get("scenario"), str):
            ls.scenario = options["scenario"]


@server.feature(lsp.INITIALIZE)
@guarded
def initialize(ls: KpiServer, params: lsp.InitializeParams) -> None:
    _options(ls, params.initialization_options)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
@guarded
def did_open(ls: KpiServer, params: lsp.DidOpenTextDocumentParams) -> None:
    d = params.text_document
    ls.changed(d.uri, d.text, d.version)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
@guarded
def did_change(ls: KpiServer, params: lsp.DidChangeTextDocumentParams) -> None:
    d = params.text_document
    ls.changed(d.uri, ls.workspace.get_text_document(d.uri).source, d.version)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
@guarded
def did_save(ls: KpiServer, params: lsp.DidSaveTextDocumentParams) -> None:
    doc = ls.documents.get(params.text_document.uri)
    if doc is not None:  # kpi.toml may have changed beside it
        doc.read_config(again=True)
        doc.analysis = None
        ls.publish(doc.uri)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded
def did_change_watched_files(ls: KpiServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    """A ``kpi.toml`` or ``pyproject.toml`` changed: read the configuration again and check anew."""
    for n, doc in enumerate(list(ls.documents.values())):
        doc.read_config(again=n == 0)
        doc.analysis = None
        ls.publish(doc.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
@guarded
def did_close(ls: KpiServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    handle = ls.pending.pop(uri, None)
    if handle is not None:
        handle.cancel()
    ls.documents.pop(uri, None)
    ls.checked.pop(uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@guarded
def hover(ls: KpiServer, params: lsp.HoverParams):
    doc = _document(ls, params)
    return doc and doc.model and features.hover(doc, params.position, ls.evaluation(doc))


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", ":", " "]))
@guarded
def completion(ls: KpiServer, params: lsp.CompletionParams):
    doc = ls.documents.get(params.text_document.uri)  # the latest text, checked or not: typing goes on
    return doc and features.completion(doc, params.position)


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
@guarded
def inlay_hint(ls: KpiServer, params: lsp.InlayHintParams):
    doc = _document(ls, params)
    return doc and doc.model and features.inlay_hints(doc, params.range, ls.evaluation(doc))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@guarded
def definition(ls: KpiServer, params: lsp.DefinitionParams):
    doc = _document(ls, params)
    return doc and navigation.definition(doc, params.position)


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
@guarded
def references(ls: KpiServer, params: lsp.ReferenceParams):
    doc = _document(ls, params)
    return doc and navigation.references(doc, params.position, params.context.include_declaration)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
@guarded
def highlight(ls: KpiServer, params: lsp.DocumentHighlightParams):
    doc = _document(ls, params)
    return doc and navigation.highlights(doc, params.position)


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
@guarded
def prepare_rename(ls: KpiServer, params: lsp.PrepareRenameParams):
    doc = _document(ls, params)
    return doc and navigation.prepare_rename(doc, params.position)


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
@guarded
def rename(ls: KpiServer, params: lsp.RenameParams):
    doc = _document(ls, params)
    return doc and navigation.rename(doc, params.position, params.new_name)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@guarded
def document_symbol(ls: KpiServer, params: lsp.DocumentSymbolParams):
    doc = _document(ls, params)
    return doc and navigation.symbols(doc)


@server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
@guarded
def folding_range(ls: KpiServer, params: lsp.FoldingRangeParams):
    doc = _document(ls, params)
    return doc and navigation.folding(doc)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
@guarded
def formatting(ls: KpiServer, params: lsp.DocumentFormattingParams):
    doc = _document(ls, params)
    return doc and actions.formatting(doc)


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
@guarded
def code_action(ls: KpiServer, params: lsp.CodeActionParams):
    doc = _document(ls, params)
    return doc and actions.code_actions(doc, params)


@server.command("kpi.server.scenarios")
@guarded
def scenarios(ls: KpiServer, *args):
    """The scenarios of the document whose URI is the first argument, and the one selected."""
    doc = ls.document(str(args[0])) if args else None
    if doc is None or doc.model is None:
        return {"scenarios": [], "selected": None}
    names = [{"name": n, "label": s.label} for n, s in doc.model.scenarios.items()]
    return {"scenarios": names, "selected": doc.scenario(ls.scenario)}


@server.command("kpi.server.selectScenario")
@guarded
def select_scenario(ls: KpiServer, *args):
    """Select the scenario named by the last argument (before it, optionally, a document URI)."""
    if not args or not isinstance(args[-1], str):
        raise JsonRpcInvalidParams("kpi.server.selectScenario takes a scenario name")
    ls.scenario = args[-1]
    ls.refresh_hints()
    return ls.scenario


class _OneLine(logging.StreamHandler):
    """pygls's warnings and errors on standard error, one line each, never a traceback (a message
    the client garbled, say: the client is told too)."""

    def emit(self, record: logging.LogRecord) -> None:
        record.exc_info = record.exc_text = None
        super().emit(record)


def main() -> None:
    """Serve over standard input and output until the client says exit."""
    handler = _OneLine()
    handler.setFormatter(logging.Formatter("kpi lsp: %(levelname)s: %(message)s"))
    log = logging.getLogger("pygls")
    log.addHandler(handler)
    log.setLevel(logging.WARNING)
    log.propagate = False
    server.start_io()
