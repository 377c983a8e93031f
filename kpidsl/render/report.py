"""``kpi report``: one self-contained HTML page of evaluations, for a review meeting.

``to_html(model, items, made_at)`` returns the page: per scenario (or entity) the KGI → KPI tree
(label, owner, value against its bounds, score, status as a colour and a word with an icon, grade,
weight; fired vetoes and adjustments), the drags largest first linked to their nodes, and for a
scenario with periods a sparkline per indicator with its target line, the figure to date and the run
rate; a sortable ranking when there are several entities; a footer with the model's label, the data's
source files and the time the page was made.

The page makes no request of any kind: its CSS and its one small script are inline, its charts are
inline SVG whose every attribute is a number computed here (never user text), and its
Content-Security-Policy forbids anything else (the script is allowed by its hash, so no inline
event handler can run). Every user text (names, labels, owners, units, scenario and entity names,
file names) goes through Jinja2's autoescaping, after ``clean`` (control and bidirectional
characters shown as escapes, as in the terminal). Jinja2 is imported only here, by ``kpi report``.
Every node of the tree carries ``data-name``, ``data-status`` and ``data-score`` (the score as a
number), the same facts ``kpi eval --format json`` gives.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import math
from pathlib import Path
from typing import Sequence, Union

from ..compiler.model import Model
from ..compiler.periods import additive
from ..evaluation.drags import drags_of, points_text
from ..evaluation.periods import SeriesEvaluation
from ..evaluation.results import Evaluation
from .periods import at_period
from .text import clean, fmt_pct, score_text, value_text
from .tree import effective_owners, grade_text, layout

TEMPLATES = Path(__file__).parent / "templates"
#: A word's icon, so that a status reads without its colour (greyscale, colour-blind readers).
ICONS = {"green": "✔", "pass": "✔", "amber": "▲", "red": "✖", "fail": "✖", "vetoed": "⛔", "no-data": "?",
         "overdue": "⏰"}
#: Sparkline size (SVG user units).
SPARK_W, SPARK_H = 120, 28

Item = Union[Evaluation, SeriesEvaluation]


def _num(x: float) -> str:
    return f"{x:.1f}"


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


def sparkline(values: Sequence[float | None], levels: Sequence[object]) -> dict | None:
    """The SVG geometry of a series (numbers only): ``line`` (the values' polyline points), ``target``
    (the target level's points; a band gives ``low`` and ``high``), ``dots`` (x, y of each known
    value); None when fewer than one value is known."""
    lows = [lv[0] if type(lv) is tuple else lv for lv in levels]
    highs = [lv[1] if type(lv) is tuple else None for lv in levels]
    known = [x for x in (*values, *lows, *highs) if _finite(x)]
    if not any(_finite(v) for v in values):
        return None
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    n = len(values)
    xs = [SPARK_W / 2] if n == 1 else [2 + i * (SPARK_W - 4) / (n - 1) for i in range(n)]
    y = lambda v: SPARK_H - 3 - (v - lo) / span * (SPARK_H - 6)  # noqa: E731

    def points(vs):
        return " ".join(f"{_num(x)},{_num(y(v))}" for x, v in zip(xs, vs) if _finite(v))

    dots = [(_num(x), _num(y(v))) for x, v in zip(xs, values) if _finite(v)]
    return {"line": points(values), "dots": dots, "target": points(lows), "high": points(highs),
            "w": SPARK_W, "h": SPARK_H}


def _bounds(model: Model, name: str) -> list[tuple[str, str]]:
    """``(word, text)`` of an indicator's baseline, target and stretch, as written or as a value."""
    ind = model.indicators[name]
    out = []
    if ind.baseline is not None:
        out.append(("baseline", value_text(model, name, ind.baseline)))
    if ind.target is not None:
        out.append(("target", ind.target.text))
    if ind.stretch is not None:
        out.append(("stretch", value_text(model, name, ind.stretch)))
    return out


def _node(model: Model, name: str, r, owners, ev: Evaluation) -> dict:
    ind = model.indicators[name]
    owner, inherited = owners.get(name, (None, False))
    scored = bool(r.status) and ind.kind != "veto" and r.score is not None
    return {
        "name": name, "kind": ind.kind, "label": ind.label if ind.label and ind.label != name else None,
        "owner": owner, "inherited": inherited,
        "weight": (f"{ind.effective_weight * 100:.4g}%" if ind.kind == "kpi" and ind.effective_weight is not None
                   else None),
        "value": value_text(model, name, r.value), "unit": ind.unit, "bounds": _bounds(model, name),
        "met": r.met, "score": score_text(model, r) if scored else None,
        "score_data": repr(r.score) if _finite(r.score) else "",
        "meter": min(max(r.score, 0.0), 1.5) if scored and _finite(r.score) else None,
        "own": fmt_pct(r.achievement) if scored and _finite(r.achievement) and abs(r.achievement - r.score) > 1e-12
        else None,
        "status": r.status or "", "icon": ICONS.get(r.status or "", ""),
        "grade": grade_text(r), "adjustment": (f"{r.adjustment * 100:+.1f} pts" if _finite(r.adjustment) else None),
        "vetoed_by": [v for v in ind.vetoes if ev.results[v].met is False] if r.status == "vetoed" else [],
        "fired": ind.kind == "veto" and r.met is False,
    }


def _tree(model: Model, ev: Evaluation, vid: str, owners, extra=None):
    """The tree as a flat list of nodes in layout order (each with ``before``: how many open subtrees
    close before it, and ``open``: whether it opens one), how many are open at the end, the metrics'
    nodes, and each name's anchor. Flat, so that a tree of any depth renders without recursion."""
    rows, _, metrics = layout(model)
    anchors = {name: f"{vid}-n{i}" for i, name in enumerate([r[0] for r in rows] + metrics)}

    def node(name: str, **more) -> dict:
        out = _node(model, name, ev.results[name], owners, ev)
        out.update(more, id=anchors[name])
        if extra:
            out.update(extra(name))
        return out

    nodes, stack = [], []
    for i, (name, depth, _) in enumerate(rows):
        before = 0
        while stack and stack[-1] >= depth:
            stack.pop()
            before += 1
        has_kids = i + 1 < len(rows) and rows[i + 1][1] > depth
        nodes.append(node(name, before=before, open=has_kids))
        if has_kids:
            stack.append(depth)
    return nodes, len(stack), [node(name) for name in metrics], anchors


def _drags(model: Model, ev: Evaluation, anchors: dict[str, str]) -> list[dict]:
    out = []
    for kgi, drags in drags_of(model, ev).items():
        out.append({"kgi": kgi, "anchor": anchors.get(kgi), "list": [
            {"name": d.name, "anchor": anchors.get(d.name), "points": points_text(d.points),
             "via": list(d.path[1:-1]), "vetoed_by": list(d.vetoed_by)} for d in drags]})
    return out


def _notes(ev: Evaluation) -> list[str]:
    return ((["no data for " + ", ".join(ev.missing)] if ev.missing else []) + list(ev.problems))


def _grades(model: Model, ev: Evaluation) -> list[dict]:
    inds = model.indicators
    return [{"name": n, "grade": grade_text(ev.results[n])} for n in model.order
            if inds[n].parent is None and inds[n].kind == "kgi" and ev.results[n].grade is not None]


def _scenario_view(model: Model, ev: Evaluation, vid: str, owners) -> dict:
    nodes, closes, metrics, anchors = _tree(model, ev, vid, owners)
    return {"id": vid, "key": ev.name, "title": ev.name, "entity": None, "label": ev.label, "subtitle": None, "nodes": nodes,
            "closes": closes, "metrics": metrics, "drags": _drags(model, ev, anchors), "notes": _notes(ev),
            "grades": _grades(model, ev), "series": False, "source": list(ev.source)}


def _series_view(model: Model, sev: SeriesEvaluation, vid: str, owners, summed, period: str | None) -> dict:
    [ev] = at_period([sev], period, True)
    last = _at(sev, period)
    pes = list(sev.periods[: sev.periods.index(last) + 1])

    def extra(name: str) -> dict:
        values = [pe.own.results[name].value for pe in pes]
        levels = [pe.bounds.get("own", {}).get(name) for pe in pes]
        run = None
        if name in summed and last.projection is not None and model.indicators[name].target is not None:
            p = last.projection.results[name]
            if p.value is not None:
                run = {"value": value_text(model, name, p.value), "status": p.status or "",
                       "icon": ICONS.get(p.status or "", ""), "year": last.period.year}
        level = last.bounds.get("to_date", {}).get(name)
        if type(level) is tuple:
            level = None if None in level else " .. ".join(value_text(model, name, x) for x in level)
        elif level is not None:
            level = value_text(model, name, level)
        return {"spark": sparkline(values, levels), "first": pes[0].period.text, "last": last.period.text,
                "run": run, "to_date": True, "level": level}

    nodes, closes, metrics, anchors = _tree(model, ev, vid, owners, extra)
    span = pes[0].period.text if len(pes) == 1 else f"{pes[0].period.text} … {last.period.text}"
    notes = [f"{pe.period.text}{basis}: {note}" for pe in pes
             for basis, e in (("", pe.own), (" to date", pe.to_date)) for note in _notes(e)]
    return {"id": vid, "key": ev.name, "title": sev.name, "entity": sev.entity, "label": sev.label,
            "subtitle": f"to date {last.period.text} ({span}, {len(pes)} period{'s' if len(pes) != 1 else ''})",
            "nodes": nodes, "closes": closes, "metrics": metrics, "drags": _drags(model, ev, anchors), "notes": notes,
            "grades": _grades(model, ev), "series": True, "source": list(sev.source)}


def _ranked(model: Model, sevs: list[SeriesEvaluation], period: str | None) -> list | None:
    """The series of several entities by the first kgi's score to date at ``period`` (each one's last
    when None), best first, ties in the order of the data, as ``kpi eval``'s ranking has them
    (``kpidsl.render.periods.ranked``); None when the series are not of several entities."""
    top = next((n for n in model.order if model.indicators[n].kind == "kgi"), None)
    if top is None or len({s.entity for s in sevs if s.entity is not None}) < 2:
        return None

    def score(sev):
        x = _at(sev, period).to_date.results[top].score
        return -math.inf if x is None else x

    return sorted(sevs, key=score, reverse=True)


def _at(sev: SeriesEvaluation, period: str | None):
    return sev.last if period is None else sev.at(period)


def _ranking(model: Model, order: list[SeriesEvaluation], ids: dict[int, str], period: str | None) -> dict:
    """The ranking table's rows, best first."""
    top = next(n for n in model.order if model.indicators[n].kind == "kgi")
    rows = []
    for rank, sev in enumerate(order, 1):
        r = _at(sev, period).to_date.results[top]
        rows.append({"rank": rank, "entity": sev.entity or "—", "scenario": sev.name, "anchor": ids[id(sev)],
                     "value": value_text(model, top, r.value), "value_key": repr(r.value) if _finite(r.value) else "",
                     "score": score_text(model, r) if r.status else "",
                     "score_key": repr(r.score) if _finite(r.score) else "", "status": r.status or "",
                     "icon": ICONS.get(r.status or "", "")})
    return {"indicator": top, "rows": rows}


def _made(made_at: datetime.datetime) -> str:
    return made_at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _shown(x):
    """Text as the page shows it: control and bidirectional characters as escapes (``clean``), so
    that a label cannot reorder what a reader sees; the package's own CSS and script as they are."""
    return clean(x) if type(x) is str else x


def to_html(model: Model, items: Sequence[Item], made_at: datetime.datetime, period: str | None = None) -> str:
    """The page of ``items`` (evaluations of scenarios, and series of scenarios with periods, in the
    order shown, except that the series of several entities come first, best first; a series is shown
    to date at ``period``, by default its last), made at ``made_at``."""
    import jinja2

    owners = effective_owners(model)
    summed = additive(model)
    sevs = [it for it in items if isinstance(it, SeriesEvaluation)]
    order = _ranked(model, sevs, period)
    if order is not None:  # the entities best first, as the ranking has them
        items = order + [it for it in items if not isinstance(it, SeriesEvaluation)]
    views, ids = [], {}
    for i, item in enumerate(items):
        vid = f"v{i}"
        if isinstance(item, SeriesEvaluation):
            ids[id(item)] = vid
            views.append(_series_view(model, item, vid, owners, summed, period))
        else:
            views.append(_scenario_view(model, item, vid, owners))
    sources = list(dict.fromkeys(s for v in views for s in v["source"]))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined, finalize=_shown)
    css, script = (env.loader.get_source(env, name)[0] for name in ("report.css", "report.js"))
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    page = env.get_template("report.html.j2").render(
        model=model.settings.label or model.path, green=model.settings.green, amber=model.settings.amber, owner=model.settings.owner, path=model.path, views=views,
        ranking=_ranking(model, order, ids, period) if order is not None else None, sources=sources, made=_made(made_at),
        css=css, script=script, script_hash=digest)
    return page


__all__ = ["to_html", "sparkline", "ICONS"]
