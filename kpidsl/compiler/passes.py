"""Syntax tree to compiled model, as an explicit, ordered tuple of passes.

Each pass is a plain function ``pass_(ctx)`` that reads the syntax tree or what earlier passes
built, and reports findings; every pass runs, so one run reports every error it can.
"""

from __future__ import annotations

import functools
import sys

import attrs

from . import formulas as expressions
from . import adjustments, asof, grades, periods
from .context import Context, written_span, number_of, source_text
from .context import pct as _pct
from ..parsing import syntax
from ..errors import FindingSink, closest
from ..gcpause import paused_gc
from .model import ACCUMULATE, KINDS, PERIODS, PERSPECTIVES, SCORE_FROM, TO_DATE, TYPES, Indicator, Model, Scenario, Target, WRITTEN, entries_of

#: Entries each kind of declaration may have (nested declarations are checked separately).
_COMMON = {"value", "unit", "baseline", "target", "stretch", "owner", "due", "period", "perspective",
           "type", "source", "description"}
ALLOWED = {
    "model": {"owner", "period", "due", "cap", "green", "amber", "description", "to_date"},
    "kgi": _COMMON | {"cap", "score", "adjustments", "accumulate"},
    "kpi": _COMMON | {"parent", "weight", "cap", "score", "adjustments", "accumulate"},
    "veto": {"parent", "value", "unit", "target", "owner", "period", "source", "description"},
    "metric": {"value", "unit", "target", "baseline", "stretch", "cap", "owner", "period", "source", "description"},
    "input": {"unit", "source", "period", "owner", "description", "accumulate"},
    "grade": grades.ENTRIES,
    "adjustment": adjustments.ENTRIES,
}
KNOWN_KEYS = set().union(*ALLOWED.values())
_WORDS = {"period": PERIODS, "perspective": PERSPECTIVES, "type": TYPES, "score": SCORE_FROM,
          "accumulate": ACCUMULATE, "to_date": TO_DATE}
#: Each kind as this module's (interned) string: the passes and rules compare kinds many times, and
#: the same object compares equal without reading the characters.
_KIND = {kind: kind for kind in KINDS}


def cycle_text(cycle: list[str], position) -> str:
    """``a`` → ``b`` → ``a``, starting from the member that comes first (``position`` orders them)."""
    i = cycle.index(min(cycle, key=position))
    ordered = cycle[i:] + cycle[:i] + [cycle[i]]
    return " → ".join(f"`{n}`" for n in ordered)


# ---------------------------------------------------------------------------------------------
# Pass 1: declarations, names, entries.


def collect_declarations(ctx: Context) -> None:
    """Create an Indicator or Scenario per declaration (E102 duplicates, nesting rules E004/E207)
    and read the entries of the model header and of each indicator (E003, E004, E204, E402 and
    the forms of the values, E001).

    One walk over the declarations does both: going through every body a second time, to read
    what the first walk had just passed by, took longer than the reading itself."""
    model, sink = ctx.model, ctx.sink
    model_decls = 0
    for decl in model.tree.decls:
        t = type(decl)
        if t is syntax.ModelDecl:
            model_decls += 1
            if model_decls > 1:
                sink.add("E102", decl.span, "a second `model` header; a file has at most one: merge them")
                continue
            model.settings.decl = decl
            model.settings.label = decl.label.value if decl.label is not None else None
            _read_block(ctx, "model", None, decl.body, model.settings, {})
        elif t is syntax.ScenarioDecl:
            sc = Scenario(decl.name.text, decl, label=decl.label.value if decl.label is not None else None,
                          extends=decl.extends.text if decl.extends is not None else None)
            if _declare(ctx, decl.name, sc):
                model.scenarios[sc.name] = sc
        else:
            _collect_indicator(ctx, decl, None)


def _declare(ctx: Context, name: syntax.Ident, obj) -> bool:
    """Register ``obj`` under its name, or report E102 and return False."""
    if ctx.declared(name.text) is not None:
        _duplicate(ctx, name)
        return False
    ctx.others[name.text] = obj
    return True


def _duplicate(ctx: Context, name: syntax.Ident) -> None:
    first = ctx.declared(name.text)
    ctx.sink.add("E102", name.span, f"`{name.text}` is already declared on line {first.span.line}; names are "
                 "unique across every kind of declaration: rename one of them")


_declared = Indicator.declared  # looked up once: a call per declaration
#: The kinds that nest, and the kinds they nest in, without a finding (see ``_check_nesting``).
_NESTS, _HOLDS = ("kpi", "veto", "adjustment"), ("kgi", "kpi")


def _collect_indicator(ctx: Context, decl: syntax.IndicatorDecl, nested_in: Indicator | None) -> None:
    """One indicator declaration and its entries, with those nested in it in their place among them."""
    indicators, others = ctx.model.indicators, ctx.others
    name, kind = decl.name.text, _KIND[decl.kind]
    if kind == "grade":
        return grades.collect(ctx, decl, nested_in)
    ind = _declared(name, kind, decl)
    if nested_in is not None:
        ind.parent = nested_in.name  # (a `parent:` entry is followed by link_tree)
        if kind not in _NESTS or nested_in.kind not in _HOLDS:
            _check_nesting(ctx, ind, nested_in)
    if name in indicators or name in others:  # _declare, inline
        _duplicate(ctx, decl.name)
        for item in decl.body.items:  # collected, but not as nested in it; its entries go unread
            if type(item) is syntax.IndicatorDecl:
                _collect_indicator(ctx, item, None)
        return
    indicators[name] = ind
    seen: dict[str, syntax.Entry] = {}
    _read_block(ctx, kind, ind, decl.body, ind, seen)
    if seen:
        ind.entries = entries_of(seen, decl.body)
    if kind == "adjustment":
        adjustments.collected(ctx, ind)
    if kind == "metric" and "value" not in ind.entries:
        ctx.sink.add("E004", ind.span, f"metric `{name}` has no `value`; a metric is computed: add "
                     "`value: FORMULA`, or make it an `input` if a scenario supplies it")


def _check_nesting(ctx: Context, ind: Indicator, nested_in: Indicator) -> None:
    """E207/E004 for a declaration written inside another one that cannot hold it."""
    kind, sink = ind.kind, ctx.sink
    if kind == "kgi":
        sink.add("E207", ind.span,
                 f"kgi `{ind.name}` is written inside `{nested_in.name}`; a kgi is the top of a "
                 "tree and has no parent: move it out, or make it a `kpi`")
    elif kind in ("metric", "input"):
        sink.add("E004", ind.span,
                 f"a {kind} cannot be written inside `{nested_in.name}`; only `kpi`, "
                 f"`veto` and `adjustment` nest: move `{ind.name}` out of the block")
    elif nested_in.kind not in ("kgi", "kpi"):
        sink.add("E004", ind.span,
                 f"a {kind} cannot be written inside {nested_in.kind} `{nested_in.name}`; "
                 "a parent is a kgi or a kpi")


def _expected(ctx: Context, entry: syntax.Entry, what: str, hint: str = "") -> None:
    """E001 at an entry's value: what was found after ``key:`` and what the key needs."""
    found = source_text(ctx.model, entry.value)
    ctx.sink.add("E001", entry.value.span, f"found `{found}` after `{entry.key}:`; expected {what}{hint}")


# One reader per key: ``reader(ctx, entry, value)`` returns the entry's meaning, or None after
# reporting an E001. A table rather than a chain of comparisons, as every entry of a model is read.

_NOT_FORMULA = frozenset((syntax.Threshold, syntax.Band, syntax.String, syntax.Date))


def _read_formula(ctx: Context, entry: syntax.Entry, value):
    if type(value) in _NOT_FORMULA:
        return _expected(ctx, entry, "a formula")
    return value


def _read_target(ctx: Context, entry: syntax.Entry, value):
    line, start, end_line, end = value.span
    one_line = line == end_line
    if one_line:  # its text alone fixes a one-line target: models repeat the same few targets
        lines = ctx.lines
        if lines is None:
            lines = ctx.lines = ctx.model.lines
        text = lines[line - 1]
        start, end = start - 1, end - 1
        if type(value) is syntax.Band:  # a threshold starts at its operator; a band may start with `-`
            start, end = written_span(text, value, start, end)
        text = text[start:end]
        try:
            return ctx.targets[text]
        except KeyError:
            pass
    t = type(value)
    if t is syntax.Threshold:
        n = number_of(value.value)
        if n is None and type(value.value) in _NOT_FORMULA:
            return _expected(ctx, entry, "a number or a formula over inputs after `" + value.op + "`")
        target = Target(value.op, value=n, text=source_text(ctx.model, value),
                        value_formula=None if n is not None else value.value)
    elif t is syntax.Band:
        lo, hi = number_of(value.low), number_of(value.high)
        target = Target("..", low=lo, high=hi, text=source_text(ctx.model, value),
                        low_formula=None if lo is not None else value.low,
                        high_formula=None if hi is not None else value.high)
    else:
        hint = ""
        if number_of(value) is not None:
            hint = f"; did you mean `>= {source_text(ctx.model, value)}`?"
        return _expected(ctx, entry, "`>=`, `<=`, `==` or a band (`lo .. hi`)", hint)
    if one_line and not target.formulas:  # a formula is checked where it stands: never shared
        ctx.targets[text] = target
    return target


def _read_number(ctx: Context, entry: syntax.Entry, value):
    n = number_of(value)
    if n is None:
        return _expected(ctx, entry, "a number")
    return n


@attrs.frozen
class _Formula:
    """A baseline or stretch written as a formula: it sets the ``…_formula`` attribute."""

    node: object


def _read_level(ctx: Context, entry: syntax.Entry, value):
    n = number_of(value)
    if n is not None:
        return n
    if type(value) in _NOT_FORMULA:
        return _expected(ctx, entry, "a number or a formula over inputs")
    return _Formula(value)


# The descriptive keys' meaning of a value is ``model.WRITTEN``'s (an indicator reads it from its
# entry when asked); their readers report the values that have none.

def _read_unit(ctx: Context, entry: syntax.Entry, value):
    unit = WRITTEN["unit"](value)
    return unit if unit is not None else _expected(ctx, entry, 'a unit name or a string (`unit: JPY`, `unit: "%"`)')


def _read_string(ctx: Context, entry: syntax.Entry, value):
    text = WRITTEN[entry.key](value)
    if text is not None:
        return text
    hint = ""
    if type(value) is syntax.Ref:
        hint = f' (`{entry.key}: "{source_text(ctx.model, value)}"`)'
    return _expected(ctx, entry, "a string in double quotes" + hint)


def _read_date(ctx: Context, entry: syntax.Entry, value):
    day = WRITTEN["due"](value)
    return day if day is not None else _expected(ctx, entry, "a date such as `2025-12-31`")


def _read_word(ctx: Context, entry: syntax.Entry, value):
    words = _WORDS[entry.key]
    is_ref = type(value) is syntax.Ref
    if is_ref and value.text in words:
        return value.text
    name = value.text if is_ref else source_text(ctx.model, value)
    return _expected(ctx, entry, "one of " + ", ".join(f"`{w}`" for w in words), closest(name, words))


def _read_parent(ctx: Context, entry: syntax.Entry, value):
    if type(value) is syntax.Ref:
        return value
    return _expected(ctx, entry, "the name of a kgi or kpi")


_READERS = {
    "value": _read_formula, "target": _read_target, "unit": _read_unit, "due": _read_date,
    "parent": _read_parent,
    **dict.fromkeys(("weight", "cap", "green", "amber", "coefficient"), _read_number),
    **dict.fromkeys(("baseline", "stretch"), _read_level),
    **dict.fromkeys(("owner", "source", "description"), _read_string),
    **dict.fromkeys(_WORDS, _read_word),
    "adjustments": adjustments.read_limit,
}
#: Keys whose value is a number literal (each sets the attribute of its name).
_NUMERIC = frozenset(key for key, reader in _READERS.items() if reader in (_read_number, _read_level))
#: The Settings attribute each entry sets.
_ATTRIBUTE = {key: "formula" if key == "value" else key for key in _READERS} | {"adjustments": "adjust_limit"}
#: The Indicator attribute each entry sets; None for those an indicator reads from its entries
#: (``model.WRITTEN``, and ``parent``, which link_tree follows).
_STORED = {key: None if key in WRITTEN or key == "parent" else name for key, name in _ATTRIBUTE.items()}


#: Per kind, the keys an entry may have without any finding (see ``_report_entry``): the kinds'
#: own keys and a kgi's ``parent`` (reported as E207 by link_tree). Each maps to itself: entries are
#: kept under these (interned) strings, so that every later ``"key" in ind.entries`` is decided by
#: identity instead of comparing with a string of the syntax tree.
_PLAIN = {kind: {k: k for k in allowed | {"parent"} if (k in allowed or kind == "kgi")
                 and not (k == "weight" and kind != "kpi")
                 and not (kind == "veto" and k in ("baseline", "stretch"))}
          for kind, allowed in ALLOWED.items()}
_NO_WEIGHT = {"kgi": "a kgi is the top of its tree", "veto": "a veto is a pass/fail gate",
              "metric": "a metric is monitored outside the scorecard", "input": "an input is raw data",
              "model": "the model is the file's header", "adjustment": "an adjustment adds points to its parent"}


def _label(kind: str, owner: Indicator | None) -> str:
    """How messages name the block: ``the model`` or ``kpi `sales```."""
    return "the model" if owner is None else f"{kind} `{owner.name}`"


def _report_entry(sink: FindingSink, kind: str, owner: Indicator | None, item: syntax.Entry,
                  seen: dict[str, syntax.Entry]) -> None:
    """Report why ``item``, whose key is not in ``_PLAIN[kind]`` or already seen, is not kept:
    E003, E204, E402 or E004 (``_PLAIN`` holds exactly the keys none of them applies to)."""
    first = seen.get(item.key)
    code, message = _entry_problem(item.key, kind, _label(kind, owner), first and first.key_span.line)
    sink.add(code, item.key_span, message)


@functools.lru_cache(maxsize=256)
def _entry_problem(key: str, kind: str, label: str, first_line: int | None) -> tuple[str, str]:
    """The code and message of ``_report_entry`` (``first_line``: that of the key's first entry, if
    seen): one message for the many repeats of an entry in a block."""
    if first_line is not None:
        return "E003", f"`{key}` is given twice in {label} (first on line {first_line}); keep one"
    if key == "weight" and kind in _NO_WEIGHT:
        return "E204", f"{label} has a `weight`, but {_NO_WEIGHT[kind]}; only a `kpi` carries a weight: remove it"
    if kind == "veto" and key in ("baseline", "stretch"):
        return "E402", f"{label} has a `{key}`, but a veto is a pass/fail gate: it is met or missed; remove it"
    allowed = ALLOWED[kind]
    if key in KNOWN_KEYS:
        msg = f"{label} cannot have `{key}`"
    else:
        msg = f"unknown entry `{key}` in {label}" + closest(key, allowed)
    return "E004", msg + "; it may have " + ", ".join(f"`{k}`" for k in sorted(allowed))


def _read_block(ctx: Context, kind: str, owner: Indicator | None, block: syntax.Block, into,
                seen: dict[str, syntax.Entry]) -> None:
    """Put the entries of a block into ``seen`` by key, in order, each read into its attribute of
    ``into``; reports repeated, misplaced and unknown entries and the forms of the values.
    Declarations nested in an indicator's block are collected as they come (a model header's are
    not declarations)."""
    plain, readers, attribute = _PLAIN[kind], _READERS, _ATTRIBUTE if owner is None else _STORED
    for item in block.items:
        t = type(item)
        if t is syntax.Entry:
            try:
                key = plain[item.key]
            except KeyError:
                key = None  # not a key of this kind: reported below
            if key is None or key in seen:
                _report_entry(ctx.sink, kind, owner, item, seen)
                continue
            seen[key] = item
            value = item.value
            form = type(value)
            # the commonest cases of _read_number and _read_formula, inline
            if form is syntax.Number and key in _NUMERIC and value.value is not None:
                setattr(into, key, value.value)
                continue
            if key == "value" and form not in _NOT_FORMULA:
                into.formula = value
                continue
            val = readers[key](ctx, item, value)
            if type(val) is _Formula:
                setattr(into, attribute[key] + "_formula", val.node)
            elif val is not None and attribute[key] is not None:
                setattr(into, attribute[key], val)
        elif t is syntax.IndicatorDecl:
            if owner is not None:
                _collect_indicator(ctx, item, owner)
            elif item.kind == "grade":  # the model's grades, in its header
                grades.collect(ctx, item, None)
            else:
                ctx.sink.add("E004", item.name.span, f"a {item.kind} cannot be written inside the model's "
                             f"header, which holds settings and grades: move `{item.name.text}` out of the block")
        elif t is syntax.Expect:
            ctx.sink.add("E004", item.keyword.span, f"`expect` belongs in a scenario, not in "
                         f"{_label(kind, owner)}; move it into a `scenario` block")
        elif t is syntax.PeriodBlock:
            ctx.sink.add("E004", item.keyword.span, f"a period block in {_label(kind, owner)}; periods belong in "
                         "a `scenario`")


# ---------------------------------------------------------------------------------------------
# Pass 2: the tree.


def link_tree(ctx: Context) -> None:
    """Resolve parents (E101, E103, E207), find parent cycles (E206) and orphans (E205)."""
    model, sink = ctx.model, ctx.sink
    indicators = model.indicators
    broken: set[str] = set()
    tree_names = None  # the kgis and kpis, for suggestions (listed once)
    linked = False  # whether any `parent:` entry was followed
    for ind in indicators.values():
        if "parent" not in ind.entries:
            continue
        entry = ind.entries["parent"]
        if type(entry.value) is not syntax.Ref:  # an E001 (``_read_parent``)
            continue
        ref, nested_in = entry.value, ind.parent  # (a Ref: its text and span); the block it is written in, if any
        if ref.text == nested_in:  # both ways name one parent: ``nested_in`` cannot tell them apart
            ind.nested_in = nested_in
        if ind.kind == "kgi":
            sink.add("E207", entry.key_span, f"kgi `{ind.name}` has a `parent`; a kgi is the top of a tree: "
                     "remove `parent:`, or make it a `kpi`")
            continue
        if nested_in is not None:
            sink.add("E207", entry.key_span,
                     f"`{ind.name}` is written inside `{nested_in}` and also has `parent: {ref.text}`; "
                     "give the parent one way: remove `parent:` or move the declaration out of the block")
            continue
        target = ctx.declared(ref.text)
        if target is None:
            if tree_names is None:
                tree_names = _tree_names(model)
            sink.add("E101", ref.span, f"`{ref.text}` is not declared" + closest(ref.text, tree_names, sink))
            broken.add(ind.name)
            continue
        if not isinstance(target, Indicator) or target.kind not in ("kgi", "kpi"):
            what = "a scenario" if isinstance(target, Scenario) else f"a {target.kind}"
            sink.add("E103", ref.span, f"`parent: {ref.text}` names {what}; a parent must be a kgi or a kpi")
            broken.add(ind.name)
            continue
        ind.parent = target.name
        linked = True

    # A declaration nests only in one written before it, so only `parent:` entries can close a cycle.
    in_cycle = _parent_cycles(ctx) if linked else set()
    tops: dict[str, str | None] = {}  # for _check_linked
    for ind in indicators.values():
        if in_cycle and ind.name in in_cycle:
            continue
        kind = ind.kind
        if ind.parent is None:
            if kind in _NESTS:
                _check_linked(ctx, ind, broken, in_cycle, tops)
            continue
        # appended in file order (that of model.indicators), so the lists need no sorting
        parent = indicators[ind.parent]
        if kind == "veto":
            if parent.vetoes:
                parent.vetoes.append(ind.name)
            else:
                parent.vetoes = [ind.name]
        elif kind == "adjustment":
            if parent.adjustments:
                parent.adjustments.append(ind.name)
            else:
                parent.adjustments = [ind.name]
        elif parent.children:
            parent.children.append(ind.name)
        else:
            parent.children = [ind.name]
        if kind in _NESTS and not (parent.kind == "kgi" and parent.parent is None):
            _check_linked(ctx, ind, broken, in_cycle, tops)  # unless, as most are, it is under a top kgi


def _check_linked(ctx: Context, ind: Indicator, broken: set[str], in_cycle: set[str],
                  tops: dict[str, str | None]) -> None:
    """E205 unless the chain of parents above ``ind`` ends at a kgi (or at a reported problem).

    ``tops`` keeps the top of each chain walked (None for a chain that runs into a cycle), so that
    a chain N deep is walked once, not once for each of its N members."""
    indicators = ctx.model.indicators
    walked, name = [], ind.name
    while name not in tops:
        if name in in_cycle:
            top = None
            break
        parent = indicators[name].parent
        if parent is None:
            top = name
            break
        walked.append(name)
        name = parent
    else:
        top = tops[name]
    tops[name] = top
    for n in walked:
        tops[n] = top
    if top is None or top in broken or indicators[top].kind == "kgi":
        return
    if top == ind.name:
        msg = (f"{ind.kind} `{ind.name}` does not link to a kgi; every KPI must drive a goal: nest it "
               "in a kgi or kpi, or add `parent: NAME`")
    else:
        msg = (f"{ind.kind} `{ind.name}` does not link to a kgi: its chain of parents ends at "
               f"{indicators[top].kind} `{top}`, which has no parent")
    ctx.sink.add("E205", ind.span, msg)


def _parent_cycles(ctx: Context) -> set[str]:
    """E206 for each cycle of parents; returns the names on them. Each indicator has one parent, so
    one walk up from each indicator not seen yet finds every cycle, and looks at each name once."""
    indicators = ctx.model.indicators
    walk_of: dict[str, int] = {}  # name -> the walk that reached it first
    in_cycle: set[str] = set()
    for walk, start in enumerate(indicators):
        name = start
        while name is not None and name not in walk_of:
            walk_of[name] = walk
            name = indicators[name].parent
        if name is not None and walk_of[name] == walk:  # back on this walk's own path: a cycle
            cycle, above = [name], indicators[name].parent
            while above != name:
                cycle.append(above)
                above = indicators[above].parent
            in_cycle.update(cycle)
            position = lambda n: indicators[n].span  # noqa: E731
            first = min(cycle, key=position)
            ctx.sink.add("E206", indicators[first].span,
                         "parents form a cycle: " + cycle_text(cycle, position) + "; point one `parent:` at a kgi")
    return in_cycle


def _tree_names(model: Model) -> list[str]:
    return [n for n, i in model.indicators.items() if i.kind in ("kgi", "kpi")]


def check_weights(ctx: Context) -> None:
    """E202 mixed weights, E203 out of range, E201 sum; fill in effective weights."""
    model, sink = ctx.model, ctx.sink
    indicators = model.indicators
    for node in indicators.values():
        if not node.children:
            continue
        kids = [indicators[c] for c in node.children]
        given = 0
        settled = True  # every weight given is a number in range
        total = 0  # their sum, in order (as sum() adds them)
        for k in kids:  # one loop over the children: the common case has no finding
            if "weight" not in k.entries:
                continue
            given += 1
            w = k.weight
            if w is None:
                settled = False
            elif not (0 < w <= 1 + 1e-9):
                settled = False
                _weight_out_of_range(ctx, k, w)
            else:
                total += w
        if given and given != len(kids):
            without = [k.name for k in kids if "weight" not in k.entries]
            sink.add("E202", node.span,
                     f"under `{node.name}`, {given} of {len(kids)} kpis have a weight and "
                     + ", ".join(f"`{n}`" for n in without)
                     + " do not; give every child a weight, or none for equal weights")
            continue
        if not given:
            share = 1 / len(kids)
            for k in kids:
                k.effective_weight = share
            continue
        if not settled:
            continue
        if abs(total - 1) > 1e-9:
            parts = " + ".join(_pct(k.weight) for k in kids)
            sink.add("E201", node.span,
                     f"weights under `{node.name}` sum to {_pct(total)} ({parts}); they must sum to 100%")
        for k in kids:
            k.effective_weight = k.weight


def _weight_out_of_range(ctx: Context, k: Indicator, w: float) -> None:
    """E203 for a weight outside (0, 100%], with a hint when it looks like a percentage without ``%``."""
    raw = source_text(ctx.model, k.entries["weight"].value)
    hint = ""
    if 1 < w <= 100 and not raw.endswith("%"):
        hint = f"; did you mean `{raw}%`?"
    ctx.sink.add("E203", k.entries["weight"].key_span, f"weight `{raw}` of `{k.name}` is outside (0, 100%]{hint}")


#: The range of the model's ``cap``: a stretch scores at least what the target does (100%), and at
#: most five times that (beyond, one KPI at its stretch outweighs the rest of a scorecard).
CAP_RANGE = (1.0, 5.0)


def check_thresholds(ctx: Context) -> None:
    """E401 levels out of order, E402 veto/exact/band misuse, E403 reversed bands; E404 and E405
    for the model's cap and status bands."""
    model, sink = ctx.model, ctx.sink
    _check_settings(ctx)
    for ind in model.indicators.values():
        if ind.kind == "veto":
            if "target" not in ind.entries:
                sink.add("E402", ind.span, f"veto `{ind.name}` has no target; a veto is a pass/fail gate: "
                         "add one such as `target: == 0`")
            continue
        if ind.rare_set:  # (its cap and score are rare attributes)
            _check_cap_and_score(ctx, ind)
        t = ind.target
        if t is None:
            continue
        op = t.op
        if op == ">=" or op == "<=":
            v = t.value
            if v is not None:  # levels in the target's direction, inline (most targets are these);
                # a level that is a formula is None here, and its order is checked per scenario
                b, s = ind.baseline, ind.stretch
                if op == ">=":
                    order_ok = (b is None or b < v) and (s is None or s > v)
                else:
                    order_ok = (b is None or b > v) and (s is None or s < v)
                if not order_ok:
                    _levels_out_of_order(ctx, ind, t)
            continue
        if op != "==" and op != "..":
            continue
        entries = ind.entries
        for k in ("baseline", "stretch"):
            if k in entries:
                sink.add("E402", entries[k].key_span,
                         f"`{ind.name}` has {'an exact' if op == '==' else 'a band'} target, which is met or "
                         f"missed; `{k}` applies only to `>=` and `<=` targets: remove it")
        if op == ".." and t.low is not None and t.high is not None and t.low > t.high:
            sink.add("E403", entries["target"].key_span,
                     f"the band `{t.text}` of `{ind.name}` runs backwards (lower end above upper end); "
                     "write it `lo .. hi`")


def _check_cap_and_score(ctx: Context, ind: Indicator) -> None:
    """E404 for a cap outside ``CAP_RANGE``; E406 for ``score: own`` without a target."""
    if ind.cap is not None and not CAP_RANGE[0] <= ind.cap <= CAP_RANGE[1]:
        ctx.sink.add("E404", ind.entries["cap"].key_span,
                     f"`cap: {source_text(ctx.model, ind.entries['cap'].value)}` of `{ind.name}` is outside "
                     f"{_pct(CAP_RANGE[0])} to {_pct(CAP_RANGE[1])}: the cap is the score at the stretch; write "
                     "one such as `100%` (no reward beyond the target) or `150%`")
    if ind.score == "own" and ind.target is None and "target" not in ind.entries:
        ctx.sink.add("E406", ind.entries["score"].key_span,
                     f"`{ind.name}` is scored on its own achievement (`score: own`) but has no target to "
                     "achieve; add a target, or remove `score: own` to score it from its drivers")


def _check_settings(ctx: Context) -> None:
    """E404 for a cap outside ``CAP_RANGE``; E405 for status bands not in the order 0 < amber < green ≤ cap."""
    settings = ctx.model.settings
    if settings.decl is None:
        return
    given: dict[str, syntax.Entry] = {}  # the entry each setting was read from (the first of its key)
    for item in settings.decl.body.items:
        if type(item) is syntax.Entry and item.key in ("cap", "green", "amber"):
            if number_of(item.value) is not None:  # else an E001 has been reported, and the default holds
                given.setdefault(item.key, item)
    if not given:
        return
    cap, green, amber = settings.cap, settings.green, settings.amber

    def written(key: str) -> str:
        if key in given:
            return f"`{key}: {source_text(ctx.model, given[key].value)}`"
        return f"`{key}` ({_pct(getattr(settings, key))}, the default)"

    def report(code: str, key: str, other: str, message: str) -> None:
        ctx.sink.add(code, given[key if key in given else other].key_span, message)

    low, high = CAP_RANGE
    if not low <= cap <= high:
        why = ("below 100% reaching the stretch would score less than meeting the target" if cap < low
               else f"above {_pct(high)} one KPI at its stretch would outweigh the rest of the scorecard")
        report("E404", "cap", "cap", f"{written('cap')} is outside {_pct(low)} to {_pct(high)}: the cap is the score "
               f"at the stretch, so {why}; write a cap such as `120%` (the default) or `150%`")
        cap = None  # the bands are not measured against a cap that is itself wrong
    if amber <= 0:
        report("E405", "amber", "green", f"{written('amber')} is not above 0%: every score would be amber or "
               "better; write a threshold such as `80%` (the default)")
    elif amber >= green:
        report("E405", "amber", "green", f"{written('amber')} is not below {written('green')}: amber is the "
               "lower threshold, the score from which a KPI is amber rather than red; e.g. "
               "`green: 100%  amber: 80%`")
    if cap is not None and green > cap:
        report("E405", "green", "cap", f"{written('green')} is above {written('cap')}: no score can be green, as "
               "no score exceeds the cap; lower `green` or raise `cap`")


def _levels_out_of_order(ctx: Context, ind: Indicator, t: Target) -> None:
    """E401: baseline, target and stretch do not run in the direction of a ``>=``/``<=`` target."""
    want = "baseline < target < stretch" if t.op == ">=" else "baseline > target > stretch"
    got = ", ".join(f"{k} {source_text(ctx.model, ind.entries[k].value)}"
                    for k in ("baseline", "target", "stretch") if k in ind.entries)
    ctx.sink.add("E401", ind.entries["target"].key_span,
                 f"`{ind.name}` has {got}; for a `{t.op}` target they must run {want}")


# ---------------------------------------------------------------------------------------------
# Pass 3: formulas.


def resolve_formulas(ctx: Context) -> None:
    """Check every formula (E101, E103, E302, E303, E503) and record what each one reads; then the
    bounds written as formulas, which may read inputs only (E304)."""
    model = ctx.model
    model.uses = expressions.check_values(ctx, model.indicators.values())  # its dict, not a copy
    for ind in model.indicators.values():
        t = ind.target
        bounds = [] if not ind.rare_set else [  # (bounds written as formulas are rare attributes)
            (key, f) for key, f in (("baseline", ind.baseline_formula), ("stretch", ind.stretch_formula))
            if f is not None]
        if t is not None and t.formulas:
            bounds += [("target", f) for f in t.formulas]
        if not bounds:
            continue
        read: set[str] = set()
        for key, formula in bounds:
            names = expressions.safe_check(formula, ctx, expect=False, want=expressions.NUM)
            for name in sorted(names, key=lambda n: model.indicators[n].span):
                other = model.indicators[name]
                if other.kind != "input":
                    ctx.sink.add("E304", ind.entries[key].value.span,
                                 f"the {key} of `{ind.name}` reads {other.kind} `{name}`; a bound is a formula "
                                 f"over inputs only (a plan, a quota, last year's value): make `{name}` an "
                                 "`input`, or compare against a number")
            read |= names
        model.bound_uses[ind.name] = read


def check_formula_cycles(ctx: Context) -> None:
    """E301 for each set of formulas that reach each other; then order formulas by dependency."""
    model, sink = ctx.model, ctx.sink
    uses = model.uses
    formulas = uses.keys()
    if formulas.isdisjoint(set().union(*uses.values())):
        # No formula reads another (most models' formulas read inputs): no cycles, and Tarjan's
        # order would be that of the formulas themselves.
        model.formula_order = list(uses)
        return
    graph: dict[str, list[str] | tuple] = {}
    for n, used in uses.items():
        graph[n] = () if formulas.isdisjoint(used) else sorted(u for u in used if u in uses)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    order: list[str] = []
    cyclic: set[str] = set()
    counter = 0

    def component(comp: list[str]) -> None:
        # Tarjan completes components in reverse topological order: dependencies first
        if len(comp) > 1 or comp[0] in graph[comp[0]]:
            cyclic.update(comp)
            first = min(comp, key=lambda n: model.indicators[n].span)
            path = _cycle_path(first, set(comp), graph)
            sink.add("E301", model.indicators[first].entries["value"].key_span,
                     "formulas refer to each other in a cycle: " + " → ".join(f"`{n}`" for n in path)
                     + "; one of these values must come from data (an `input`)")
        else:
            order.append(comp[0])

    for v in graph:  # iterative Tarjan
        if v in index:
            continue
        index[v] = low[v] = counter
        counter += 1
        if not graph[v]:  # a formula that reads no formula is a component of its own
            order.append(v)
            continue
        work = [(v, iter(graph[v]))]
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    if not graph[w]:  # as above; its index is above ``low[node]``, so no change there
                        order.append(w)
                        continue
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(graph[w])))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                component(comp)
    model.formula_order = [n for n in order if n not in cyclic] if cyclic else order


def _cycle_path(first: str, comp: set[str], graph) -> list[str]:
    path, seen, node = [first], {first}, first
    while True:
        nxt = next((w for w in graph[node] if w in comp), None)
        if nxt is None:
            return path
        path.append(nxt)
        if nxt in seen:
            return path[path.index(nxt):] if nxt != first else path
        seen.add(nxt)
        node = nxt


# ---------------------------------------------------------------------------------------------
# Pass 4: scenarios.


def scenario_value(ctx: Context, sc: Scenario, item: syntax.Entry, seen: dict[str, syntax.Entry],
                   into: dict[str, float]) -> None:
    """Read one ``NAME: N`` entry of scenario ``sc`` (or of one of its periods) into ``into``:
    E003 for a name given twice in the block, E501 for a name a scenario cannot assign, E001 for a
    value that is not a number literal."""
    model, sink = ctx.model, ctx.sink
    key = item.key
    if key in seen:
        sink.add("E003", item.key_span, f"`{key}` is given twice in scenario `{sc.name}` (first on "
                 f"line {seen[key].key_span.line}); keep one")
        return
    seen[key] = item
    if key == asof.KEY and ctx.declared(key) is None and into is sc.values:  # `as_of: DATE`, unless a name is `as_of`
        asof.read(ctx, sc, item)
        return
    target = ctx.declared(key)
    if not isinstance(target, Indicator):
        sink.add("E501", item.key_span,
                 f"scenario `{sc.name}` assigns `{key}`, which is not an input or indicator"
                 + closest(key, model.indicators, sink))
        return
    if target.formula is not None or "value" in target.entries:
        sink.add("E501", item.key_span,
                 f"scenario `{sc.name}` assigns `{key}`, which is computed by its `value` formula; "
                 "assign the inputs the formula reads instead")
        return
    n = number_of(item.value)
    if n is None:
        sink.add("E001", item.value.span,
                 f"found `{source_text(model, item.value)}` after `{key}:`; expected a number "
                 "(a scenario assigns number literals such as `1_150`, `71%`, `833万`)")
        return
    into[key] = n


def resolve_scenarios(ctx: Context) -> None:
    """Read scenario values (E501), ``extends`` (E502) and ``expect`` conditions (E503)."""
    model, sink = ctx.model, ctx.sink
    for sc in model.scenarios.values():
        seen: dict[str, syntax.Entry] = {}
        for item in sc.decl.body.items:
            if isinstance(item, syntax.Expect):
                expressions.safe_check(item.condition, ctx, expect=True, want=expressions.BOOL)
                sc.expects.append(item)
                continue
            if isinstance(item, syntax.IndicatorDecl):
                sink.add("E004", item.name.span,
                         f"a {item.kind} cannot be declared inside scenario `{sc.name}`; move it out")
                continue
            if type(item) is syntax.PeriodBlock:  # read by kpidsl.compiler.periods
                continue
            scenario_value(ctx, sc, item, seen, sc.values)
        if sc.extends is not None:
            base = ctx.declared(sc.extends)
            ext = sc.decl.extends
            if base is None:
                sink.add("E502", ext.span, f"scenario `{sc.name}` extends `{sc.extends}`, which is not "
                         "declared" + closest(sc.extends, model.scenarios, sink))
                sc.extends = None
            elif not isinstance(base, Scenario):
                sink.add("E502", ext.span, f"scenario `{sc.name}` extends `{sc.extends}`, which is a "
                         f"{base.kind}, not a scenario")
                sc.extends = None
    # extends cycles: each scenario extends one at most, so one walk from each scenario not seen yet
    # finds every cycle and looks at each name once (as _parent_cycles does for parents)
    scenarios = model.scenarios
    walk_of: dict[str, int] = {}  # name -> the walk that reached it first
    for walk, name in enumerate(scenarios):
        while name in scenarios and name not in walk_of:
            walk_of[name] = walk
            name = scenarios[name].extends
        if walk_of.get(name) == walk:  # back on this walk's own path: a cycle
            cycle, above = [name], scenarios[name].extends
            while above != name:
                cycle.append(above)
                above = scenarios[above].extends
            position = lambda n: scenarios[n].decl.name.span  # noqa: E731
            first = min(cycle, key=position)
            sink.add("E502", scenarios[first].decl.extends.span,
                     "scenarios extend each other in a cycle: " + cycle_text(cycle, position))
            for n in cycle:
                scenarios[n].extends = None


# ---------------------------------------------------------------------------------------------
# Pass 5: output order, and whether the model can be evaluated.


def order_indicators(ctx: Context) -> None:
    """Tree order (kgis depth first in file order), then metrics, then inputs."""
    indicators = ctx.model.indicators
    order: list[str] = []
    rest: dict[str, list[str]] = {kind: [] for kind in KINDS}
    # Only a kgi can be reached twice: as a top, and as the child of the kpi it is written in
    # (E207). A kpi or veto has one parent, and parent cycles are not linked as children.
    tops: set[str] = set()
    reached = 0  # kpis and vetoes placed (a metric or input nested in a block is placed too)
    for ind in indicators.values():
        if ind.kind != "kgi":
            rest[ind.kind].append(ind.name)
            continue
        stack = [ind.name]  # depth first; children and vetoes by their place in the file
        while stack:
            name = stack.pop()
            node = indicators[name]
            if node.kind == "kgi":
                if name in tops:
                    continue
                tops.add(name)
            elif node.kind in _NESTS:
                reached += 1
            order.append(name)
            below, vetoes = node.children, node.vetoes
            if node.adjustments:  # placed among its vetoes, by their place in the file
                vetoes = sorted([*vetoes, *node.adjustments], key=lambda n: indicators[n].span)
            if vetoes:  # both lists are in file order (link_tree): merge them
                if not below:
                    below = vetoes
                elif indicators[below[-1]].span < indicators[vetoes[0]].span:
                    below = below + vetoes
                else:
                    below = sorted(below + vetoes, key=lambda n: indicators[n].span)
            if not below:
                continue
            for child in below:
                c = indicators[child]
                if c.children or c.vetoes or c.kind not in _NESTS:
                    stack += reversed(below)
                    break
            else:  # kpis and vetoes with nothing below them (the common case): placed in a row
                order += below
                reached += len(below)
    if reached < sum(len(rest[kind]) for kind in _NESTS):  # those no kgi reaches (E205) get a place too
        placed = set(order)
        for kind in _NESTS:
            order += [n for n in rest[kind] if n not in placed]
    order += rest["metric"]
    order += rest["input"]
    ctx.model.order = order


def resolve_periods(ctx: Context) -> None:
    """Read the ``period "…" { … }`` blocks of scenarios (``kpidsl.compiler.periods``)."""
    periods.resolve_periods(ctx, scenario_value)


def mark_evaluable(ctx: Context) -> None:
    """Mark a model without errors as evaluable (``kpidsl.evaluation.plan`` lowers it on first use)."""
    if not ctx.sink.has_errors():
        ctx.model.evaluable = True


PASSES = (
    collect_declarations,
    link_tree,
    check_weights,
    check_thresholds,
    resolve_formulas,
    check_formula_cycles,
    resolve_scenarios,
    grades.check_grades,
    adjustments.check_adjustments,
    resolve_periods,
    order_indicators,
    mark_evaluable,
)


def compile_tree(tree: syntax.File, text: str, sink: FindingSink) -> Model:
    """Run every pass over ``tree``; findings go to ``sink`` and into ``model.findings``."""
    model = Model(path=sink.path, text=text, tree=tree)
    ctx = Context(model, sink)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # formulas up to MAX_FORMULA_DEPTH; Python frames only
    try:
        # The model is built from acyclic data: collections would only cost time, and its objects
        # are settled into the oldest generation without a walk.
        with paused_gc(settle_after=True):
            for pass_ in PASSES:
                pass_(ctx)
    finally:
        sys.setrecursionlimit(limit)
    model.findings = sink.sorted()
    return model

