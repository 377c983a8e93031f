"""Hover, completion and inlay hints: what the server tells about a place in a document.

Each answers from the document's index and the selected scenario's evaluation of the last model
that compiled (``documents.Document``); none parses. Completion reads the current line of the
latest text (and the lines above it, to find the enclosing declaration), so it works mid-edit.
"""

from __future__ import annotations

import functools
import re

from lsprotocol import types as lsp

from .. import api
from ..checking.rules import RULES
from ..render.text import fmt_pct, score_text, value_text
from .documents import Document, Lines

Kind = lsp.CompletionItemKind

#: The most completion items sent at once: past this the list is marked incomplete and the client
#: asks again as more is typed (a 10,000-declaration file would send megabytes per keystroke).
MAX_ITEMS = 200


@functools.cache
def vocabulary() -> dict:
    """The words of the language (``api.vocabulary``), read once."""
    return api.vocabulary()


def _entry_text(model, entry) -> str:
    """``key: value`` as written on its line (the first line of a longer one), brackets included."""
    s = entry.span
    line = model.lines[s.line - 1]
    end = s.end_column - 1 if s.end_line == s.line else len(line)
    text = line[s.column - 1 : end]
    while text.count("(") > text.count(")") and line[end : end + 1] == ")":
        text, end = text + ")", end + 1
    return text.strip() + ("" if s.end_line == s.line else " …")


def _result_lines(doc: Document, name: str, ev) -> list[str]:
    if ev is None or name not in ev.results:
        return []
    r, model = ev.results[name], doc.model
    parts = [f"value {value_text(model, name, r.value)}" if name in model.indicators else ""]
    if r.score is not None or r.status is not None:
        parts.append(f"score {score_text(model, r)}")
    if r.achievement is not None:
        parts.append(f"achievement {fmt_pct(r.achievement)}")
    if r.status:
        parts.append(f"status **{r.status}**")
    if getattr(r, "grade", None) is not None:
        parts.append(f"grade **{r.grade}**")
    title = ev.name + (f" ({ev.label})" if ev.label else "")
    return ["", f"Scenario `{title}`: " + " · ".join(p for p in parts if p)]


def _indicator_hover(doc: Document, name: str, ev) -> list[str]:
    model = doc.model
    ind = model.indicators[name]
    head = f"{ind.kind} {name}" + (f' "{ind.label}"' if ind.label else "")
    out = ["```kpi", head, "```"]
    where = ind.parent or ind.nested_in
    facts = [("parent", f"`{where}`" if where else None), ("owner", ind.owner), ("unit", ind.unit)]
    for key in ("weight", "baseline", "target", "stretch", "value"):
        if key in ind.entries:
            facts.append((key, f"`{_entry_text(model, ind.entries[key]).partition(':')[2].strip()}`"))
    if ind.effective_weight is not None and "weight" not in ind.entries:
        facts.append(("weight", f"{ind.effective_weight * 100:.4g}% (equal shares)"))
    facts += [("source", ind.source), ("period", ind.period), ("due", ind.due and ind.due.isoformat())]
    out += [f"- {k}: {v}" for k, v in facts if v]
    return out + _result_lines(doc, name, ev)


def _scenario_hover(doc: Document, name: str) -> list[str]:
    sc = doc.model.scenarios[name]
    out = ["```kpi", f"scenario {name}" + (f' "{sc.label}"' if sc.label else "")
           + (f" extends {sc.extends}" if sc.extends else ""), "```",
           f"- {len(sc.values)} values of its own, {len(doc.model.scenario_values(name))} in all",
           f"- {len(sc.expects)} `expect` lines"]
    return out


def _finding_lines(doc: Document, line: int, column: int) -> list[str]:
    """The rule summary of each finding at the place (``kpi rule CODE`` explains it)."""
    out = []
    for f in (doc.analysis.findings if doc.analysis else ()):
        s = f.span
        if (s.line, s.column) <= (line, column) <= (s.end_line, s.end_column):
            out.append(f"**{f.code}** {RULES[f.code].summary} (`kpi rule {f.code}`)")
    return ["", *out] if out else []


def hover(doc: Document, position: lsp.Position, ev) -> lsp.Hover | None:
    """What the name at ``position`` is, with its results in ``ev`` (the selected scenario's
    evaluation, or None), and the rule summary of each finding there."""
    index = doc.index
    if index is None:
        return None
    lines = doc.model_lines
    line, column = position.line + 1, lines.column(position)
    o = index.at(line, column)
    text: list[str] = []
    if o is not None and o.name in doc.model.indicators:
        text = _indicator_hover(doc, o.name, ev)
    elif o is not None and o.name in doc.model.scenarios:
        text = _scenario_hover(doc, o.name)
    elif o is None:
        word = _word_at(lines.lines[line - 1] if line <= len(lines.lines) else "", column)
        funcs = vocabulary()["functions"]
        if word in funcs:
            text = ["```kpi", _signature(word, funcs[word]), "```"]
    text += _finding_lines(doc, line, column)
    if not text:
        return None
    rng = lines.range(o.span) if o is not None else None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n".join(text).strip()),
                     range=rng)


def _word_at(line: str, column: int) -> str:
    for m in re.finditer(r"[^\W\d]\w*", line):
        if m.start() < column <= m.end() + 1:
            return m.group()
    return ""


def _signature(name: str, arity: tuple) -> str:
    lo, hi = arity
    args = ["x", "y", "z"][:lo] if hi is not None else ["x", "…"]
    if name == "if":
        args = ["condition", "then", "otherwise"]
    elif name == "clamp":
        args = ["x", "low", "high"]
    elif name == "round":
        args = ["x", "digits?"]
    return f"{name}({', '.join(args)})"


# ---------------------------------------------------------------------------------------------
# Completion

@functools.cache
def _header() -> re.Pattern:
    """A declaration's header: ``model``, ``scenario NAME`` or ``KIND NAME``."""
    kinds = "|".join(vocabulary()["kinds"])
    return re.compile(rf"^\s*(?:(model)\b|(scenario)\s+([^\W\d]\w*)|({kinds})\s+([^\W\d]\w*))")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"?')
#: A line's text that ends in code: no comment, and every string closed.
_CODE = re.compile(r'(?:[^"#]++|"(?:[^"\\]++|\\.)*+")*+')  # possessive: linear on any line


def _code(line: str) -> str:
    """``line`` less its strings and comment."""
    line = _STRINGS.sub('""', line)
    return line.split("#", 1)[0]


def enclosing(lines: list[str], line: int, column: int, limit: int = 5000) -> tuple[str | None, str | None]:
    """The keyword and name of the declaration whose block holds 0-based ``line``:``column`` (by the
    braces of the text above), or ``(None, None)`` at the top level; the search looks at most
    ``limit`` lines up."""
    depth = 0
    for n in range(line, max(line - limit, -1), -1):
        text = _code(lines[n][:column] if n == line else lines[n])
        for c in reversed(text):
            if c == "}":
                depth += 1
            elif c == "{":
                if depth == 0:
                    m = _header().match(text)
                    if m is None:
                        return None, None
                    if m.group(1):
                        return "model", None
                    if m.group(2):
                        return "scenario", m.group(3)
                    return m.group(4), m.group(5)
                depth -= 1
    return None, None


def _item(label: str, kind: Kind, detail: str | None = None, insert: str | None = None,
          snippet: bool = False) -> lsp.CompletionItem:
    return lsp.CompletionItem(label=label, kind=kind, detail=detail, insert_text=insert,
                              insert_text_format=lsp.InsertTextFormat.Snippet if snippet else None)


_KINDS = {"kgi": Kind.Class, "kpi": Kind.Field,
          "veto": Kind.Constant, "metric": Kind.Value,
          "input": Kind.Variable}


def _names(doc: Document, kinds, prefix: str, but: str | None = None) -> list[lsp.CompletionItem]:
    if doc.model is None:
        return []
    p = prefix.lower()
    return [_item(n, _KINDS.get(i.kind, Kind.Variable), f"{i.kind} {i.label or ''}".strip())
            for n, i in doc.model.indicators.items() if i.kind in kinds and n != but and n.lower().startswith(p)]


def _functions(prefix: str) -> list[lsp.CompletionItem]:
    return [_item(f, Kind.Function, _signature(f, a), f + "($1)$0", snippet=True)
            for f, a in vocabulary()["functions"].items() if f.startswith(prefix.lower())]


def completion(doc: Document, position: lsp.Position) -> lsp.CompletionList:
    """What may be written at ``position`` of the latest text, at most ``MAX_ITEMS`` of it."""
    text = doc.analysis.lines if doc.fresh else Lines(doc.text, doc.encoding)
    n = position.line
    if n >= len(text.lines):  # past the end: nothing is written there
        return lsp.CompletionList(is_incomplete=False, items=[])
    before = text.lines[n][: text.column(position) - 1]
    items = _complete(doc, text.lines, n, before)
    return lsp.CompletionList(is_incomplete=len(items) > MAX_ITEMS, items=items[:MAX_ITEMS])


def _complete(doc: Document, lines: list[str], n: int, before: str) -> list[lsp.CompletionItem]:
    words = vocabulary()
    if not _CODE.fullmatch(before):
        return []  # in a comment or a string
    prefix = re.search(r"[^\W\d]?\w*$", before).group()
    if prefix and prefix[0].isdigit():
        return []
    if re.search(r"[^\W\d]\w*\s*\.\s*\w*$", before) and not re.search(r"\d\.\w*$", before):
        return [_item(r, Kind.Property, "a result read by `expect`")
                for r in words["results"] if r.startswith(prefix)]
    if re.search(r"\bextends\s+\w*$", before):
        m = _header().match(before)
        own = m.group(3) if m else None
        scenarios = doc.model.scenarios if doc.model else {}
        return [_item(s, Kind.Event, "scenario") for s in scenarios
                if s != own and s.startswith(prefix)]
    keyword, owner = enclosing(lines, n, len(before))
    entry = re.match(r"^\s*([^\W\d]\w*)\s*:(.*)$", before)
    if entry:
        key = entry.group(1)
        if keyword == "scenario" or keyword is None:
            return []
        if key in words["words"]:
            return [_item(w, Kind.EnumMember, key) for w in words["words"][key]
                    if w.startswith(prefix)]
        if key == "parent":
            return _names(doc, words["holds"], prefix, owner)
        if key in ("baseline", "target", "stretch"):
            return _names(doc, ("input",), prefix) + _functions(prefix)
        if key == "value":
            return _names(doc, words["kinds"], prefix, owner) + _functions(prefix)
        return []
    if re.match(r"^\s*expect\s", before):
        return (_names(doc, words["kinds"], prefix) + _functions(prefix)
                + [_item(w, Kind.Keyword) for w in ("not", "and", "or") if w.startswith(prefix)])
    if not re.fullmatch(r"\s*\w*", before):
        return []
    if keyword is None:
        return [_item(k, Kind.Keyword, "declaration") for k in words["declarations"]
                if k.startswith(prefix)]
    if keyword == "scenario":
        keys = _names(doc, words["kinds"], prefix)
        for i in keys:
            i.insert_text = f"{i.label}: "
        return [_item("expect", Kind.Keyword, "a golden check", "expect ")] + keys
    keys = sorted(words["keys"].get(keyword, ()))
    items = [_item(k, Kind.Property, f"entry of a {keyword}", f"{k}: ") for k in keys
             if k.startswith(prefix)]
    if keyword in words["holds"]:
        items += [_item(k, Kind.Keyword, "nested declaration") for k in words["nests"]
                  if k.startswith(prefix)]
    return items


# ---------------------------------------------------------------------------------------------
# Inlay hints


def inlay_hints(doc: Document, rng: lsp.Range, ev) -> list[lsp.InlayHint]:
    """The score and status in ``ev`` (the selected scenario's evaluation) after the header of
    each indicator in ``rng``."""
    index = doc.index
    if index is None or ev is None:
        return []
    model, lines, out = doc.model, doc.model_lines, []
    for d in index.declarations_between(rng.start.line + 1, rng.end.line + 1):
        r = ev.results.get(d.name) if d.name in model.indicators else None
        if r is None or (r.score is None and r.status is None):
            continue
        label = f"{score_text(model, r)} {r.status or ''}".strip()
        if getattr(r, "grade", None) is not None:
            label += f" {r.grade}"
        end = d.header_end
        out.append(lsp.InlayHint(position=lines.position(end.end_line, end.end_column), label=label,
                                 padding_left=True, tooltip=f"scenario {ev.name}: score and status"))
    return out
