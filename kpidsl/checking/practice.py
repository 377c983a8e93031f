"""The practice rules W101–W110: what KPI practice asks of a tree beyond being computable.

Each rule is one function registered in ``CHECKS`` under its code; its summary and explanation
live in ``kpidsl.checking.rules``. A rule yields ``(span, message)`` pairs; the message ties the finding to
the practice it protects.

A warning that only follows from an error is not reported: a name written in an entry that has an
error (``due: last_year``), or in a declaration the compiler did not read (a duplicate),
is not W106 unused; the tree of a ``type`` or ``perspective`` entry that has an error is not W107 or
W108. The error says what to fix.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from typing import Callable, Iterable, Iterator

from ..parsing import syntax
from ..errors import Span
from ..compiler.model import PERSPECTIVES, Indicator, Model

Found = Iterator[tuple[Span, str]]
#: W105's limit on the kpis under one indicator, unless configured (``max-children``).
DEFAULT_MAX_CHILDREN = 10
CHECKS: dict[str, Callable[[Model, int], Iterable[tuple[Span, str]]]] = {}


def rule(code: str):
    """Register a practice rule under ``code``."""

    def register(fn):
        CHECKS[code] = fn
        return fn

    return register


_SCORED = ("kgi", "kpi")


def _scorecard(model: Model) -> list[Indicator]:
    return [i for i in model.indicators.values() if i.kind in _SCORED]


def _inherited(model: Model, has: Callable[[Indicator], bool]) -> Callable[[Indicator], bool]:
    """Whether ``has`` holds for an indicator or any of its parents up to the top (a cycle of parents
    counts each member once). Each name's answer is kept, so a chain N deep is walked once, not N
    times."""
    indicators, known = model.indicators, {}

    def holds(ind: Indicator) -> bool:
        path: dict[str, Indicator] = {}  # the walk up, in order, to the first name already known
        while ind is not None and ind.name not in known and ind.name not in path:
            path[ind.name] = ind
            ind = indicators.get(ind.parent) if ind.parent else None
        walked = list(path.values())
        found = False
        if ind is not None and ind.name in known:
            found = known[ind.name]
        elif ind is not None:  # back on this walk: the members of the cycle share one answer
            cycle = walked[list(path).index(ind.name):]
            del walked[-len(cycle):]
            found = any(map(has, cycle))
            known.update((c.name, found) for c in cycle)
        for a in reversed(walked):
            found = found or has(a)
            known[a.name] = found
        return found

    return holds


def _any_has(model: Model, key: str) -> bool:
    """Whether any indicator has a ``key`` entry (a loop: cheaper than ``any`` over a generator)."""
    for ind in model.indicators.values():
        if key in ind.entries:
            return True
    return False


def _misread(ind: Indicator, key: str) -> bool:
    """Whether ``ind`` has a ``key`` entry whose value has an error (given, but not read)."""
    return key in ind.entries and getattr(ind, key) is None


def _tree(model: Model, kgi: Indicator) -> list[Indicator]:
    out, stack, seen = [], [kgi], set()
    while stack:
        ind = stack.pop()
        if ind.name in seen:
            continue
        seen.add(ind.name)
        out.append(ind)
        stack += [model.indicators[c] for c in (*ind.children, *ind.vetoes)]
    return out


@rule("W101")
def no_target(model: Model, max_children: int) -> Found:
    for ind in model.indicators.values():
        if ind.target is None and ind.kind in _SCORED and "target" not in ind.entries:
            yield ind.span, (f"{ind.kind} `{ind.name}` has no target, so nobody can say whether it was "
                             "achieved; make it measurable with `target: >= N`, `<= N`, `== N` or a band")


@rule("W102")
def no_owner(model: Model, max_children: int) -> Found:
    if model.settings.owner:
        return
    owned = _inherited(model, lambda a: bool(a.owner or "owner" in a.entries))
    for ind in _scorecard(model):
        if not owned(ind):
            yield ind.span, (f"{ind.kind} `{ind.name}` has no owner: a KPI nobody is accountable for is "
                             "not managed; add `owner: \"…\"` to it, a parent, or the model")


@rule("W103")
def not_time_bound(model: Model, max_children: int) -> Found:
    if model.settings.due or model.settings.period:
        return
    timed = _inherited(model, lambda a: bool(a.due or a.period or "due" in a.entries or "period" in a.entries))
    for ind in _scorecard(model):
        if not timed(ind):
            yield ind.span, (f"{ind.kind} `{ind.name}` is not time-bound: give `due: YYYY-MM-DD` or "
                             "`period:` on it, a parent, or the model, so the target falls due")


@rule("W104")
def no_data_source(model: Model, max_children: int) -> Found:
    for ind in model.indicators.values():
        if ind.kind == "kpi" and not ind.children and "value" not in ind.entries and "source" not in ind.entries:
            yield ind.span, (f"leaf kpi `{ind.name}` has neither a `value:` formula nor a `source:`; "
                             "say where its number comes from (CRM, ERP, survey, …) so someone can collect it")


@rule("W105")
def too_many_children(model: Model, max_children: int) -> Found:
    for ind in model.indicators.values():
        if len(ind.children) > max_children and ind.kind in _SCORED:
            yield ind.span, (f"more than {max_children} KPIs under `{ind.name}` ({len(ind.children)}): focus "
                             "on the few that drive the goal and keep the rest as `metric`s")
    # the whole tree of each kgi, counted once: children before parents in reverse output order
    inds = model.indicators
    below: dict[str, int] = {}
    for name in reversed(model.order):
        ind = inds[name]
        if ind.children and ind.kind in _SCORED:  # (most have no children: nothing below them)
            below[name] = sum(1 + below.get(c, 0) for c in ind.children if inds[c].kind == "kpi")
    for ind in model.kgis:
        total = below.get(ind.name, 0)
        if total > max_children and len(ind.children) <= max_children:
            yield ind.span, (f"{total} KPIs in the tree of kgi `{ind.name}`, more than {max_children} in all: "
                             "a scorecard is read as a whole; focus on the 3–5 that drive the goal and keep "
                             "the rest as `metric`s")


def _used_names(model: Model) -> set[str]:
    used = set().union(*model.uses.values(), *model.bound_uses.values())
    for sc in model.scenarios.values():
        for item in sc.decl.body.items:
            if isinstance(item, syntax.Expect):
                used |= {n.text for n in syntax.iter_nodes(item.condition) if isinstance(n, syntax.Ref)}
    if model.has_errors:
        used |= _names_in_errors(model)
    return used


def _names_in_errors(model: Model) -> set[str]:
    """The names written in entries that have an error finding, or that were not read (those of a
    declaration whose name is already taken, or of a second model header)."""
    # where each error starts, as line << 32 | column (findings are sorted by position): a tuple each
    # would be the largest thing made while the model is held, for a file with an error every few bytes
    starts = array("q", (f.span.line << 32 | f.span.column for f in model.findings if f.is_error))
    names: set[str] = set()
    stack = [d for d in model.tree.decls if type(d) is not syntax.ScenarioDecl]  # expects are read above
    while stack:
        decl = stack.pop()
        kept = (model.settings.decl if type(decl) is syntax.ModelDecl
                else getattr(model.indicators.get(decl.name.text), "decl", None))
        unread = kept is not decl
        for item in decl.body.items:
            if type(item) is syntax.IndicatorDecl:
                stack.append(item)
            elif type(item) is syntax.Entry:
                s = item.span
                i = bisect_left(starts, s.line << 32 | s.column)
                if unread or (i < len(starts) and starts[i] < (s.end_line << 32 | s.end_column)):
                    names |= {n.text for n in syntax.iter_nodes(item.value) if type(n) is syntax.Ref}
    return names


@rule("W106")
def unused(model: Model, max_children: int) -> Found:
    used = _used_names(model)
    for ind in model.indicators.values():
        if (ind.kind != "input" and ind.kind != "metric") or ind.name in used:
            continue
        if ind.kind == "input":
            yield ind.span, (f"input `{ind.name}` is collected but no formula uses it; use it in a `value:` "
                             "or remove it: data that drives nothing costs effort for nothing")
        elif ind.kind == "metric" and ind.target is None and "target" not in ind.entries:
            yield ind.span, (f"metric `{ind.name}` has no target and nothing refers to it; give it a target "
                             "to monitor it, use it in a formula, or remove it")


@rule("W107")
def no_leading_indicator(model: Model, max_children: int) -> Found:
    if not _any_has(model, "type"):
        return
    for kgi in model.kgis:
        if not any(i.type == "process" or _misread(i, "type") for i in _tree(model, kgi)):
            yield kgi.span, (f"the tree of kgi `{kgi.name}` has no process (leading) indicator; results alone "
                             "cannot be steered: add a `type: process` KPI such as visits or conversion")


@rule("W108")
def unbalanced_perspectives(model: Model, max_children: int) -> Found:
    if not _any_has(model, "perspective"):
        return
    for kgi in model.kgis:
        tree = _tree(model, kgi)
        covered = {i.perspective for i in tree if i.perspective}
        if covered and len(covered) < len(PERSPECTIVES) and not any(_misread(i, "perspective") for i in tree):
            missing = ", ".join(p for p in PERSPECTIVES if p not in covered)
            yield kgi.span, (f"the tree of kgi `{kgi.name}` covers only {', '.join(p for p in PERSPECTIVES if p in covered)}"
                             f"; a balanced scorecard also looks at {missing}")


_ADDITIVE = {"+", "-"}
_SAME_UNIT_FUNCTIONS = ("min", "max", "sum", "avg", "clamp")


def _unit_of(node, units: dict[str, str], found: list) -> str | None:
    """The unit of a formula (None: none declared, or a product or ratio of units); each ``+``, ``-``,
    comparison or ``min``/``max``/``sum``/``avg``/``clamp`` of two different declared units is put in
    ``found`` as ``(node, unit, unit)``. Iterative: a formula's depth is no limit."""
    out: dict[int, str | None] = {}
    stack = [(node, False)]
    while stack:
        n, ready = stack.pop()
        t = type(n)
        kids = syntax.operands(n)
        if kids and not ready:
            stack.append((n, True))
            stack.extend((k, False) for k in kids)
            continue
        got = [out.pop(id(k), None) for k in kids]
        if t is syntax.Ref:
            unit = units.get(n.text)
        elif t is syntax.Neg:
            unit = got[0]
        elif (t is syntax.Binary and n.op in _ADDITIVE) or t is syntax.Compare or (
                t is syntax.Call and n.func.text in _SAME_UNIT_FUNCTIONS):
            known = [u for u in got if u is not None]
            if len(set(known)) > 1:
                found.append((n, known[0], next(u for u in known if u != known[0])))
            unit = known[0] if known and len(set(known)) == 1 and t is not syntax.Compare else None
        elif t is syntax.Call and n.func.text in ("abs", "round"):
            unit = got[0]
        else:  # numbers, products, ratios, powers, conditions, results
            unit = None
        out[id(n)] = unit
    return out.get(id(node))


@rule("W109")
def mixed_units(model: Model, max_children: int) -> Found:
    units = {name: unit for name, ind in model.indicators.items() if (unit := ind.unit)}
    if len(set(units.values())) < 2:
        return
    formulas = []
    for ind in model.indicators.values():
        formulas.append(ind.formula)
        formulas += [ind.baseline_formula, ind.stretch_formula]
        if ind.target is not None:
            formulas += list(ind.target.formulas)
    for sc in model.scenarios.values():
        formulas += [e.condition for e in sc.expects]
    for formula in formulas:
        if formula is None:
            continue
        found: list = []
        _unit_of(formula, units, found)
        for node, a, b in found:
            what = ("compares" if type(node) is syntax.Compare else
                    f"takes `{node.func.text}` of" if type(node) is syntax.Call else
                    "adds" if node.op == "+" else "subtracts")
            yield node.span, (f"this formula {what} {a} and {b}: quantities of different units only add or compare "
                              "after a conversion; multiply by a rate (`people * 1.2万元`) or compute a ratio (`/`)")


@rule("W110")
def summed_percentage(model: Model, max_children: int) -> Found:
    """A percentage that accumulates by ``sum`` in a model that uses periods."""
    from ..compiler.periods import accumulation, uses_periods

    if not uses_periods(model):
        return
    for ind in model.indicators.values():
        if (ind.unit == "%" and accumulation(model, ind.name) == "sum" and ind.formula is None
                and "value" not in ind.entries and ind.kind in ("input", "kgi", "kpi")):
            where = ind.entries["accumulate"].key_span if "accumulate" in ind.entries else ind.span
            yield where, (f"`{ind.name}` is a percentage that is summed to date; a to-date rate is computed "
                          "from to-date counts: compute it in a formula from counts, or add `accumulate: avg`")

