"""The KPI tree, the one view of it: ``kpi tree MODEL [--scenario NAME]`` and ``kpi eval --format tree``.

``render(model, fmt, evaluation=None, style=plain, owners=True, inputs=True)`` returns the whole
output (``text``, ``mermaid`` or ``dot``), ending with a newline; ``to_text`` is the text view, which
``kpidsl.render.evaluation.to_tree`` prints once per scenario with its drags as ``notes``.

What each node shows, in this order: its name; its label, when it differs from the name; for a
``kpi`` its effective weight as a percentage in brackets (``(40%)``; implicit equal weights filled in),
for a ``veto`` the mark ``[veto]``; with an evaluation its value in the form its target is written
(``value_text``); its target's spelling (``target >= 833万``); with an evaluation the met mark (✓ ✗),
the score (``score_text``: never in another band than the status; not for a veto, which only passes
or fails, nor when there is none) and the status; its effective owner (unless ``owners=False``).
Beneath a node, the inputs and metrics its ``value`` formula reads, in declaration order, with their
values when evaluated: ``reads: orders = 1,150 orders, avg_order_value = 6,900 JPY`` (unless
``inputs=False``). Kpis a formula reads are not listed: they are nodes of the tree themselves.

Choices:

- **Owner.** The *effective* owner is shown: the indicator's own ``owner``, else the nearest parent's,
  else the model's (``model { owner: … }``). One that is not the indicator's own is marked
  ``(inherited)``, the same inheritance that W102 uses. A node with no owner anywhere shows none.
- **Order.** Trees come in ``model.kgis`` order; a node's children (``kpi`` and ``veto``) in declaration
  order. Metrics follow the trees: they are outside them, never weighted. In text they are lines
  ``metric NAME …``; in Mermaid and DOT a ``metrics`` subgraph (cluster) without edges. ``kpi`` and
  ``veto`` declarations that do not reach a kgi (E205, or a cycle of parents, E206) are still drawn,
  as extra roots after the trees, so a model with errors draws without looping or losing a node;
  each kgi, kpi and veto appears exactly once.
- **Depth.** Text draws ``MAX_INDENT`` (32) levels by indentation; a node deeper than that is drawn
  at the indentation of that depth, after ``… [depth N]``, so a chain N deep writes N short lines
  (not N² characters of indentation). ``kpi eval``'s table and tree do the same.
- **Text** starts with a title (the model's label, and ``scenario NAME "label"`` when evaluated) and a
  blank line; a tree per kgi follows, drawn with ``├── └── │``; the ``reads:`` line stands where the
  node's children's names start. User text (names, labels, units, targets, owners, scenario names)
  goes through ``kpidsl.render.text.clean``, so a label cannot break a tree line or drive the terminal.
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
- A diagram node's label has the facts of a text line, one kind per line: name (``⛔ veto`` before a
  veto's); label; value, met mark and target (``7,935,000 ✗ >= 833万``); score and status; owner;
  ``reads:`` with the names only. The weight stands on the edge.
"""

from __future__ import annotations

from typing import Iterable

from ..evaluation.results import Evaluation
from ..compiler.model import Indicator, Model
from .findings import Style, plain
from .text import STATUS_COLOURS, LineWriter, clean, met_mark, score_text, target_text, unsafe, value_text

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
        return sorted((c for c in (*ind.children, *ind.vetoes, *ind.adjustments) if c in inds),
                      key=lambda c: inds[c].span)

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
    tree_kinds = ("kgi", "kpi", "veto", "adjustment")
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
    metrics.sort(key=lambda n: (order.get(n, len(order)), inds[n].span))
    return rows, edges, metrics


def effective_owners(model: Model) -> dict[str, tuple[str | None, bool]]:
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


def _reads(model: Model, name: str, ev: Evaluation | None) -> str | None:
    """``reads: a, b`` (``a = 1,150 orders`` when evaluated): the inputs and metrics ``name``'s
    formula reads, in declaration order."""
    inds = model.indicators
    read = sorted((n for n in model.uses.get(name, ()) if n in inds and inds[n].kind in ("input", "metric")),
                  key=lambda n: inds[n].span)
    if not read:
        return None
    if ev is not None:
        read = [f"{n} = {value_text(model, n, ev.results[n].value)}" if n in ev.results else n for n in read]
    return "reads: " + ", ".join(read)


def _parts(model: Model, name: str, owners, ev: Evaluation | None,
           show_owners: bool) -> dict[str, str | None]:
    """The raw (unescaped) pieces of a node's description; None where a piece is not shown."""
    ind = model.indicators[name]
    r = ev.results.get(name) if ev is not None else None
    owner, inherited = owners.get(name, (None, False)) if show_owners else (None, False)
    scored = r is not None and r.status and ind.kind != "veto" and r.score is not None
    return {
        "name": name,
        "label": ind.label if ind.label and ind.label != name else None,
        "weight": _weight(ind),
        "value": value_text(model, name, r.value) if r is not None else None,
        "target": target_text(model, name, ev.levels if ev is not None else None) or None,
        "met": (met_mark(r) or None) if r is not None else None,
        "score": score_text(model, r) if scored else None,
        "status": r.status if r is not None and r.status else None,
        "owner": (owner + (" (inherited)" if inherited else "")) if owner else None,
        "grade": grade_text(r) if r is not None else None,
        "adjustment": (f"adjusted {r.adjustment * 100:+.1f} pts" if r is not None and r.adjustment is not None
                       else None),
    }


def grade_text(r) -> str | None:
    """``grade B`` (``grade B ×1.2`` with a coefficient), or None for a result without a grade."""
    if r.grade is None:
        return None
    return f"grade {r.grade}" + ("" if r.coefficient is None else f" ×{r.coefficient:.6g}")


# ---------------------------------------------------------------------------------------------
# Text


def _text_line(model: Model, p: dict[str, str | None], style: Style) -> str:
    ind = model.indicators[p["name"]]
    bits = [style(clean(p["name"]), bold=True)]
    if p["label"]:
        bits.append(clean(p["label"]))
    if ind.kind == "veto" or ind.kind == "adjustment":
        bits.append(f"[{ind.kind}]")
    elif p["weight"]:
        bits.append(f"({p['weight']})")
    if p["value"]:
        bits.append(clean(p["value"]))
    if p["target"]:
        bits.append("target " + clean(p["target"]))
    bits += [p[k] for k in ("met", "score") if p[k]]
    if p["status"]:
        bits.append(style(p["status"], fg=STATUS_COLOURS.get(p["status"])))
    if p["grade"]:
        bits.append(clean(p["grade"]))
    if p["adjustment"]:
        bits.append(p["adjustment"])
    if p["owner"]:
        bits.append("owner: " + clean(p["owner"]))
    return "  ".join(bits)


def _title(model: Model, ev: Evaluation | None) -> str | None:
    bits = []
    if model.settings.label:
        bits.append(model.settings.label)
    if ev is not None:
        bits.append(f"scenario {ev.name}" + (f" \"{ev.label}\"" if ev.label else ""))
    return " — ".join(bits) or None


def to_text(model: Model, evaluation: Evaluation | None = None, style: Style = plain, *, owners: bool = True,
            inputs: bool = True, notes: Iterable[str] = (), write=None) -> str:
    """The title, a box-drawing tree per kgi (``├── └── │``), the metrics, then ``notes`` (lines
    printed as they are given, after a blank line: ``kpi eval`` gives the drags). With ``write``,
    lines are given to it as they are made, and the result is empty."""
    rows, _, metrics = layout(model)
    owner_of = effective_owners(model)
    out = LineWriter(write)
    title = _title(model, evaluation)
    if title:
        out.extend([style(clean(title), bold=True), ""])

    def node(name: str, lead: str, reads_lead: str) -> None:
        out.append(lead + _text_line(model, _parts(model, name, owner_of, evaluation, owners), style))
        reads = _reads(model, name, evaluation) if inputs else None
        if reads:
            out.append(reads_lead + clean(reads))

    for i, (name, depth, lead) in enumerate(rows):
        if depth == 0 and i > 0:
            out.append("")
        # the lead of this node's children: the lead of its line with its own branch continued
        below = lead[:-4] + ("│   " if lead.endswith("├── ") else "    ") if lead else ""
        has_children = i + 1 < len(rows) and rows[i + 1][1] > depth
        node(name, lead, below + ("│   " if has_children else "    "))
    if metrics:
        if rows:
            out.append("")
        for n in metrics:
            node(n, "metric ", "    ")
    if not rows and not metrics:
        out.append("(no kgi, kpi, veto or metric)")
    notes = list(notes)
    out.end([""] + notes if notes else [])
    return out.text()


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
        elif unsafe(c):
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def _diagram_lines(model: Model, name: str, owners, ev: Evaluation | None, show_owners: bool = True,
                   inputs: bool = True) -> list[str]:
    """A node's label as lines of raw text (escaped by each format): the value, its met mark and the
    target on one line (``7,935,000 ✗ >= 833万``), and what the formula reads by name only."""
    p = _parts(model, name, owners, ev, show_owners)
    lines = [("⛔ veto " if model.indicators[name].kind == "veto" else "") + name]
    measure = " ".join(x for x in (p["value"], p["met"], p["target"]) if x)
    lines += [x for x in (p["label"], measure) if x]
    if p["status"]:
        lines.append(" ".join(x for x in (p["score"], p["status"], p["grade"]) if x))
    if p["owner"]:
        lines.append("owner: " + p["owner"])
    reads = _reads(model, name, None) if inputs else None
    if reads:
        lines.append(reads)
    return lines


def _ids(rows, metrics) -> dict[str, str]:
    names = [r[0] for r in rows] + list(metrics)
    return {n: f"n{i}" for i, n in enumerate(names)}


def _edge_label(model: Model, child: str) -> str | None:
    ind = model.indicators[child]
    return ind.kind if ind.kind in ("veto", "adjustment") else _weight(ind)


def to_mermaid(model: Model, evaluation: Evaluation | None = None, *, owners: bool = True,
               inputs: bool = True) -> str:
    """A ``flowchart TD`` that GitHub renders."""
    rows, edges, metrics = layout(model)
    owner_of = effective_owners(model)
    ids = _ids(rows, metrics)
    inds = model.indicators

    def node(n: str) -> str:
        lines = _diagram_lines(model, n, owner_of, evaluation, owners, inputs)
        label = "<br/>".join(mermaid_escape(x) for x in lines)
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
        elif unsafe(c):
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def _attrs(pairs: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f'{k}="{dot_escape(v)}"' for k, v in pairs) + "]"


def to_dot(model: Model, evaluation: Evaluation | None = None, *, owners: bool = True,
           inputs: bool = True) -> str:
    """A Graphviz ``digraph kpi``."""
    rows, edges, metrics = layout(model)
    owner_of = effective_owners(model)
    ids = _ids(rows, metrics)
    inds = model.indicators

    def node(n: str) -> str:
        lines = _diagram_lines(model, n, owner_of, evaluation, owners, inputs)
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


def render(model: Model, fmt: str, evaluation: Evaluation | None = None, style: Style = plain, *,
           owners: bool = True, inputs: bool = True) -> str:
    """The tree of ``model`` in ``fmt`` (``text``, ``mermaid`` or ``dot``), optionally with the values,
    scores and statuses of ``evaluation``; ``owners`` and ``inputs`` show each node's owner and what
    its formula reads; ``style`` colours text output (``click.style`` or
    ``kpidsl.render.findings.plain``). The output ends with a newline."""
    if fmt == "text":
        return to_text(model, evaluation, style, owners=owners, inputs=inputs)
    if fmt == "mermaid":
        return to_mermaid(model, evaluation, owners=owners, inputs=inputs)
    if fmt == "dot":
        return to_dot(model, evaluation, owners=owners, inputs=inputs)
    raise ValueError(f"unknown tree format {fmt!r}; expected one of: {', '.join(FORMATS)}")


__all__ = ["render", "to_text", "to_mermaid", "to_dot", "mermaid_escape", "dot_escape", "FORMATS"]
