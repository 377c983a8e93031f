"""Series of periods for people and tools: the review table, and a long table as CSV or JSON.

The long table has one row per scenario, entity, period, basis and declaration (``LONG_COLUMNS``):
``basis`` is ``period`` (the period on its own), ``to date`` or ``run rate`` (the projection to the
end of the year of an additive indicator, ``docs/scoring.md`` §8). ``grade`` is left empty until
the model declares grades. ``pace`` is the run rate's verdict: ``on track`` where the projection
scored against the full-period target is green, ``off track`` where it is scored otherwise (empty
on the other bases, and where the projection has no score). A spreadsheet's pivot table or a BI tool reads it as it is.
"""

from __future__ import annotations

import math

from ..compiler.model import Model
from ..compiler.periods import additive
from ..evaluation.periods import PeriodEvaluation, SeriesEvaluation
from ..evaluation.results import Evaluation
from ..parsing.periods import previous, year_ago
from .findings import Style, json_text, plain
from .text import STATUS_COLOURS, clean, pad, score_text, value_text, width

LONG_COLUMNS = ("scenario", "entity", "period", "basis", "indicator", "value", "bound", "score", "status", "grade",
                "pace")
#: The run rate's verdict by the projection's status (``docs/scoring.md`` §12).
PACE = {"green": "on track", "amber": "off track", "red": "off track", "vetoed": "off track", "overdue": "off track"}
#: Periods shown as columns of the review table (the last ones).
LAST_PERIODS = 6


def _rows(model: Model, sevs: list[SeriesEvaluation]):
    """``(series, period evaluation, basis, evaluation, bounds)`` for every row group of the long table."""
    summed = additive(model)
    for sev in sevs:
        for pe in sev.periods:
            yield sev, pe, "period", pe.own, pe.bounds.get("own", {}), None
            yield sev, pe, "to date", pe.to_date, pe.bounds.get("to_date", {}), None
            if pe.projection is not None:
                yield sev, pe, "run rate", pe.projection, pe.bounds.get("projection", {}), summed


def _number(x) -> str:
    """A number to 12 significant digits in its shortest form; "" when unknown."""
    if x is None or not math.isfinite(x):
        return ""
    return "0.0" if x == 0 else repr(float(f"{x:.12g}"))


def _bound(b) -> str:
    if type(b) is tuple:
        return f"{_number(b[0])}..{_number(b[1])}" if None not in b else ""
    return _number(b)


def to_long_csv(model: Model, sevs: list[SeriesEvaluation]) -> str:
    """The long table as CSV (text cells neutralised as ``kpidsl.data.csv_text`` does)."""
    from ..data import csv_text

    out = [",".join(LONG_COLUMNS)]
    for sev, pe, basis, ev, bounds, only in _rows(model, sevs):
        head = f"{csv_text(sev.name)},{csv_text(sev.entity)},{pe.period.text},{basis},"
        for name, r in ev.results.items():
            if only is not None and name not in only:
                continue
            out.append(f"{head}{csv_text(name)},{_number(r.value)},{_bound(bounds.get(name))},{_number(r.score)},"
                       f"{r.status or ''},,{PACE.get(r.status, '') if only is not None else ''}")
    return "\n".join(out) + "\n"


def iter_rows_csv(model: Model, series: list[tuple[str, str | None]], ids, periods, result):
    """``to_long_csv`` of ``kpidsl.evaluation.periods.evaluate_rows``'s ``result`` (the same text),
    written a block of rows at a time."""
    import numpy as np

    from ..data import _number_texts, csv_text
    from ..evaluation.plan import STATUSES

    summed = additive(model)
    names = list(model.order)
    status_text = np.array([s or "" for s in STATUSES], dtype=object)
    yield ",".join(LONG_COLUMNS) + "\n"
    heads = [f"{csv_text(nm)},{csv_text(ent)}," for nm, ent in series]
    quoted = {nm: csv_text(nm) for nm in names}
    bases = (("period", result.own, result.levels["own"], names),
             ("to date", result.to_date, result.levels["to_date"], names),
             ("run rate", result.projection, result.levels["projection"], [n for n in names if n in summed]))
    n, chunk = result.n, 2048
    with np.errstate(all="ignore"):
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            texts = {}
            for basis, batch, levels, shown in bases:
                for nm in shown:
                    level = levels.get(nm)
                    if level is None:
                        bound = [""] * (hi - lo)
                    elif len(level) == 1:
                        bound = _number_texts(level[0][lo:hi])
                    else:
                        a, b = _number_texts(level[0][lo:hi]), _number_texts(level[1][lo:hi])
                        bound = [f"{x}..{y}" if x and y else "" for x, y in zip(a, b)]
                    status = status_text[batch.status[nm][lo:hi]].tolist()
                    pace = [""] * (hi - lo) if basis != "run rate" else [PACE.get(s, "") for s in status]
                    texts[basis, nm] = list(zip(_number_texts(batch.value[nm][lo:hi]), bound,
                                                _number_texts(batch.score[nm][lo:hi]), status, pace))
            out = []
            for i in range(hi - lo):
                row = lo + i
                head = heads[int(ids[row])] + periods[row].text + ","
                for basis, _, _, shown in bases:
                    if basis == "run rate" and not result.projected[row]:
                        continue
                    for nm in shown:
                        v, b, sc, st, pace = texts[basis, nm][i]
                        out.append(f"{head}{basis},{quoted[nm]},{v},{b},{sc},{st},,{pace}\n")
            yield "".join(out)


def _finite(x):
    return x if x is None or math.isfinite(x) else None


def to_long_json(model: Model, sevs: list[SeriesEvaluation]) -> str:
    """The long table as JSON: ``{"model", "path", "rows": [{column: value}, …]}`` (bands' bounds as
    ``[low, high]``)."""
    def rows():
        for sev, pe, basis, ev, bounds, only in _rows(model, sevs):
            for name, r in ev.results.items():
                if only is not None and name not in only:
                    continue
                b = bounds.get(name)
                yield {"scenario": sev.name, "entity": sev.entity, "period": pe.period.text, "basis": basis,
                       "indicator": name, "value": _finite(r.value),
                       "bound": list(b) if type(b) is tuple else b, "score": _finite(r.score),
                       "status": r.status, "grade": None,
                       "pace": PACE.get(r.status) if only is not None else None}

    return json_text({"model": model.settings.label, "path": model.path, "rows": rows()})


def at_period(sevs: list[SeriesEvaluation], period: str | None, to_date: bool) -> list[Evaluation]:
    """The evaluations of one period (the last of each series when ``period`` is None), on its own or
    to date, each named ``SCENARIO[ · ENTITY] PERIOD`` (``… to date PERIOD``)."""
    out = []
    for sev in sevs:
        pe = sev.last if period is None else sev.at(period)
        if pe is None:
            continue
        ev = pe.to_date if to_date else pe.own
        who = sev.name if sev.entity is None else f"{sev.name} · {sev.entity}"
        name = f"{who} {'to date ' if to_date else ''}{pe.period.text}"
        out.append(Evaluation(name, ev.label, ev.results, ev.missing, ev.drags, ev.expects, sev.source, ev.problems,
                              pe.bounds.get("to_date", {}) if to_date else None))
    return out


def _trend(model: Model, name: str, a: PeriodEvaluation, b: PeriodEvaluation) -> str:
    """↑ better, ↓ worse, → the same, from period ``a`` to ``b``: by score where both have one, else
    by value (↑ up, ↓ down)."""
    ra, rb = a.own.results[name], b.own.results[name]
    x, y = (ra.score, rb.score) if ra.score is not None and rb.score is not None else (ra.value, rb.value)
    if x is None or y is None:
        return ""
    if abs(y - x) <= 1e-9 * max(1.0, abs(x)):
        return "→"
    return "↑" if y > x else "↓"


def _status(status: str | None, style: Style, w: int) -> str:
    return (style(status, fg=STATUS_COLOURS.get(status)) if status else "") + " " * (w - width(status or ""))


def _grid(head: list[str], rows: list[list[str]], right: set[int], style: Style, status_cols: set[int]) -> list[str]:
    widths = [max(width(h), *(width(r[i]) for r in rows)) if rows else width(h) for i, h in enumerate(head)]
    out = [style("  ".join(pad(h, w, i in right) for i, (h, w) in enumerate(zip(head, widths))).rstrip(), bold=True)]
    for r in rows:
        cells = [(_status(c, style, w) if i in status_cols else pad(c, w, i in right))
                 for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def to_review(model: Model, sevs: list[SeriesEvaluation], style: Style = plain) -> str:
    """Per series, the shorter of two tables: the periods as rows (each indicator's value and score
    in a column), or the indicators as rows with the last periods as columns, a trend mark, the value
    to date against its level to date, score and status, and the run rate where the indicator is
    additive."""
    inds = model.indicators
    names = [n for n in model.order if inds[n].kind != "input"]
    summed = additive(model)
    blocks = []
    sevs, ranking = ranked(model, sevs)
    if ranking:
        blocks.append("\n".join(_grid(*ranking, style, {5})))
    for sev in sevs:
        pes = list(sev.periods)
        who = sev.name if sev.entity is None else f"{sev.name} · {sev.entity}"
        span = pes[0].period.text if len(pes) == 1 else f"{pes[0].period.text} … {pes[-1].period.text}"
        last = pes[-1]
        title = [style(clean(f"{who}: {span}, {len(pes)} period{'s' if len(pes) != 1 else ''}"), bold=True)]
        if len(pes) + 1 <= len(names):  # the periods as rows
            head = ["period"] + [clean(n) for n in names]
            rows = []
            for pe in pes:
                rows.append([pe.period.text] + [_cell(model, n, pe.own.results[n]) for n in names])
            rows.append([f"to date {last.period.text}"] + [_cell(model, n, last.to_date.results[n]) for n in names])
            projected = [n for n in names if n in summed and inds[n].target and last.projection is not None
                         and last.projection.results[n].value is not None]
            if projected:
                rows.append([f"run rate {last.period.year}"] + [
                    _cell(model, n, last.projection.results[n]) if n in projected else "" for n in names])
            lines = _grid(head, rows, set(range(1, len(head))), style, set())
            paces = {}
            for n in projected:
                paces.setdefault(PACE.get(last.projection.results[n].status), []).append(clean(n))
            paces.pop(None, None)
            if paces:
                lines.append(f"run rate {last.period.year}: " + "; ".join(
                    f"{pace}: {', '.join(paces[pace])}" for pace in ("on track", "off track") if pace in paces))
        else:  # the indicators as rows
            shown = pes[-LAST_PERIODS:]
            head = ["indicator", "target", *(pe.period.text for pe in shown), "trend", "to date", "level",
                    "score", "status"]
            runs = last.projection is not None and any(n in summed for n in names)
            if runs:
                head += ["run rate", "pace"]
            earlier = [(word, sev.at(other.text)) for word, other in
                       (("vs prev", previous(last.period)), ("vs year ago", year_ago(last.period)))
                       if other is not None and sev.at(other.text) is not None]
            head += [word for word, _ in earlier]
            rows = []
            for n in names:
                ind = inds[n]
                r = last.to_date.results[n]
                row = [clean(n), clean(ind.target.text if ind.target else "")]
                row += [clean(value_text(model, n, pe.own.results[n].value)) for pe in shown]
                row.append(_trend(model, n, pes[-2], last) if len(pes) > 1 else "")
                row += [clean(value_text(model, n, r.value)), clean(_level(model, n, last.bounds.get("to_date", {}))),
                        score_text(model, r) if r.status else "", r.status or ""]
                if runs:
                    p = last.projection.results[n]
                    row += ([clean(value_text(model, n, p.value)), PACE.get(p.status, "")] if n in summed and ind.target
                            else ["", ""])
                row += [_change(last.own.results[n].value, pe.own.results[n].value) for _, pe in earlier]
                rows.append(row)
            right = set(range(2, 2 + len(shown))) | {3 + len(shown), 4 + len(shown), 5 + len(shown)}
            right |= set(range(len(head) - len(earlier), len(head)))
            if runs:
                right.add(len(head) - len(earlier) - 2)
            status_cols = {6 + len(shown)} | ({len(head) - len(earlier) - 1} if runs else set())
            lines = _grid(head, rows, right, style, status_cols)
        notes = []
        for pe in pes:
            for basis, ev in (("", pe.own), (" to date", pe.to_date)):
                if ev.missing:
                    notes.append(clean(f"{who} {pe.period.text}{basis}: no data for " + ", ".join(ev.missing)))
                notes += [clean(f"{who} {pe.period.text}{basis}: {p}") for p in ev.problems]
        blocks.append("\n".join(title + lines + notes))
    return "\n\n".join(blocks) + "\n"


def ranked(model: Model, sevs: list[SeriesEvaluation]):
    """The series by the score to date of the first kgi at their last period, best first, and the
    ranking table (head, rows, right-aligned columns), when the series are of several entities;
    else the series as they are and None. Ties keep the order of the data."""
    top = next((n for n in model.order if model.indicators[n].kind == "kgi"), None)
    if top is None or len({s.entity for s in sevs if s.entity is not None}) < 2:
        return sevs, None

    def score(sev):
        x = sev.last.to_date.results[top].score
        return -math.inf if x is None else x

    order = sorted(sevs, key=score, reverse=True)
    rows = []
    for rank, sev in enumerate(order, 1):
        r = sev.last.to_date.results[top]
        who = sev.entity if sev.entity is not None else "—"
        rows.append([str(rank), clean(who), clean(sev.name), clean(value_text(model, top, r.value)),
                     score_text(model, r) if r.status else "", r.status or ""])
    head = ["rank", "entity", "scenario", f"{top} to date", "score", "status"]
    return order, (head, rows, {0, 3, 4})


def _change(now: float | None, before: float | None) -> str:
    """The change from ``before`` to ``now`` as a signed percentage of ``before`` ("" when unknown)."""
    if now is None or before is None or before == 0:
        return ""
    return f"{(now - before) / abs(before) * 100:+.1f}%"


def _cell(model: Model, name: str, r) -> str:
    """A value, and its score in brackets where it has one."""
    text = value_text(model, name, r.value)
    if r.status and model.indicators[name].kind != "veto":
        text += f" ({score_text(model, r)})"
    return clean(text)


def _level(model: Model, name: str, bounds) -> str:
    b = bounds.get(name)
    if b is None:
        return ""
    if type(b) is tuple:
        return f"{value_text(model, name, b[0])} .. {value_text(model, name, b[1])}"
    return value_text(model, name, b)


__all__ = ["ranked", "LONG_COLUMNS", "iter_rows_csv", "to_long_csv", "to_long_json", "to_review", "at_period"]
