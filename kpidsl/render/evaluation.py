"""Evaluations for people and tools: ``table``, ``tree``, ``json`` and ``csv``."""

from __future__ import annotations

import math

from ..compiler.model import Model
from ..evaluation.drags import drags_of, points_text
from ..evaluation.results import Evaluation
from .findings import Each, Style, json_text, plain
from .text import STATUS_COLOURS, LineWriter, clean, fmt_pct, met_mark, pad, score_text, target_text, value_text, width
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
    valid JSON (a result that is not a finite number is ``null``). ``evals`` may be a generator: each
    scenario is made and written before the next is asked for. With ``write``, the text is given to
    it in pieces as it is made (``json_text``), and the result is empty."""
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

    def scenario(ev: Evaluation) -> dict:
        drags = ({**d.to_json(), "drag": _finite(d.points)} for group in drags_of(model, ev, parents).values()
                 for d in group)
        lead = {}
        if graded:  # the top KGIs' grades lead the scenario
            tops = [ev.results[n] for n in model.order if inds[n].parent is None and inds[n].kind == "kgi"]
            lead = {"grades": [{"name": r.name, "grade": r.grade, "coefficient": _finite(r.coefficient)} for r in tops]}
        return {"name": ev.name, "label": ev.label, **lead, "source": list(ev.source), "missing": list(ev.missing),
                "problems": list(ev.problems), "indicators": rows(ev), "drags": drags}

    graded = bool(model.grades)
    settings = model.settings
    # scenarios, their rows and drags are made as they are written (``json_text``)
    return json_text({"model": settings.label, "owner": settings.owner, "path": model.path,
                      "scenarios": Each(map(scenario, evals))}, write)


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
    ``evals`` may be a generator: each scenario is asked for and written before the next. With
    ``write``, the text is given to it in pieces as it is made, and the result is empty."""
    import numpy as np

    from ..data import results_csv_pieces
    from ..evaluation.plan import STATUSES

    codes = {s: i for i, s in enumerate(STATUSES)}
    grades = {g.name: float(i) for i, g in enumerate(model.grades)}

    num = lambda xs: np.array([np.nan if x is None else x for x in xs], dtype=np.float64)  # noqa: E731

    def group(evs: list[Evaluation]):
        def fields(name: str):
            rs = [ev.results[name] for ev in evs]
            out = (num([r.value for r in rs]), num([None if r.met is None else float(r.met) for r in rs]),
                   num([r.achievement for r in rs]), num([r.score for r in rs]),
                   np.array([codes[r.status] for r in rs], dtype=np.int8))
            if model.grades:  # the grade as its index, as the batch path gives it
                out += (num([None if r.grade is None else grades[r.grade] for r in rs]), num([r.coefficient for r in rs]))
            return out

        targets = None
        if any(ev.levels is not None for ev in evs):  # each scenario's target: the level it was scored against
            targets = lambda name: [target_text(model, name, ev.levels) for ev in evs]  # noqa: E731
        return [ev.name for ev in evs], fields, targets

    groups = (group([ev]) for ev in evals)  # a scenario's rows at a time
    if write is None:
        return "".join(results_csv_pieces(model, groups))
    for piece in results_csv_pieces(model, groups):
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
             parents: bool = False, write=None) -> str:
    """Indicators in tree order, indented, with scenarios side by side as columns: value, met, the own
    achievement where it differs from the score, score and status; then missing names and drags.
    Cells are made twice, to measure the columns and to write the rows, and never held: with
    ``write``, lines are given to it as they are made, and the result is empty."""
    inds = model.indicators
    names = list(model.order)
    depth = {n: d for n, d, _ in layout(model)[0]}
    leveled = any(ev.levels is not None for ev in evals)  # the targets differ by scenario: a column each
    graded = bool(model.grades)
    head = ["indicator", "label", "weight"] + ([] if leveled else ["target"])

    def fixed_cells(n: str) -> list[str]:
        ind = inds[n]
        d = depth.get(n, 0)
        mark = f" [{ind.kind}]" if ind.kind in ("veto", "adjustment") else ""
        name_cell = "  " * min(d, MAX_INDENT) + deep_mark(d) + n + mark
        if ind.kind in ("metric", "input"):
            name_cell = f"{n} [{ind.kind}]"
        w = ind.effective_weight
        return [clean(name_cell), clean(ind.label or ""), "" if w is None else f"{w * 100:.4g}%",
                *([] if leveled else [clean(_target_text(model, n))])]

    #: Every column a scenario may have, as (heading, right-aligned); ``own`` and ``coef`` are
    #: shown only where some row has one.
    columns = [("target", False)] if leveled else []
    columns += [("value", True), ("met", False), ("own", True), ("score", True), ("status", False)]
    if graded:
        columns += [("grade", False), ("coef", True)]

    def cells(ev: Evaluation, n: str) -> list[str]:
        """The cells of ``columns`` for ``n`` in one scenario."""
        r = ev.results[n]
        scored = bool(r.status) and inds[n].kind != "veto"
        out = [clean(target_text(model, n, ev.levels))] if leveled else []
        out += [clean(value_text(model, n, r.value)), met_mark(r), own_text(r) if scored else "",
                score_text(model, r) if scored else "", r.status or ""]
        if graded:
            out += [clean(r.grade or ""), "" if r.coefficient is None else f"×{r.coefficient:.6g}"]
        return out

    fixed = [width(h) for h in head]
    for n in names:
        fixed = [max(w, width(c)) for w, c in zip(fixed, fixed_cells(n))]
    blocks = []  # per scenario: its title, width, the columns it shows (index, heading, right) and their widths
    for ev in evals:
        widths = [width(h) for h, _ in columns]
        shown = [h not in ("own", "coef") for h, _ in columns]
        for n in names:
            for k, cell in enumerate(cells(ev, n)):
                if cell:
                    widths[k] = max(widths[k], width(cell))
                    shown[k] = True
        cols = [(k, h, right) for k, (h, right) in enumerate(columns) if shown[k]]
        ws = [widths[k] for k, _, _ in cols]
        total = sum(ws) + 2 * (len(cols) - 1)
        name = clean(ev.name)
        title = name if width(name) <= total else name[: max(1, total - 1)] + "…"
        blocks.append((ev, title, total, cols, ws))
    out = LineWriter(write)
    lead = [line for ev in evals for line in grade_lines(model, ev)]
    if lead:
        out.extend([*lead, ""])
    sep = " │ "
    line1 = "  ".join(pad("", w) for w in fixed)
    line2 = "  ".join(pad(h, w) for h, w in zip(head, fixed))
    for _, title, total, cols, ws in blocks:
        line1 += sep + style(pad(title, total), bold=True)
        line2 += sep + "  ".join(pad(h, w, right) for (_, h, right), w in zip(cols, ws))
    out.extend([line1.rstrip(), style(line2.rstrip(), bold=True)])
    for n in names:
        line = "  ".join(pad(c, w) for c, w in zip(fixed_cells(n), fixed))
        for ev, _, _, cols, ws in blocks:
            row = cells(ev, n)
            texts = []
            for (k, h, right), w in zip(cols, ws):
                cell = row[k]
                texts.append(_status(cell, style) + " " * (w - width(cell)) if h == "status" else pad(cell, w, right))
            line += sep + "  ".join(texts)
        out.append(line.rstrip())
    tail = [""] + source_lines(evals)
    for ev in evals:
        if ev.missing:
            tail.append(clean(f"{ev.name}: no data for " + ", ".join(ev.missing)))
        tail += [clean(f"{ev.name}: {problem}") for problem in ev.problems]
        tail += [clean(line) for line in drag_lines(model, ev, drags, parents)]
    out.end(tail)
    return out.text()


def to_tree(model: Model, evals: list[Evaluation], style: Style = plain, drags: int | None = 3,
            parents: bool = False, owners: bool = True, inputs: bool = True, write=None) -> str:
    """Each scenario as the tree of ``kpi tree --scenario`` (``kpidsl.render.tree.to_text``: values,
    targets, met marks, scores, statuses, owners and what each formula reads), then its missing names
    and drags; scenarios are separated by a blank line. ``evals`` may be a generator: each scenario
    is made and written before the next is asked for. With ``write``, the text is given to it in
    pieces as it is made, and the result is empty."""
    kept: list[str] = []
    write = kept.append if write is None else write
    for k, ev in enumerate(evals):
        notes = [f"{ev.name}: no data for " + ", ".join(ev.missing)] if ev.missing else []
        notes += drag_lines(model, ev, drags, parents)
        if k:
            write("\n")
        to_text(model, ev, style, owners=owners, inputs=inputs, notes=[clean(n) for n in notes], write=write)
    return "".join(kept)
