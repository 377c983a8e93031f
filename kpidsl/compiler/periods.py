"""Periods in the compiled model: the ``period "…" { … }`` blocks of scenarios, and additivity.

``resolve_periods`` is a compiler pass: it reads each scenario's period blocks into
``Scenario.periods`` and ``Scenario.period_expects`` (E504 for a period that cannot be read or is
given twice, E505 for periods of different granularities in one scenario). ``additive`` says which indicators add up over periods
(``docs/scoring.md``, "Periods and to date").
"""

from __future__ import annotations

from ..parsing import syntax
from ..parsing.periods import KINDS, read_period
from . import formulas as expressions
from .context import Context
from .model import Model


def resolve_periods(ctx: Context, scenario_value) -> None:
    """Read the period blocks of every scenario (E504, E505; those in other blocks are E004 where the
    compiler reads those blocks);
    ``scenario_value`` reads one ``NAME: N`` entry (``kpidsl.compiler.passes.scenario_value``)."""
    model, sink = ctx.model, ctx.sink
    for sc in model.scenarios.values():
        first = None  # the first period read, and where
        for item in sc.decl.body.items:
            if type(item) is not syntax.PeriodBlock:
                continue
            if item.keyword.text == "to_date":
                _to_date_block(ctx, sc, item)
                continue
            period, problem = read_period(item.period.value or "")
            if period is None:
                sink.add("E504", item.period.span, f"scenario `{sc.name}`: {problem}")
                continue
            text = period.text
            if text in sc.periods:
                sink.add("E504", item.period.span, f"period `{text}` is given twice in scenario `{sc.name}`; "
                         "merge the two blocks")
                continue
            if first is None:
                first = (period, item.period.span.line)
            elif period.kind != first[0].kind:
                sink.add("E505", item.period.span,
                         f"scenario `{sc.name}` holds {KINDS[first[0].kind]} (`{first[0].text}`, line {first[1]}) "
                         f"and here {KINDS[period.kind]} (`{text}`); one scenario's periods are all of one "
                         "granularity: give the others their own scenario")
                continue
            values: dict[str, float] = {}
            expects = []
            seen: dict[str, syntax.Entry] = {}
            for inner in item.body.items:
                t = type(inner)
                if t is syntax.Entry:
                    scenario_value(ctx, sc, inner, seen, values)
                elif t is syntax.Expect:
                    expressions.safe_check(inner.condition, ctx, expect=True, want=expressions.BOOL)
                    expects.append(inner)
                elif t is syntax.PeriodBlock:
                    sink.add("E004", inner.keyword.span, f"a period block inside period `{text}`; periods "
                             "are written directly in the scenario")
                else:
                    sink.add("E004", inner.name.span,
                             f"a {inner.kind} cannot be declared inside scenario `{sc.name}`; move it out")
            sc.periods[text] = values
            if expects:
                sc.period_expects[text] = expects
    kinds = {n: {read_period(t)[0].kind for t in sc.periods} for n, sc in model.scenarios.items()}
    inherited: dict[str, tuple[str, str] | None] = {}  # name -> (kind, scenario) of the nearest with periods
    for name in model.scenarios:  # a scenario's periods and those it extends: one granularity too
        chain, n = [], name
        while n is not None and n in model.scenarios and n not in inherited and n not in chain:
            chain.append(n)
            n = model.scenarios[n].extends
        above = inherited.get(n)
        for n in reversed(chain):
            own = kinds[n]
            if len(own) == 1 and above is not None and above[0] not in own:
                sc = model.scenarios[n]
                sink.add("E505", sc.decl.extends.span,
                         f"scenario `{n}` holds {KINDS[min(own)]} but extends `{above[1]}`, which holds "
                         f"{KINDS[above[0]]}; a scenario's periods and those it extends are all of one granularity")
            if len(own) == 1:
                above = (min(own), n)
            inherited[n] = above
    for ind in model.indicators.values():
        if ind.accumulate is not None and "value" in ind.entries:
            sink.add("E004", ind.entries["accumulate"].key_span,
                     f"{ind.kind} `{ind.name}` has `accumulate`, but its `value` formula is computed from "
                     "its inputs to date: set `accumulate` on those inputs and remove it here")


def _to_date_block(ctx: Context, sc, item: syntax.PeriodBlock) -> None:
    """``to_date "2025-06" { expect … }``: expectations about a period to date (E504 for a period that
    cannot be read or a second block for it, E004 for anything but ``expect`` lines)."""
    period, problem = read_period(item.period.value or "")
    if period is None:
        ctx.sink.add("E504", item.period.span, f"scenario `{sc.name}`: {problem}")
        return
    if period.text in sc.to_date_expects:
        ctx.sink.add("E504", item.period.span, f"`to_date \"{period.text}\"` is given twice in scenario "
                     f"`{sc.name}`; merge the two blocks")
        return
    expects = []
    for inner in item.body.items:
        if type(inner) is syntax.Expect:
            expressions.safe_check(inner.condition, ctx, expect=True, want=expressions.BOOL)
            expects.append(inner)
        else:
            t = type(inner)
            span = inner.key_span if t is syntax.Entry else inner.keyword.span if t is syntax.PeriodBlock \
                else inner.name.span
            ctx.sink.add("E004", span, f"a `to_date \"{period.text}\"` block holds `expect` lines only; a "
                         f"period's values go in its `period \"{period.text}\"` block")
    sc.to_date_expects[period.text] = expects


def uses_periods(model: Model) -> bool:
    """Whether the model speaks of periods: a scenario with period blocks, or ``to_date:``."""
    return model.settings.to_date is not None or any(sc.periods for sc in model.scenarios.values())


def accumulation(model: Model, name: str) -> str:
    """How the supplied values of ``name`` accumulate: ``sum`` unless ``accumulate:`` says otherwise."""
    return model.indicators[name].accumulate or "sum"


_LINEAR = ("+", "-")


def additive(model: Model) -> frozenset[str]:
    """The indicators whose values add up over periods: supplied values that accumulate by ``sum``,
    and formulas that combine such values by ``+``, ``-`` and multiplication or division by a
    number. Their to-date bounds are the sums of their bounds in each period."""
    inds = model.indicators
    out: set[str] = set()
    for name, ind in inds.items():  # supplied values first
        if ind.formula is None and "value" not in ind.entries and ind.kind != "veto" and accumulation(model, name) == "sum":
            out.add(name)
    for name in model.formula_order:  # formulas read only names before them in this order
        if _linear(inds[name].formula, out):
            out.add(name)
    return frozenset(n for n in out if inds[n].kind != "input")


def _linear(node, summed: set[str]) -> bool:
    """Whether ``node`` is a sum of values of ``summed`` times numbers (a number alone is not)."""
    stack, names = [node], 0
    while stack:
        n = stack.pop()
        t = type(n)
        if t is syntax.Ref:
            if n.text not in summed:
                return False
            names += 1
        elif t is syntax.Neg:
            stack.append(n.operand)
        elif t is syntax.Binary and n.op in _LINEAR:
            stack += (n.left, n.right)
        elif t is syntax.Binary and n.op == "*":
            if type(n.left) is syntax.Number:
                stack.append(n.right)
            elif type(n.right) is syntax.Number:
                stack.append(n.left)
            else:
                return False
        elif t is syntax.Binary and n.op == "/" and type(n.right) is syntax.Number:
            stack.append(n.left)
        else:
            return False
    return names > 0


__all__ = ["resolve_periods", "uses_periods", "accumulation", "additive"]
