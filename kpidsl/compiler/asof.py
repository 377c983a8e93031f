"""The as-of date of a scenario: the day its numbers stand at (``as_of: 2025-06-30``).

An indicator whose ``due`` (its own, or inherited) lies before the as-of date and whose target is
not met is ``overdue``. The date reaches the evaluation through one argument, ``as_of`` of
``kpidsl.evaluation.scalar.evaluate`` (and ``evaluate_columns``); ``scenario_as_of`` gives an
in-file scenario's, through its ``extends`` chain. A period's end can be given the same way.
"""

from __future__ import annotations

import datetime
import weakref

from ..parsing import syntax
from .context import Context, written

#: The scenario entry that holds the as-of date.
KEY = "as_of"


def read(ctx: Context, sc, item: syntax.Entry) -> None:
    """``as_of: DATE`` in a scenario (E001 for another value)."""
    if type(item.value) is syntax.Date:
        sc.as_of = item.value.value
        return
    ctx.sink.add("E001", item.value.span, f"found `{written(ctx, item.value)}` after `as_of:`; expected the "
                 "date the scenario's numbers stand at, such as `as_of: 2025-06-30`")


def scenario_as_of(model, name: str) -> datetime.date | None:
    """The as-of date of an in-file scenario, or of the nearest scenario it extends that has one
    (found for every scenario at the first call, each chain walked once: the scenarios must not
    change after it)."""
    table = _AS_OF.get(model)
    if table is None:
        table = _AS_OF[model] = _as_of_dates(model)
    return table.get(name)


_AS_OF: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _as_of_dates(model) -> dict[str, datetime.date | None]:
    scenarios, settled = model.scenarios, {}
    for name in scenarios:
        chain, n, on_chain = [], name, set()
        while n in scenarios and n not in settled and n not in on_chain:
            if scenarios[n].as_of is not None:
                settled[n] = scenarios[n].as_of
                break
            chain.append(n)
            on_chain.add(n)
            n = scenarios[n].extends
        day = settled.get(n)
        for c in chain:
            settled[c] = day
    return settled


def deadlines(model) -> dict[str, datetime.date]:
    """Each indicator's deadline, where it has one: its own ``due``, else its nearest parent's, else
    the model's. One walk up from each indicator, stopping at the first one already settled."""
    inds, out = model.indicators, {}
    if model.settings.due is None and all(ind.due is None for ind in inds.values()):
        return out
    settled: dict[str, datetime.date | None] = {}
    for name in inds:
        chain, n, on_chain = [], name, set()
        while n is not None and n not in settled and n not in on_chain:
            if inds[n].due is not None:
                settled[n] = inds[n].due
                break
            chain.append(n)
            on_chain.add(n)
            n = inds[n].parent
        due = settled.get(n, model.settings.due) if n is not None else model.settings.due
        for c in chain:
            settled[c] = due
    return {n: d for n, d in settled.items() if d is not None}


__all__ = ["KEY", "read", "scenario_as_of", "deadlines"]
