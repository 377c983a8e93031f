"""Adjustments: bonus and deduction items that add points to their parent's score (E408, E409).

An ``adjustment NAME "label" { value: FORMULA }`` under a kgi or kpi (nested, or with ``parent:``)
adds its value, in points of score (``2%`` is 2 points; negative for a deduction), to its parent's
score. The parent's ``adjustments: LO .. HI`` keeps the total of its adjustments within that range;
the adjusted score never falls below 0 nor rises past the parent's cap. The value is a formula over
inputs and numbers only, as a bound is: points that moved with the scores they adjust would let the
scorecard grade itself. The plan computes all of it (``kpidsl.evaluation.plan``).
"""

from __future__ import annotations

from ..parsing import syntax
from .context import Context, number_of, source_text

#: The entries an adjustment may have.
ENTRIES = frozenset({"parent", "value", "owner", "source", "description"})


def read_limit(ctx: Context, entry: syntax.Entry, value):
    """``adjustments: LO .. HI`` (numbers): the range of the total; None after an E001 or E409."""
    if type(value) is not syntax.Band or number_of(value.low) is None or number_of(value.high) is None:
        ctx.sink.add("E001", value.span, f"found `{source_text(ctx.model, value)}` after `adjustments:`; expected the range "
                     "the total of its adjustments is kept within, as two numbers: `-10% .. 5%`")
        return None
    lo, hi = number_of(value.low), number_of(value.high)
    if not lo <= 0 <= hi:
        ctx.sink.add("E409", entry.key_span, f"`adjustments: {source_text(ctx.model, value)}` does not include 0; the "
                     "range runs from the most deductions may take (0 or below) to the most bonuses may add "
                     "(0 or above), such as `-10% .. 5%`")
        return None
    return (lo, hi)


def collected(ctx: Context, ind) -> None:
    """E004 for an adjustment without ``value`` (its value shows as points, a fraction: its ``unit`` is ``%``)."""
    if "value" not in ind.entries:
        ctx.sink.add("E004", ind.span, f"adjustment `{ind.name}` has no `value`; an adjustment adds the points "
                     "its formula gives: add `value: FORMULA`, such as `value: awards * 2%`")


def check_adjustments(ctx: Context) -> None:
    """E408 for an adjustment whose value reads anything but inputs; E004 for one under no kgi or kpi
    (the tree's checks report that) is left to ``link_tree``."""
    model = ctx.model
    for ind in model.indicators.values():
        if ind.kind != "adjustment" or ind.formula is None:
            continue
        for name in sorted(model.uses.get(ind.name, ()), key=lambda n: model.indicators[n].span):
            other = model.indicators[name]
            if other.kind != "input":
                ctx.sink.add("E408", ind.entries["value"].value.span,
                             f"adjustment `{ind.name}` reads {other.kind} `{name}`; its points are a formula "
                             f"over inputs only (awards, complaints, incidents): make `{name}` an `input`, or "
                             "use a number")


__all__ = ["ENTRIES", "read_limit", "collected", "check_adjustments"]
