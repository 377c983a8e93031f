"""Evaluations for people and tools: ``table``, ``tree``, ``json`` (SPEC §7) and ``csv``."""

from __future__ import annotations

import csv
import io
import json
import math

from ..evaluation.evaluator import Evaluation
from ..compiler.model import Model
from .findings import Style, plain
from .text import STATUS_COLOURS, fmt_pct, fmt_value, pad, width


def _depth(model: Model, name: str) -> int:
    d, ind = 0, model.indicators[name]
    while ind.parent is not None:
        d += 1
        ind = model.indicators[ind.parent]
    return d


def _finite(x):
    """A number for JSON and CSV: ``None`` (unknown) for infinity and NaN, which neither can hold."""
    return x if x is None or math.isfinite(x) else None


def to_json(model: Model, evals: list[Evaluation]) -> str:
    """One object: ``{"model": path, "scenarios": [...]}`` in SPEC §7's shape; always valid JSON (a
    result that is not a finite number is ``null``)."""
    inds = model.indicators
    out = []
    for ev in evals:
        rows = []
        for name, r in ev.results.items():
            ind = inds[name]
            rows.append({
                "name": name, "kind": ind.kind, "label": ind.label, "parent": ind.parent,
                "weight": ind.effective_weight, "value": _finite(r.value), "unit": ind.unit,
                "target": ind.target.to_json() if ind.target else None,
                "baseline": ind.baseline, "stretch": ind.stretch,
                "met": r.met, "achievement": _finite(r.achievement), "score": _finite(r.score), "status": r.status,
            })
        out.append({"name": ev.name, "missing": list(ev.missing), "indicators": rows,
                    "drags": [{"name": n, "drag": _finite(d)} for n, d in ev.drags]})
    return json.dumps({"model": model.path, "scenarios": out}, ensure_ascii=False, indent=1, allow_nan=False)


def _csv_number(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) else repr(float(x))


def to_csv(model: Model, evals: list[Evaluation]) -> str:
    """One row per scenario: ``scenario``, then ``NAME.value``, ``NAME.score``, ``NAME.status``."""
    names = [n for n in model.order if model.indicators[n].kind != "input"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["scenario"] + [f"{n}.{c}" for n in names for c in ("value", "score", "status")])
    for ev in evals:
        row = [ev.name]
        for n in names:
            r = ev.results[n]
            row += [_csv_number(r.value), _csv_number(r.score), r.status or ""]
        w.writerow(row)
    return buf.getvalue()


def _status(status: str | None, style: Style) -> str:
    if not status:
        return ""
    return style(status, fg=STATUS_COLOURS.get(status))


def _target_text(model: Model, name: str) -> str:
    ind = model.indicators[name]
    return ind.target.text if ind.target else ""


def to_table(model: Model, evals: list[Evaluation], style: Style = plain) -> str:
    """Indicators in tree order, indented, with scenarios side by side as columns."""
    inds = model.indicators
    names = list(model.order)
    head = ["indicator", "label", "weight", "target"]
    rows = []
    for n in names:
        ind = inds[n]
        name_cell = "  " * _depth(model, n) + n + (" [veto]" if ind.kind == "veto" else "")
        if ind.kind in ("metric", "input"):
            name_cell = f"{n} [{ind.kind}]"
        w = ind.effective_weight
        rows.append([name_cell, ind.label or "", "" if w is None else f"{w * 100:.4g}%", _target_text(model, n)])
    fixed = [max(width(h), *(width(r[i]) for r in rows)) for i, h in enumerate(head)]
    sc_cols = []
    for ev in evals:
        vals = [fmt_value(ev.results[n].value, inds[n].unit) for n in names]
        scores = [fmt_pct(ev.results[n].score) if ev.results[n].status and inds[n].kind != "veto" else ""
                  for n in names]
        stats = [ev.results[n].status or "" for n in names]
        wv = max(width("value"), *(width(v) for v in vals))
        ws = max(width("score"), *(width(s) for s in scores))
        wt = max(width("status"), *(width(s) for s in stats))
        total = wv + ws + wt + 4
        title = ev.name if width(ev.name) <= total else ev.name[: max(1, total - 1)] + "…"
        sc_cols.append((ev, vals, scores, stats, wv, ws, wt, total, title))
    sep = " │ "
    line1 = "  ".join(pad("", w) for w in fixed)
    line2 = "  ".join(pad(h, w) for h, w in zip(head, fixed))
    for ev, vals, scores, stats, wv, ws, wt, total, title in sc_cols:
        line1 += sep + style(pad(title, total), bold=True)
        line2 += sep + pad("value", wv, True) + "  " + pad("score", ws, True) + "  " + pad("status", wt)
    out = [line1.rstrip(), style(line2.rstrip(), bold=True)]
    for i, r in enumerate(rows):
        line = "  ".join(pad(c, w) for c, w in zip(r, fixed))
        for ev, vals, scores, stats, wv, ws, wt, total, title in sc_cols:
            line += (sep + pad(vals[i], wv, True) + "  " + pad(scores[i], ws, True) + "  "
                     + _status(stats[i], style) + " " * (wt - width(stats[i])))
        out.append(line.rstrip())
    out.append("")
    for ev in evals:
        if ev.missing:
            out.append(f"{ev.name}: no data for " + ", ".join(ev.missing))
        if ev.drags:
            top = ", ".join(f"{n} {d * 100:.1f} pts" for n, d in ev.drags[:3])
            out.append(f"{ev.name}: largest drags: {top}")
    return "\n".join(out).rstrip() + "\n"


def to_tree(model: Model, evals: list[Evaluation], style: Style = plain) -> str:
    """Each scenario as a box-drawing tree with value, score and status per node."""
    inds = model.indicators
    out = []
    for ev in evals:
        out.append(style(ev.name + (f" \"{ev.label}\"" if ev.label else ""), bold=True))

        def line(n: str) -> str:
            ind, r = inds[n], ev.results[n]
            bits = [style(n, bold=True)]
            if ind.label:
                bits.append(ind.label)
            if ind.kind == "veto":
                bits.append("[veto]")
            elif ind.effective_weight is not None and ind.kind == "kpi":
                bits.append(f"({ind.effective_weight * 100:.4g}%)")
            bits.append(fmt_value(r.value, ind.unit))
            if ind.target:
                bits.append(f"target {ind.target.text}")
            if r.status and ind.kind != "veto":
                bits.append(fmt_pct(r.score))
            if r.status:
                bits.append(_status(r.status, style))
            return "  ".join(bits)

        def walk(n: str, prefix: str, last: bool, top: bool) -> None:
            out.append((line(n) if top else prefix + ("└── " if last else "├── ") + line(n)))
            ind = inds[n]
            kids = sorted((*ind.children, *ind.vetoes), key=lambda c: inds[c].index)
            child_prefix = "" if top else prefix + ("    " if last else "│   ")
            for i, c in enumerate(kids):
                walk(c, child_prefix, i == len(kids) - 1, False)

        for k in model.kgis:
            walk(k.name, "", True, True)
        metrics = [n for n in model.order if inds[n].kind == "metric"]
        for n in metrics:
            out.append("metric " + line(n))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
