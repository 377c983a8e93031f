"""Evaluations for people and tools: ``table``, ``tree``, ``json`` and ``csv``."""

from __future__ import annotations

import math

from ..compiler.model import Model
from ..evaluation.drags import drags_of, points_text
from ..evaluation.results import Evaluation
from .findings import Style, json_text, plain
from .text import STATUS_COLOURS, clean, fmt_pct, met_mark, pad, score_text, target_text, value_text, width
from .tree import MAX_INDENT, deep_mark, effective_owners, grade_text, layout, to_text


def own_text(r) -> str:
    """The own achievement where it differs from the score (scored from drivers, or vetoed)."""
    if r.achievement is None or r.score is None or abs(r.achievement - r.score) <= 1e-12:
        return ""
    return fmt_pct(r.achievement)


def source_lines(evals: list[Evaluation]) -> list[str]:
    """``scenarios from FILE: a, b`` lines, when any scenario's values came from outside the model."""
    groups: dict[str, list[str]] = {}
    for ev in evals:
        groups.setdefault(" + ".join(ev.source) or "the model", []).append(ev.name)
    if set(groups) <= {"the model"}:
        return []
    return [clean(f"scenarios from {where}: {', '.join(names)}") for where, names in groups.items()]


def drag_lines(model: Model, ev: Evaluation, limit: int | None = 3, parents: bool = False) -> list[str]:
    """``NAME: largest drags: …`` lines, one per KGI with drags (named when the model has several)."""
    groups = drags_of(model, ev, parents)
    several = len([n for n in model.order if model.indicators[n].parent is None
                   and model.indicators[n].kind in ("kgi", "kpi") and model.indicators[n].children]) > 1
    out = []
    for kgi, drags in groups.items():
        parts = []
        for d in drags[:limit]:
            if d.vetoed_by:  # the first and whole reason for what it gates
                parts.append(f"{d.name} vetoed by {', '.join(d.vetoed_by)}"
                             + (" (scores 0 whatever its KPIs do)" if d.name == kgi else
                                f" {points_text(d.points)} pts"))
            else:
                via = f" (via {' › '.join(d.path[1:-1])})" if len(d.path) > 2 else ""
                parts.append(f"{d.name} {points_text(d.points)} pts{via}")
        more = f", … {len(drags) - limit} more" if limit is not None and len(drags) > limit else ""
        head = f"{ev.name}: largest drags" + (f" on {kgi}" if several else "")
        out.append(f"{head}: {', '.join(parts)}{more}")
    return out


def grade_lines(model: Model, ev: Evaluation) -> list[str]:
    """``q3: annual_sales grade B ×1.2``: each top KGI's grade, which leads the output (none without grades)."""
    out = []
    for name in model.order:
        ind, r = model.indicators[name], ev.results[name]
        if ind.parent is None and ind.kind == "kgi" and r.grade is not None:
            out.append(clean(f"{ev.name}: {name} {grade_text(r)}"))
    return out


def _finite(x):
    """A number for JSON: ``None`` (unknown) for infinity and NaN, which JSON cannot hold."""
    return x if x is None or math.isfinite(x) else None


def to_json(model: Model, evals: list[Evaluation], parents: bool = False, write=None) -> str:
    """One object: the model's label, owner and path, and per scenario every indicator (label, owner,
    unit, bounds, value, met, achievement, score, status) and the drags (see ``drags_of``); always
    valid JSON (a result that is not a finite number is ``null``). With ``write``, the text is given
    to it in pieces as it is made (``json_text``), and the result is empty."""
    inds = model.indicators
    owner_of = {n: owner for n, (owner, _) in effective_owners(model).items()}

    def row(name: str, r, levels) -> dict:
        ind = inds[name]
        return {
            "name": name, "kind": ind.kind, "label": ind.label, "owner": owner_of[name],
            "parent": ind.parent, "weight": ind.effective_weight, "value": _finite(r.value), "unit": ind.unit,
            "target": _target_json(ind.target, None if levels is None else levels.get(name)) if ind.target else None,
            "baseline": ind.baseline, "stretch": ind.stretch,
            "met": r.met, "achievement": _finite(r.achievement), "score": _finite(r.score), "status": r.status,
            **({"grade": r.grade, "coefficient": _finite(r.coefficient)} if graded else {}),
            **({"adjustment": _finite(r.adjustment)} if ind.adjustments else {}),
        }

    def rows(ev: Evaluation):
        return (row(name, r, ev.levels) for name, r in ev.results.items())

    graded = bool(model.grades)
    out = []
    for ev in evals:  # rows and drags are made as they are written (``json_text``)
        drags = ({**d.to_json(), "drag": _finite(d.points)} for group in drags_of(model, ev, parents).values()
                 for d in group)
        lead = {}
        if graded:  # the top KGIs' grades lead the scenario
            tops = [ev.results[n] for n in model.order if inds[n].parent is None and inds[n].kind == "kgi"]
            lead = {"grades": [{"name": r.name, "grade": r.grade, "coefficient": _finite(r.coefficient)} for r in tops]}
        out.append({"name": ev.name, "label": ev.label, **lead, "source": list(ev.source), "missing": list(ev.missing),
                    "problems": list(ev.problems), "indicators": rows(ev),
                    "drags": drags})
    settings = model.settings
    return json_text({"model": settings.label, "owner": settings.owner, "path": model.path, "scenarios": out},
                     write)


def _target_json(target, level) -> dict:
    """``Target.to_json``, with the bounds the score was computed against where ``level`` (an entry
    of ``Evaluation.levels``) holds them, and then the target as written in ``text``."""
    out = target.to_json()
    if level is not None and not (type(level) is tuple and None in level):
        out.update({"low": level[0], "high": level[1]} if type(level) is tuple else {"value": level})
        out["text"] = target.text
    return out


def to_csv(model: Model, evals: list[Evaluation], write=None) -> str:
    """One row per scenario and declaration (``kpidsl.data.RESULT_COLUMNS``), as the batch path writes.
    With ``write``, the text is given to it in pieces as it is made, and the result is empty."""
    import numpy as np

    from ..data import iter_results_csv
    from ..evaluation.plan import STATUSES

    codes = {s: i for i, s in enumerate(STATUSES)}
    grades = {g.name: float(i) for i, g in enumerate(model.grades)}

    def fields(name: str):
        rs = [ev.results[name] for ev in evals]
        num = lambda xs: np.array([np.nan if x is None else x for x in xs], dtype=np.float64)  # noqa: E731
        out = (num([r.value for r in rs]), num([None if r.met is None else float(r.met) for r in rs]),
               num([r.achievement for r in rs]), num([r.score for r in rs]),
               np.array([codes[r.status] for r in rs], dtype=np.int8))
        if model.grades:  # the grade as its index, as the batch path gives it
            out += (num([None if r.grade is None else grades[r.grade] for r in rs]), num([r.coefficient for r in rs]))
        return out

    targets = None
    if any(ev.levels is not None for ev in evals):  # each scenario's target: the level it was scored against
        targets = lambda name: [target_text(model, name, ev.levels) for ev in evals]  # noqa: E731
    if write is None:
        return "".join(iter_results_csv(model, [ev.name for ev in evals], fields, targets=targets))
    for piece in iter_results_csv(model, [ev.name for ev in evals], fields, targets=targets):
        write(piece)
    return ""


def _status(status: str | None, style: Style) -> str:
    if not status:
        return ""
    return style(status, fg=STATUS_COLOURS.get(status))


def _target_text(model: Model, name: str) -> str:
    ind = model.indicators[name]
    return ind.target.text if ind.target else ""


def to_table(model: Model, evals: list[Evaluation], style: Style = plain, drags: int | None = 3,
             parents: bool = False) -> str:
    """Indicators in tree order, indented, with scenarios side by side as columns: value, met, the own
    achievement where it differs from the score, score and status; then missing names and drags."""
    inds = model.indicators
    names = list(model.order)
    depth = {n: d for n, d, _ in layout(model)[0]}
    leveled = any(ev.levels is not None for ev in evals)  # the targets differ by scenario: a column each
    head = ["indicator", "label", "weight"] + ([] if leveled else ["target"])
    rows = []
    for n in names:
        ind = inds[n]
        d = depth.get(n, 0)
        mark = f" [{ind.kind}]" if ind.kind in ("veto", "adjustment") else ""
        name_cell = "  " * min(d, MAX_INDENT) + deep_mark(d) + n + mark
        if ind.kind in ("metric", "input"):
            name_cell = f"{n} [{ind.kind}]"
        w = ind.effective_weight
        rows.append([clean(name_cell), clean(ind.label or ""), "" if w is None else f"{w * 100:.4g}%",
                     *([] if leveled else [clean(_target_text(model, n))])])
    fixed = [max(width(h), *(width(r[i]) for r in rows)) for i, h in enumerate(head)]
    blocks = []  # per scenario: its title and columns (heading, cells, right-aligned)
    for ev in evals:
        res = [ev.results[n] for n in names]
        scored = [bool(r.status) and inds[n].kind != "veto" for n, r in zip(names, res)]
        cols = [("target", [clean(target_text(model, n, ev.levels)) for n in names], False)] if leveled else []
        cols += [("value", [clean(value_text(model, n, r.value)) for n, r in zip(names, res)], True),
                 ("met", [met_mark(r) for r in res], False)]
        own = [own_text(r) if s else "" for r, s in zip(res, scored)]
        if any(own):
            cols.append(("own", own, True))
        cols.append(("score", [score_text(model, r) if s else "" for r, s in zip(res, scored)], True))
        cols.append(("status", [r.status or "" for r in res], False))
        if model.grades:
            cols.append(("grade", [clean(r.grade or "") for r in res], False))
            if any(r.coefficient is not None for r in res):
                coef = [f"×{r.coefficient:.6g}" if r.coefficient is not None else "" for r in res]
                cols.append(("coef", coef, True))
        widths = [max(width(h), *(width(c) for c in cells)) for h, cells, _ in cols]
        total = sum(widths) + 2 * (len(cols) - 1)
        name = clean(ev.name)
        title = name if width(name) <= total else name[: max(1, total - 1)] + "…"
        blocks.append((title, total, cols, widths))
    sep = " │ "
    line1 = "  ".join(pad("", w) for w in fixed)
    line2 = "  ".join(pad(h, w) for h, w in zip(head, fixed))
    for title, total, cols, widths in blocks:
        line1 += sep + style(pad(title, total), bold=True)
        line2 += sep + "  ".join(pad(h, w, right) for (h, _, right), w in zip(cols, widths))
    lead = [line for ev in evals for line in grade_lines(model, ev)]
    out = [*lead, ""] if lead else []
    out += [line1.rstrip(), style(line2.rstrip(), bold=True)]
    for i, r in enumerate(rows):
        line = "  ".join(pad(c, w) for c, w in zip(r, fixed))
        for title, total, cols, widths in blocks:
            cells = []
            for (h, col, right), w in zip(cols, widths):
                cell = col[i]
                text = pad(cell, w, right)
                if h == "status":
                    text = _status(cell, style) + " " * (w - width(cell))
                cells.append(text)
            line += sep + "  ".join(cells)
        out.append(line.rstrip())
    out.append("")
    out += source_lines(evals)
    for ev in evals:
        if ev.missing:
            out.append(clean(f"{ev.name}: no data for " + ", ".join(ev.missing)))
        out += [clean(f"{ev.name}: {problem}") for problem in ev.problems]
        out += [clean(line) for line in drag_lines(model, ev, drags, parents)]
    return "\n".join(out).rstrip() + "\n"


def to_tree(model: Model, evals: list[Evaluation], style: Style = plain, drags: int | None = 3,
            parents: bool = False, owners: bool = True, inputs: bool = True) -> str:
    """Each scenario as the tree of ``kpi tree --scenario`` (``kpidsl.render.tree.to_text``: values,
    targets, met marks, scores, statuses, owners and what each formula reads), then its missing names
    and drags; scenarios are separated by a blank line."""
    blocks = []
    for ev in evals:
        notes = [f"{ev.name}: no data for " + ", ".join(ev.missing)] if ev.missing else []
        notes += drag_lines(model, ev, drags, parents)
        blocks.append(to_text(model, ev, style, owners=owners, inputs=inputs, notes=[clean(n) for n in notes]))
    return "\n".join(blocks)
