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
from .context import Context, source_text

#: The scenario entry that holds the as-of date.
KEY = "as_of"


def read(ctx: Context, sc, item: syntax.Entry) -> None:
    """``as_of: DATE`` in a scenario (E001 for another value)."""
    if type(item.value) is syntax.Date:
        sc.as_of = item.value.value
        return
    ctx.sink.add("E001", item.value.span, f"found `{source_text(ctx.model, item.value)}` after `as_of:`; expected the "
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


def _nearest(names, own, up) -> dict:
    """For each of ``names``, ``own`` of the nearest of it, ``up`` of it, ``up`` of that … that has one
    (None where none has): one walk up from each name, stopping at the first one already settled."""
    settled: dict = {}
    for name in names:
        chain, n, on_chain = [], name, set()
        while n is not None and n in names and n not in settled and n not in on_chain:
            value = own(n)
            if value is not None:
                settled[n] = value
                break
            chain.append(n)
            on_chain.add(n)
            n = up(n)
        value = settled.get(n)
        for c in chain:
            settled[c] = value
    return settled


def _as_of_dates(model) -> dict[str, datetime.date | None]:
    scenarios = model.scenarios
    return _nearest(scenarios, lambda n: scenarios[n].as_of, lambda n: scenarios[n].extends)


def deadlines(model) -> dict[str, datetime.date]:
    """Each indicator's deadline, where it has one: its own ``due``, else its nearest parent's, else
    the model's."""
    inds, default = model.indicators, model.settings.due
    if default is None and all(ind.due is None for ind in inds.values()):
        return {}
    found = _nearest(inds, lambda n: inds[n].due, lambda n: inds[n].parent)
    return {n: d for n, d in ((n, d if d is not None else default) for n, d in found.items()) if d is not None}


__all__ = ["KEY", "read", "scenario_as_of", "deadlines"]
