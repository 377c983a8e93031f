"""Code actions and formatting: edits the server offers for a document.

Code actions, for the findings in the range asked about: add ``# noqa: CODE`` (codes that can be
silenced), replace a name with the one a "did you mean" suggests, and rescale the weights of a
node's children to 100% (E201: the registry's fix). Formatting is ``kpi fmt``: a file with a
syntax error is not formatted.
"""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from .. import api
from ..checking.rules import RULES
from ..errors import KpiError
from ..render.formatter import format_source, line_end
from .documents import Document, Lines

_SUGGESTION = re.compile(r"did you mean `([^\W\d]\w*)`\?")
_NAME = re.compile(r"[^\W\d]\w*")


def _noqa_edit(lines: Lines, line: int, code: str) -> lsp.TextEdit:
    """The edit that adds ``code`` to 0-based ``line``'s ``# noqa:`` list, or a ``# noqa: CODE`` comment."""
    text = lines.lines[line] if line < len(lines.lines) else ""
    at, new = api.noqa_insertion(text.rstrip("\r"), code)
    pos = lines.position(line + 1, at + 1)
    return lsp.TextEdit(range=lsp.Range(start=pos, end=pos), new_text=new)


def code_actions(doc: Document, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    out: list[lsp.CodeAction] = []
    lines = doc.analysis.lines if doc.analysis else None
    if lines is None:
        return out
    for diag in params.context.diagnostics:
        code = str(diag.code or "")
        if diag.source != "kpi" or code not in RULES:
            continue
        suggestion = _SUGGESTION.search(diag.message)
        r = diag.range
        written = lines.lines[r.start.line][lines.column(r.start) - 1 : lines.column(r.end) - 1] \
            if r.start.line == r.end.line and r.start.line < len(lines.lines) else ""
        if suggestion and _NAME.fullmatch(written):
            out.append(_action(f"Replace `{written}` with `{suggestion.group(1)}`", diag, doc.uri,
                               [lsp.TextEdit(range=r, new_text=suggestion.group(1))], preferred=True))
        if code == "E201":
            edits = _rescale(doc, written)
            if edits:
                out.append(_action(f"Rescale the weights under `{written}` to sum to 100%", diag, doc.uri, edits,
                                   preferred=True))
        if RULES[code].silenceable:
            out.append(_action(f"Silence {code} on this line (# noqa: {code})", diag, doc.uri,
                               [_noqa_edit(lines, r.start.line, code)]))
    return out


def _action(title: str, diag: lsp.Diagnostic, uri: str, edits: list[lsp.TextEdit],
            preferred: bool = False) -> lsp.CodeAction:
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diag],
                          is_preferred=preferred or None, edit=lsp.WorkspaceEdit(changes={uri: edits}))


def rescaled(weights: list[float]) -> list[str]:
    """``weights`` scaled to sum to exactly 100%, as percentages with at most two decimals (the
    largest takes what rounding leaves over)."""
    total = sum(weights)
    hundredths = [round(w / total * 10_000) for w in weights]
    biggest = max(range(len(weights)), key=lambda i: weights[i])
    hundredths[biggest] += 10_000 - sum(hundredths)
    return [f"{h / 100:.2f}".rstrip("0").rstrip(".") + "%" for h in hundredths]


def _rescale(doc: Document, parent: str) -> list[lsp.TextEdit]:
    """The edits that rescale the weights of ``parent``'s children, when the model is current."""
    model = doc.model
    if not doc.fresh or doc.analysis.lines is not doc.model_lines or parent not in model.indicators:
        return []
    kids = [model.indicators[c] for c in model.indicators[parent].children]
    if not kids or any(k.weight is None or k.weight <= 0 for k in kids):
        return []
    spans = [k.entries["weight"].value.span for k in kids]
    return [lsp.TextEdit(range=doc.model_lines.range(s), new_text=t)
            for s, t in zip(spans, rescaled([k.weight for k in kids]))]


class NotFormatted(Exception):
    """A document that cannot be formatted; the message says why."""


def formatting(doc: Document) -> list[lsp.TextEdit]:
    """``kpi fmt`` of the document as one edit (none when it is already formatted)."""
    text = doc.text
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    try:
        out = format_source(body.replace("\r\n", "\n"), doc.path)
    except KpiError as exc:
        first = exc.findings[0] if exc.findings else None
        where = f" (line {first.span.line}, column {first.span.column}: {first.code} {first.message})" if first else ""
        raise NotFormatted(f"kpi fmt: the file has a syntax error{where}; fix it, then format") from None
    if line_end(body) == "\r\n":
        out = out.replace("\n", "\r\n")
    out = ("\ufeff" if bom else "") + out
    if out == text:
        return []
    lines = doc.analysis.lines if doc.fresh else None
    end = lines.end() if lines is not None else lsp.Position(line=text.count("\n") + 1, character=0)
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=out)]
