"""Which lagging KPIs to act on: the drags of one evaluation, grouped by KGI, leaves first.

The points are the plan's (``docs/scoring.md`` §7): a KPI's path weight times ``max(0, 1 - score)``.
This module chooses what to list. By default it lists what a team can act on — leaf KPIs (no KPI
drivers), each with its path from the KGI — so a parent and its drivers are not counted twice; with
``parents`` the KPIs with drivers are listed too. A fired veto is the first and whole reason for what
it gates: the vetoed indicator is listed first, with the vetoes that fired, and nothing beneath it.
Drags that round to 0.0 points are not listed. A deduction (an adjustment that takes points) is
listed as a leaf, with the points it takes times its parent's path weight.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import attrs

from ..compiler.model import Model
from .results import Evaluation


@attrs.frozen
class Drag:
    """One entry of the drags list."""

    name: str
    #: The share of its KGI's score it costs (0.119 is 11.9 points).
    points: float
    #: The top of its tree.
    kgi: str
    #: From the KGI down to ``name``.
    path: tuple[str, ...]
    #: Whether it has no KPI drivers.
    leaf: bool
    #: The vetoes that fired on it (then ``points`` is what the veto took).
    vetoed_by: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """``{"name", "drag", "kgi", "path", "leaf", "vetoed_by"}``."""
        return {"name": self.name, "drag": self.points, "kgi": self.kgi, "path": list(self.path),
                "leaf": self.leaf, "vetoed_by": list(self.vetoed_by)}


def points_text(points: float) -> str:
    """Points with one decimal, rounded half up as people do (0.0625 → ``6.3``). Ten significant
    digits are taken first, so float noise (0.062499999999999986) does not decide the rounding."""
    return str(Decimal(f"{points * 100:.10g}").quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def drags_of(model: Model, ev: Evaluation, parents: bool = False) -> dict[str, list[Drag]]:
    """KGI name → its drags, vetoes first, then largest first (ties in tree order)."""
    inds = model.indicators
    plan_points = dict(ev.drags)
    groups: dict[str, list[Drag]] = {}
    for root in model.order:
        top = inds[root]
        if top.parent is not None or top.kind not in ("kgi", "kpi"):
            continue
        found: list[Drag] = []
        stack: list[tuple[str, tuple[str, ...]]] = [(root, (root,))]
        while stack:
            name, path = stack.pop()
            ind, r = inds[name], ev.results[name]
            # a kpi scored on its own (`score: own`) is what costs the goal: its drivers do not
            kpi_kids = [] if ind.own_score else [c for c in ind.children if inds[c].kind == "kpi"]
            if r.status == "vetoed":
                fired = tuple(v for v in ind.vetoes if ev.results[v].met is False)
                before = 1.0 if name == root else plan_points.get(name, 0.0)
                found.append(Drag(name, before, root, path, not kpi_kids, fired))
                continue
            pts = plan_points.get(name)
            if pts is not None and (parents or not kpi_kids) and points_text(pts) != "0.0":
                found.append(Drag(name, pts, root, path, not kpi_kids))
            stack.extend((c, path + (c,)) for c in reversed(kpi_kids))
            for a in ind.adjustments:  # a deduction takes points: it drags as a leaf does
                pts = plan_points.get(a)
                if pts is not None and points_text(pts) != "0.0":
                    found.append(Drag(a, pts, root, path + (a,), True))
        if found:
            order = {n: i for i, n in enumerate(model.order)}
            # vetoes first; then largest first, equal to nine decimals counting as ties, in tree order
            found.sort(key=lambda d: (not d.vetoed_by, 0 if d.vetoed_by else -round(d.points, 9), order[d.name]))
            groups[root] = found
    return groups


__all__ = ["Drag", "drags_of", "points_text"]
