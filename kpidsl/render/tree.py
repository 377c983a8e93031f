"""The KPI tree as a picture: ``kpi tree MODEL --format text|mermaid|dot [--scenario NAME]``.

``render(model, fmt, evaluation=None, style=plain)`` returns the whole output, ending with a newline.

What each node shows: its name, its label, its target's spelling (``>= 833万``), its effective owner,
and for a ``kpi`` its effective weight as a percentage (``40%``; implicit equal weights filled in).
A ``veto`` is marked (``[veto]`` in text, ``⛔ veto`` in diagrams, dashed in diagrams). With an
evaluation each scored node also shows its score as a percentage (not for a veto, which only passes
or fails) and its status.

Choices:

- **Owner.** The *effective* owner is shown: the indicator's own ``owner``, else the nearest parent's,
  else the model's (``model { owner: … }``). One that is not the indicator's own is marked
  ``(inherited)``, the same inheritance that W102 uses. A node with no owner anywhere shows none.
- **Order.** Trees come in ``model.kgis`` order; a node's children (``kpi`` and ``veto``) in declaration
  order, as in ``kpi eval --format tree``. Metrics follow the trees: they are outside them, never
  weighted. In text they are lines ``metric NAME …``; in Mermaid and DOT a ``metrics`` subgraph
  (cluster) without edges. ``kpi`` and ``veto`` declarations that do not reach a kgi (E205, or a cycle
  of parents, E206) are still drawn, as extra roots after the trees, so a model with errors draws
  without looping or losing a node; each kgi, kpi and veto appears exactly once.
- **Depth.** Text draws ``MAX_INDENT`` (32) levels by indentation; a node deeper than that is drawn
  at the indentation of that depth, after ``… [depth N]``, so a chain N deep writes N short lines
  (not N² characters of indentation). ``kpi eval``'s table and tree do the same.
- **Text** is sanitised for a terminal: control characters in labels and owners (a ``\\n`` escape in
  a label, an ANSI escape, bidi overrides) are shown as escapes, so a label cannot break a tree line.
- **Mermaid** (GitHub flavour): ``flowchart TD``; node ids are ``n0``, ``n1``, … in output order,
  never the declared names. Every label is ``nID["…"]`` with the lines joined by ``<br/>``; inside it
  ``"`` is ``#quot;``, ``<`` ``>`` ``&`` are ``#lt;`` ``#gt;`` ``#amp;``, and ``#`` ``|`` brackets,
  braces, backslashes, backticks, ``;`` and the second ``%`` of ``%%`` are numeric entity codes
  (``#35;`` …), so neither the Mermaid parser nor the HTML label sees anything but text. A newline
  in a label becomes ``<br/>``; other control characters a space. Edges are
  ``parent -->|40%| child``; veto edges ``parent -.->|veto| child``. The ``veto`` class (a red dashed
  outline) is always defined and given to veto nodes; with an evaluation the classes
  ``green amber red vetoed nodata pass fail`` are defined and given by status (``no-data`` is the
  class ``nodata``); nodes without a status get none.
- **DOT**: ``digraph kpi``, ids ``n0``, ``n1``, …; labels are double-quoted with ``\\`` and ``"``
  escaped and lines joined by ``\\n``. Veto nodes and edges are dashed and red; with an evaluation
  nodes are filled by status. The model's label (and the scenario's name) is the graph's title.
"""

from __future__ import annotations

import unicodedata

from ..evaluation.results import Evaluation
from ..compiler.model import Indicator, Model
from .findings import Style, plain
from .text import STATUS_COLOURS, fmt_pct

FORMATS = ("text", "mermaid", "dot")
#: Levels that text output draws by indentation; deeper rows are drawn at this depth and marked
#: ``… [depth N]`` (``deep_mark``), so that the output stays linear in the number of nodes.
MAX_INDENT = 32

#: Fill, outline and text colours for a status (Mermaid classes and DOT fills).
STATUS_FILLS = {
    "green": ("#c8e6c9", "#2e7d32", "#1b5e20"),
    "amber": ("#ffe0b2", "#ef6c00", "#7a3e00"),
    "red": ("#ffcdd2", "#c62828", "#7f0000"),
    "vetoed": ("#e1bee7", "#6a1b9a", "#4a148c"),
    "no-data": ("#eeeeee", "#9e9e9e", "#424242"),
    "pass": ("#c8e6c9", "#2e7d32", "#1b5e20"),
    "fail": ("#ffcdd2", "#c62828", "#7f0000"),
}
VETO_COLOUR = "#c62828"


# ---------------------------------------------------------------------------------------------
# The structure shared by every format


def deep_mark(depth: int) -> str:
    """What stands before a text row deeper than ``MAX_INDENT``, in place of further indentation."""
    return f"… [depth {depth}] " if depth > MAX_INDENT else ""


def layout(model: Model) -> tuple[list[tuple[str, int, str]], list[tuple[str, str]], list[str]]:
    """Walk the trees: ``(name, depth, prefix)`` rows in output order (a prefix is the box-drawing
    lead of a text line: at most ``MAX_INDENT`` levels of it, then ``deep_mark``), the ``(parent,
    child)`` edges, and the metrics.

    Iterative, with a visited set: deep trees and cycles of parents (a model with errors) are safe."""
    inds = model.indicators
    rows: list[tuple[str, int, str]] = []
    edges: list[tuple[str, str]] = []
    seen: set[str] = set()

    def kids(ind: Indicator) -> list[str]:
        return sorted((c for c in (*ind.children, *ind.vetoes) if c in inds), key=lambda c: inds[c].index)

    def walk(root: str) -> None:
        # stack of (name, depth, prefix of this line, prefix for its children)
        stack = [(root, 0, "", "")]
        while stack:
            name, depth, lead, child_lead = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            rows.append((name, depth, lead))
            children = kids(inds[name])
            for c in children:
                edges.append((name, c))
            todo = [c for c in children if c not in seen]
            mark = deep_mark(depth + 1)  # beyond MAX_INDENT, child_lead stops growing
            for i in range(len(todo) - 1, -1, -1):
                last = i == len(todo) - 1
                stack.append((todo[i], depth + 1, child_lead + mark + ("└── " if last else "├── "),
                              child_lead + ("    " if last else "│   ") if depth + 1 < MAX_INDENT else child_lead))

    for k in model.kgis:
        walk(k.name)
    tree_kinds = ("kgi", "kpi", "veto")
    for name in list(model.order) + list(inds):  # orphans and cycles of parents: extra roots
        if name in inds and name not in seen and inds[name].kind in tree_kinds:
            root = name
            chain: set[str] = set()
            while (p := inds[root].parent) in inds and p not in seen and p not in chain:
                chain.add(root)
                root = p
            walk(root)
    metrics = [n for n in inds if inds[n].kind == "metric"]
    order = {n: i for i, n in enumerate(model.order)}
    metrics.sort(key=lambda n: (order.get(n, len(order)), inds[n].index))
    return rows, edges, metrics


def _owners(model: Model) -> dict[str, tuple[str | None, bool]]:
    """Each indicator's effective owner and whether it is inherited (from a parent or the model)."""
    inds = model.indicators
    out: dict[str, tuple[str | None, bool]] = {}
    for name in inds:
        if name in out:
            continue
        chain, cur, seen = [], name, set()
        found: str | None = None
        while cur in inds and cur not in seen:
            if cur in out:
                found = out[cur][0]
                break
            seen.add(cur)
            chain.append(cur)
            if inds[cur].owner is not None:
                found = inds[cur].owner
                break
            cur = inds[cur].parent
        else:
            found = model.settings.owner
        for n in chain:
            own = inds[n].owner
            out[n] = (own, False) if own is not None else (found, found is not None)
    return out


def _weight(ind: Indicator) -> str | None:
    w = ind.effective_weight
    if ind.kind != "kpi" or w is None:
        return None
    return f"{w * 100:.4g}%"


def _parts(model: Model, name: str, owners, ev: Evaluation | None) -> dict[str, str | None]:
    """The raw (unescaped) pieces of a node's description."""
    ind = model.indicators[name]
    owner, inherited = owners.get(name, (None, False))
    r = ev.results.get(name) if ev is not None else None
    status = r.status if r is not None else None
    score = None
    if status and ind.kind != "veto":
        score = fmt_pct(r.score)
    return {
        "name": name,
        "label": ind.label or None,
        "weight": _weight(ind),
        "target": ind.target.text if ind.target else None,
        "owner": (owner + (" (inherited)" if inherited else "")) if owner else None,
        "score": score,
        "status": status,
    }


# ---------------------------------------------------------------------------------------------
# Text

_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _clean(text: str) -> str:
    """Text safe for a terminal line: control characters, line separators and bidi controls escaped."""
    if text.isprintable() and not (_BIDI & set(text)):
        return text
    out = []
    for c in text:
        if c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c in _BIDI or unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "".join(out)


def _text_line(model: Model, name: str, owners, ev: Evaluation | None, style: Style) -> str:
    ind = model.indicators[name]
    p = _parts(model, name, owners, ev)
    bits = [style(_clean(name), bold=True)]
    if p["label"]:
        bits.append(_clean(p["label"]))
    if ind.kind == "veto":
        bits.append("[veto]")
    elif p["weight"]:
        bits.append(p["weight"])
    if p["target"]:
        bits.append("target " + _clean(p["target"]))
    if p["owner"]:
        bits.append("owner: " + _clean(p["owner"]))
    if p["score"]:
        bits.append(p["score"])
    if p["status"]:
        bits.append(style(p["status"], fg=STATUS_COLOURS.get(p["status"])))
    return "  ".join(bits)


def _title(model: Model, ev: Evaluation | None) -> str | None:
    bits = []
    if model.settings.label:
        bits.append(model.settings.label)
    if ev is not None:
        bits.append(f"scenario {ev.name}" + (f" \"{ev.label}\"" if ev.label else ""))
    return " — ".join(bits) or None


def to_text(model: Model, evaluation: Evaluation | None = None, style: Style = plain) -> str:
    """A box-drawing tree per kgi (``├── └── │``), then the metrics."""
    rows, _, metrics = layout(model)
    owners = _owners(model)
    out: list[str] = []
    title = _title(model, evaluation)
    if title:
        out += [style(_clean(title), bold=True), ""]
    for i, (name, depth, lead) in enumerate(rows):
        if depth == 0 and i > 0:
            out.append("")
        out.append(lead + _text_line(model, name, owners, evaluation, style))
    if metrics:
        if rows:
            out.append("")
        for n in metrics:
            out.append("metric " + _text_line(model, n, owners, evaluation, style))
    if not rows and not metrics:
        out.append("(no kgi, kpi, veto or metric)")
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# Mermaid

_MERMAID_NAMED = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
_MERMAID_NUMERIC = set("#|[]{}`;\\")


def mermaid_escape(text: str) -> str:
    """Text for the inside of a Mermaid ``"…"`` label (GitHub renders labels as HTML)."""
    out = []
    for i, c in enumerate(text):
        if c == "%" and i and text[i - 1] == "%":  # never a `%%` (a comment to older Mermaid)
            out.append("#37;")
        elif c in _MERMAID_NAMED:
            out.append(_MERMAID_NAMED[c])
        elif c in _MERMAID_NUMERIC:
            out.append(f"#{ord(c)};")
        elif c == "\n":
            out.append("<br/>")
        elif c in _BIDI or unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def _diagram_lines(model: Model, name: str, owners, ev: Evaluation | None) -> list[str]:
    """A node's label as lines of raw text (escaped by each format)."""
    ind = model.indicators[name]
    p = _parts(model, name, owners, ev)
    lines = [("⛔ veto " if ind.kind == "veto" else "") + name]
    if p["label"]:
        lines.append(p["label"])
    if p["target"]:
        lines.append(p["target"])
    if p["owner"]:
        lines.append("owner: " + p["owner"])
    if p["status"]:
        lines.append(" ".join(x for x in (p["score"], p["status"]) if x))
    return lines


def _ids(rows, metrics) -> dict[str, str]:
    names = [r[0] for r in rows] + list(metrics)
    return {n: f"n{i}" for i, n in enumerate(names)}


def _edge_label(model: Model, child: str) -> str | None:
    ind = model.indicators[child]
    return "veto" if ind.kind == "veto" else _weight(ind)


def to_mermaid(model: Model, evaluation: Evaluation | None = None) -> str:
    """A ``flowchart TD`` that GitHub renders."""
    rows, edges, metrics = layout(model)
    owners = _owners(model)
    ids = _ids(rows, metrics)
    inds = model.indicators

    def node(n: str) -> str:
        label = "<br/>".join(mermaid_escape(x) for x in _diagram_lines(model, n, owners, evaluation))
        return f'{ids[n]}["{label}"]'

    out = ["flowchart TD"]
    for name, _, _ in rows:
        out.append("    " + node(name))
    if metrics:
        out.append('    subgraph metrics["metrics"]')
        for n in metrics:
            out.append("        " + node(n))
        out.append("    end")
    for parent, child in edges:
        label = _edge_label(model, child)
        arrow = "-.->" if inds[child].kind == "veto" else "-->"
        out.append(f"    {ids[parent]} {arrow}{f'|{label}|' if label else ''} {ids[child]}")
    vetoes = [ids[n] for n, _, _ in rows if inds[n].kind == "veto"]
    if evaluation is not None:
        for status, (fill, stroke, colour) in STATUS_FILLS.items():
            out.append(f"    classDef {_class(status)} fill:{fill},stroke:{stroke},color:{colour}")
    if vetoes:
        out.append(f"    classDef veto stroke:{VETO_COLOUR},stroke-width:2px,stroke-dasharray:5 5")
        out.append(f"    class {','.join(vetoes)} veto")
    if evaluation is not None:
        by_status: dict[str, list[str]] = {s: [] for s in STATUS_FILLS}
        for n in ids:
            r = evaluation.results.get(n)
            if r is not None and r.status in by_status:
                by_status[r.status].append(ids[n])
        for status, members in by_status.items():
            if members:
                out.append(f"    class {','.join(members)} {_class(status)}")
    return "\n".join(out) + "\n"


def _class(status: str) -> str:
    return status.replace("-", "")


# ---------------------------------------------------------------------------------------------
# DOT


def dot_escape(text: str) -> str:
    """Text for the inside of a DOT ``"…"`` string: ``\\`` and ``"`` escaped, newlines as ``\\n``."""
    out = []
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c in _BIDI or unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def _attrs(pairs: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f'{k}="{dot_escape(v)}"' for k, v in pairs) + "]"


def to_dot(model: Model, evaluation: Evaluation | None = None) -> str:
    """A Graphviz ``digraph kpi``."""
    rows, edges, metrics = layout(model)
    owners = _owners(model)
    ids = _ids(rows, metrics)
    inds = model.indicators

    def node(n: str) -> str:
        lines = _diagram_lines(model, n, owners, evaluation)
        styles = ["rounded"]
        pairs = [("label", "\n".join(lines))]
        if inds[n].kind == "veto":
            styles.append("dashed")
            pairs += [("color", VETO_COLOUR)]
        r = evaluation.results.get(n) if evaluation is not None else None
        if r is not None and r.status in STATUS_FILLS:
            styles.append("filled")
            pairs += [("fillcolor", STATUS_FILLS[r.status][0])]
        if styles != ["rounded"]:
            pairs.insert(1, ("style", ",".join(styles)))
        return f"{ids[n]} {_attrs(pairs)};"

    out = ["digraph kpi {", "    rankdir=TB;"]
    title = _title(model, evaluation)
    if title:
        out.append(f'    label="{dot_escape(title)}";')
        out.append("    labelloc=t;")
    out.append('    node [shape=box, style="rounded", fontname="Helvetica"];')
    out.append('    edge [fontname="Helvetica"];')
    for name, _, _ in rows:
        out.append("    " + node(name))
    if metrics:
        out.append("    subgraph cluster_metrics {")
        out.append('        label="metrics";')
        out.append("        style=dashed;")
        for n in metrics:
            out.append("        " + node(n))
        out.append("    }")
    for parent, child in edges:
        label = _edge_label(model, child)
        pairs = [("label", label)] if label else []
        if inds[child].kind == "veto":
            pairs += [("style", "dashed"), ("color", VETO_COLOUR), ("fontcolor", VETO_COLOUR)]
        out.append(f"    {ids[parent]} -> {ids[child]}" + (f" {_attrs(pairs)}" if pairs else "") + ";")
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------


def render(model: Model, fmt: str, evaluation: Evaluation | None = None, style: Style = plain) -> str:
    """The tree of ``model`` in ``fmt`` (``text``, ``mermaid`` or ``dot``), optionally with the
    scores and statuses of ``evaluation``; ``style`` colours text output (``click.style`` or
    ``kpidsl.render.findings.plain``). The output ends with a newline."""
    if fmt == "text":
        return to_text(model, evaluation, style)
    if fmt == "mermaid":
        return to_mermaid(model, evaluation)
    if fmt == "dot":
        return to_dot(model, evaluation)
    raise ValueError(f"unknown tree format {fmt!r}; expected one of: {', '.join(FORMATS)}")


__all__ = ["render", "to_text", "to_mermaid", "to_dot", "mermaid_escape", "dot_escape", "FORMATS"]
