"""Definition, references, highlights, rename, the outline and folding: answers about where names
and declarations are, from the document's index (``documents.Index``)."""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from .documents import Document
from .features import vocabulary

_DECLARING = ("indicator", "scenario")
_NAME = re.compile(r"[^\W\d]\w*")


class RenameRefused(Exception):
    """A rename that cannot be made; the message says why and what would do."""


def _at(doc: Document, position: lsp.Position):
    index = doc.index
    if index is None:
        return None
    return index.at(position.line + 1, doc.model_lines.column(position))


def definition(doc: Document, position: lsp.Position) -> list[lsp.Location]:
    o = _at(doc, position)
    if o is None:
        return []
    return [lsp.Location(uri=doc.uri, range=doc.model_lines.range(d.span))
            for d in doc.index.by_name.get(o.name, ()) if d.role in _DECLARING]


def references(doc: Document, position: lsp.Position, declaration: bool) -> list[lsp.Location]:
    o = _at(doc, position)
    if o is None:
        return []
    return [lsp.Location(uri=doc.uri, range=doc.model_lines.range(r.span))
            for r in doc.index.by_name.get(o.name, ()) if declaration or r.role not in _DECLARING]


def highlights(doc: Document, position: lsp.Position) -> list[lsp.DocumentHighlight]:
    o = _at(doc, position)
    if o is None:
        return []
    write, read = lsp.DocumentHighlightKind.Write, lsp.DocumentHighlightKind.Read
    return [lsp.DocumentHighlight(range=doc.model_lines.range(r.span), kind=write if r.role in _DECLARING else read)
            for r in doc.index.by_name.get(o.name, ())]


def prepare_rename(doc: Document, position: lsp.Position) -> lsp.PrepareRenamePlaceholder | None:
    o = _at(doc, position)
    if o is None or not doc.fresh:
        return None
    return lsp.PrepareRenamePlaceholder(range=doc.model_lines.range(o.span), placeholder=o.name)


def rename(doc: Document, position: lsp.Position, new: str) -> lsp.WorkspaceEdit | None:
    """Every place the name at ``position`` stands, renamed to ``new``; ``RenameRefused`` for a
    reserved word, a name that is not a name, or one already taken."""
    o = _at(doc, position)
    if o is None:
        return None
    if not doc.fresh or doc.model is None or doc.analysis.lines is not doc.model_lines:
        raise RenameRefused("the file has a syntax error: fix it before renaming, so that every use is found")
    if new == o.name:
        return lsp.WorkspaceEdit(changes={doc.uri: []})
    if not _NAME.fullmatch(new):
        raise RenameRefused(f"`{new}` is not a name: a name is a letter or `_`, then letters, digits or `_`")
    if new in vocabulary()["reserved"]:
        raise RenameRefused(f"`{new}` is a reserved word of the language; choose another name")
    taken = doc.model.indicators.keys() | doc.model.scenarios.keys()
    if new in taken:
        what = "scenario" if new in doc.model.scenarios else doc.model.indicators[new].kind
        raise RenameRefused(f"`{new}` is already the name of a {what}; choose a name not yet declared")
    edits = [lsp.TextEdit(range=doc.model_lines.range(r.span), new_text=new) for r in doc.index.by_name[o.name]]
    return lsp.WorkspaceEdit(changes={doc.uri: edits})


_SYMBOLS = {"model": lsp.SymbolKind.Module, "kgi": lsp.SymbolKind.Class, "kpi": lsp.SymbolKind.Field,
            "veto": lsp.SymbolKind.Boolean, "metric": lsp.SymbolKind.Number, "input": lsp.SymbolKind.Variable,
            "scenario": lsp.SymbolKind.Event}


def symbols(doc: Document) -> list[lsp.DocumentSymbol]:
    """The outline: the model, each kgi with its kpis and vetoes below it (as linked, ``parent:``
    included), the declarations outside any tree, then the scenarios."""
    index = doc.index
    if index is None:
        return []
    model, lines = doc.model, doc.model_lines

    def symbol(d, children=None) -> lsp.DocumentSymbol:
        return lsp.DocumentSymbol(name=d.name or "model", detail=" ".join(p for p in (d.keyword, d.label) if p),
                                  kind=_SYMBOLS.get(d.keyword, lsp.SymbolKind.Object), range=lines.range(d.span),
                                  selection_range=lines.range(d.name_span), children=children)

    placed: set[str] = set()

    def tree(name: str) -> lsp.DocumentSymbol:
        placed.add(name)
        ind = model.indicators[name]
        below = [c for c in (*ind.children, *ind.vetoes) if c not in placed and c in index.declared]
        return symbol(index.declared[name], [tree(c) for c in below] or None)

    roots = [tree(k.name) for k in model.kgis if k.name in index.declared]
    out = [symbol(d) for d in index.declarations if d.keyword == "model"] + roots
    out += [symbol(d) for d in index.declarations
            if d.keyword not in ("model", "scenario") and d.name not in placed and d.nested_in is None]
    out += [symbol(d) for d in index.declarations if d.keyword == "scenario"]
    return out


_COMMENT = re.compile(r"\s*#")


def folding(doc: Document) -> list[lsp.FoldingRange]:
    """Each declaration of more than one line, and each run of two or more comment lines."""
    out = []
    index = doc.index
    if index is not None:
        region = lsp.FoldingRangeKind.Region
        out = [lsp.FoldingRange(start_line=d.span.line - 1, end_line=d.span.end_line - 1, kind=region)
               for d in index.declarations if d.span.end_line > d.span.line]
    lines = doc.text.split("\n")
    start = None
    for n, line in enumerate([*lines, ""]):
        if _COMMENT.match(line):
            start = n if start is None else start
            continue
        if start is not None and n - 1 > start:
            out.append(lsp.FoldingRange(start_line=start, end_line=n - 1, kind=lsp.FoldingRangeKind.Comment))
        start = None
    return out
