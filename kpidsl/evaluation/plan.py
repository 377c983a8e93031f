"""The evaluation plan: what evaluating a model means, lowered once into steps over registers.

A plan is a flat list of ``Step(op, out, args)``: register ``out`` gets primitive ``op`` applied to
``args``. Every meaning of evaluation lives here, as steps: formulas, the bounds of each target,
``met`` and achievement, the weighted roll-up, adjustments, veto gates, statuses, overdue, grades and
drags. A runtime is an emitter of these steps plus a table of primitives with the names in
``PRIMITIVES`` (scalar Python floats in ``kpidsl.evaluation.scalar``, NumPy columns in
``kpidsl.evaluation.arrays``); a new runtime implements the same names and touches nothing here or
in the other runtimes.

Operands: an ``int`` is a register, a ``float`` a number, a ``str`` a named constant of
``CONSTANTS`` (the truth values and codes, whose representation is the runtime's). Registers
``0 .. FIELDS * n - 1`` are the named results, field-major (``reg(field, slot)``), and registers
from ``plan.temps_from`` on are temporaries, each written once. A register never written is
unknown.

Values are numbers, unknown = NaN; conditions (``met``, comparisons, ``and``/``or``/``not``) are
three-valued: true, false, unknown. Statuses are the codes of ``STATUSES`` (unknown = none).
"""

from __future__ import annotations

import weakref
from typing import Union

import attrs

from ..compiler.asof import deadlines
from ..compiler.formulas import LAGS
from ..compiler.grades import coefficients
from ..compiler.model import Model
from ..errors import KpiError
from ..parsing import syntax
from .steps import Step, Steps

#: Comparisons allow for floating-point error: ``TOL * max(1, |bound|)``.
TOL = 1e-9
#: Drags at or below this are not listed.
DRAG_MIN = 1e-12

#: The named results of each declaration, in register order.
FIELDS = ("value", "met", "achievement", "score", "status", "drag")
VALUE, MET, ACHIEVEMENT, SCORE, STATUS, DRAG = range(len(FIELDS))

#: Status codes: ``STATUSES[code]`` is the status text; an unknown code means no status.
STATUSES: tuple[str | None, ...] = (None, "green", "amber", "red", "no-data", "vetoed", "pass", "fail", "overdue")
#: The status codes by name, as numbers (the same in every runtime).
CODES = {"GREEN": 1.0, "AMBER": 2.0, "RED": 3.0, "NODATA": 4.0, "VETOED": 5.0, "PASS": 6.0, "FAIL": 7.0,
         "OVERDUE": 8.0}
#: Named constants an operand may be: the truth values, unknown, and the status codes.
CONSTANTS = ("TRUE", "FALSE", "NAN", *CODES)

#: Operators every runtime writes inline (``a + b``, ``-a``, and ``copy``: the operand itself).
INLINE = ("add", "sub", "mul", "neg", "copy")
#: What each primitive takes and gives (``n`` number, ``c`` condition, ``s`` status code, ``*`` any
#: number of numbers) and means. Every runtime implements exactly these names.
PRIMITIVES = {
    "fin": "n -> n: the number, or unknown when it is not finite (a formula's result)",
    "div": "n n -> n: a / b, unknown when b is 0",
    "pow": "n n -> n: a ** b, unknown on overflow or a complex result",
    "ge": "n n -> c: a >= b within the tolerance", "le": "n n -> c: a <= b within the tolerance",
    "gt": "n n -> c: a > b beyond the tolerance", "lt": "n n -> c: a < b beyond the tolerance",
    "eq": "n n -> c (or c c -> c): equal within the tolerance", "ne": "the negation of eq",
    "not": "c -> c", "and": "c c -> c (false wins over unknown)", "or": "c c -> c (true wins over unknown)",
    "min": "* -> n", "max": "* -> n", "sum": "* -> n: exact sum", "avg": "* -> n: exact sum / count",
    "abs": "n -> n", "round": "n [n] -> n: half away from zero to n decimals", "clamp": "n n n -> n",
    "if_num": "c n n -> n: a if c, b if not c, unknown if c is unknown",
    "if_cond": "c c c -> c: likewise for conditions",
    "pick": "c x x -> x: a if c is true, else b (false or unknown); x may be a status code",
    "known": "n -> c: whether the number is known",
    "exceeds": "n n -> c: a > b exactly, false when either is unknown",
    "pos": "n -> n: a if a > 0, else 0 (unknown gives 0)",
}

Operand = Union[int, float, str]


@attrs.frozen(eq=False)
class Plan:
    """The evaluation of one model, as steps; built once per model by ``plan_of``."""

    #: Declaration name -> slot; ``reg(field, slots[name])`` is its register for ``field``.
    slots: dict[str, int]
    #: The main steps: values, bounds, scoring, roll-up, gates, statuses, drags (held compactly).
    steps: Steps
    #: Per in-file scenario: its expect lines, each with the steps that compute it and its register.
    expects: dict[str, tuple[tuple[syntax.Expect, tuple[Step, ...], Operand], ...]]
    #: Names a scenario must supply: read by a formula, or with a target, no formula and no drivers
    #: (a parent scored from its drivers needs no value: its own met and achievement are then unknown).
    needed: tuple[str, ...]
    #: The first temporary register; every register below is a named result.
    temps_from: int
    #: Every register the steps use, named results and temporaries.
    size: int
    #: Per indicator whose levels are formulas: its levels (``"baseline"``, ``"target"``, ``"stretch"``,
    #: ``"low"``, ``"high"``) as operands, the register of the condition that they run in order in a
    #: scenario, and the order they must run in (``"baseline < target < stretch"``).
    levels: dict[str, tuple[dict[str, Operand], int, str]] = attrs.Factory(dict)
    #: Per graded indicator: the register of its grade (an index into ``model.grades``) and of its
    #: coefficient (None when no grade has one). Empty when the model declares no grades.
    grades: dict[str, tuple[int, int | None]] = attrs.Factory(dict)
    #: Per indicator with a deadline and a target: the register of the condition that it is overdue.
    overdue: dict[str, int] = attrs.Factory(dict)
    #: Per indicator with adjustments: the register of the points they add in all (after its
    #: ``adjustments:`` range; before the score is kept within 0 and the cap).
    adjusted: dict[str, int] = attrs.Factory(dict)
    #: The register of the as-of date (a day number, ``date.toordinal()``; unknown: no as-of date),
    #: or None when no indicator has a deadline.
    as_of: int | None = None
    #: Per indicator with a target: its levels (``"target"``, ``"low"``, ``"high"``, ``"baseline"``,
    #: ``"stretch"``) as operands: a number, or the register a formula's level is computed into.
    bounds: dict[str, dict[str, Operand]] = attrs.Factory(dict)
    #: Per indicator whose levels this plan reads instead of computing them (``plan_of``'s ``fed``):
    #: the register of each level, which the caller fills before running the plan.
    fed: dict[str, dict[str, int]] = attrs.Factory(dict)
    #: ``(function, name)`` of each ``previous(NAME)``/``year_ago(NAME)`` -> the register the caller
    #: fills with NAME's value in that other period (unknown when it does not).
    lags: dict[tuple[str, str], int] = attrs.Factory(dict)

    def missing(self, given) -> list[str]:
        """The names a scenario must supply (``needed``) that ``given`` lacks, in order."""
        return [name for name in self.needed if name not in given]

    def reg(self, field: int, name: str) -> int:
        """The register of ``name``'s ``field`` (one of ``VALUE`` … ``DRAG``)."""
        return field * len(self.slots) + self.slots[name]


def assignable(model: Model, key: str) -> None:
    """Raise ``KpiError`` unless a scenario may assign ``key`` (an input, or an indicator with no formula)."""
    ind = model.indicators.get(key)
    if ind is None or ind.formula is not None:
        why = "is not declared" if ind is None else "is computed by its `value` formula"
        raise KpiError([], f"`{key}` {why}; a scenario assigns inputs and indicators without a formula")


def levels_problem(name: str, levels: dict[str, float], want: str) -> str:
    """Why ``name`` has no score in a scenario whose levels run out of order (``levels``: their values)."""
    shown = ", ".join(f"{k} {v:.12g}" for k, v in levels.items())
    return (f"`{name}` has {shown} in this scenario; they must run {want}, so it is not scored: check the "
            "data its levels are computed from")


_PLANS: "weakref.WeakKeyDictionary[Model, Plan]" = weakref.WeakKeyDictionary()
_FED_PLANS: "weakref.WeakKeyDictionary[Model, dict[frozenset, Plan]]" = weakref.WeakKeyDictionary()


def plan_of(model: Model, fed: frozenset = frozenset()) -> Plan:
    """The plan of ``model``, built on first use; ``KpiError`` when the model has errors.

    ``fed`` names indicators whose levels the plan reads from registers (``Plan.fed``) instead of
    computing them: to date, an additive indicator's levels are the sums of its levels in each
    period (``kpidsl.evaluation.periods``)."""
    plan = _PLANS.get(model) if not fed else _FED_PLANS.get(model, {}).get(fed)
    if plan is None:
        if not model.evaluable:
            raise KpiError([f for f in model.findings if f.is_error] or model.findings,
                           "the model has errors and cannot be evaluated")
        plan = _Lowering(model, fed).plan()
        if fed:
            _FED_PLANS.setdefault(model, {})[fed] = plan
        else:
            _PLANS[model] = plan
    return plan


def forget(model: Model) -> None:
    """Drop the plan of ``model``, and so the programs compiled from it (built again on next use)."""
    _PLANS.pop(model, None)


# --------------------------------------------------------------------------------------------------
# lowering


def _tol(b: float) -> float:
    return TOL * max(1.0, abs(b))


_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}
_CMP = {">=": "ge", "<=": "le", ">": "gt", "<": "lt", "==": "eq", "!=": "ne"}
_CONDITIONS = (syntax.Boolean, syntax.Compare, syntax.NotOp, syntax.AndOp, syntax.OrOp)


def _is_condition(node) -> bool:
    """Whether a checked formula gives a condition (an ``if`` gives what its branches give)."""
    while type(node) is syntax.Call and node.func.text == "if":
        node = node.args.items[1]
    return type(node) in _CONDITIONS or (type(node) is syntax.Attribute and node.name.text == "met")


def _has_formula_levels(ind) -> bool:
    """Whether any of the indicator's levels (target, band ends, baseline, stretch) is a formula."""
    return bool(ind.target.formulas) or ind.baseline_formula is not None or ind.stretch_formula is not None


def _level_count(ind) -> int:
    """How many levels the indicator's target has (the band's two ends, a baseline, a stretch)."""
    t = ind.target
    return (2 if t.op == ".." else 1) + (ind.baseline is not None or ind.baseline_formula is not None) + (
        ind.stretch is not None or ind.stretch_formula is not None)


class _Lowering:
    """Builds the steps of one model's plan."""

    def __init__(self, model: Model, fed: frozenset = frozenset()):
        self.model = model
        self.slots = {name: i for i, name in enumerate(model.indicators)}
        self.fed_names = fed = frozenset(n for n in fed if model.indicators[n].target is not None)
        # named registers past the fields: each level written as a formula, and one order condition
        # per indicator that has such levels; each level of a fed indicator, and its order condition
        extra = sum(len(ind.target.formulas) + (ind.baseline_formula is not None)
                    + (ind.stretch_formula is not None) + 1
                    for ind in model.indicators.values() if ind.target is not None and _has_formula_levels(ind)
                    and ind.name not in fed)
        extra += sum(_level_count(model.indicators[n]) + 1 for n in fed) + len(model.lags)
        self.bounds: dict[str, dict[str, Operand]] = {}
        self.fed: dict[str, dict[str, int]] = {}
        self.next_named = len(FIELDS) * len(self.slots)
        # and per graded indicator its grade (and coefficient); per indicator with a deadline its
        # overdue condition, and the as-of date once
        self.graded = {n for n, ind in model.indicators.items() if model.grades and _graded(ind)}
        due = deadlines(model)
        self.due = {n: due[n] for n, ind in model.indicators.items()
                    if n in due and _graded(ind) and ind.target is not None}
        extra += len(self.graded) * (1 + coefficients(model.grades)) + len(self.due) + bool(self.due)
        extra += sum(1 for ind in model.indicators.values() if ind.adjustments)
        #: ``previous(NAME)`` and ``year_ago(NAME)``: registers the caller fills (unknown when not)
        self.lags: dict[tuple[str, str], int] = {key: self.named() for key in model.lags}
        self.temps_from = len(FIELDS) * len(self.slots) + extra
        self.next = self.temps_from
        self.steps: Steps | list[Step] = Steps()
        self.paths: dict[str, float] = {}  # path weights, see path_weight
        self.levels: dict[str, tuple[dict[str, Operand], int, str]] = {}
        self.grades: dict[str, tuple[int, int | None]] = {}
        self.overdue: dict[str, int] = {}
        self.adjusted_points: dict[str, int] = {}
        self.as_of = self.named() if self.due else None

    def named(self) -> int:
        """A named register past the fields (see ``__init__``)."""
        self.next_named += 1
        return self.next_named - 1

    def reg(self, field: int, name: str) -> int:
        return field * len(self.slots) + self.slots[name]

    def emit(self, op: str, *args: Operand, out: int | None = None) -> int:
        if out is None:
            out = self.next
            self.next += 1
        self.steps.append(Step(op, out, args))
        return out

    def plan(self) -> Plan:
        model = self.model
        for name in model.formula_order:
            self.emit("fin", self.formula(model.indicators[name].formula), out=self.reg(VALUE, name))
        for name in reversed(model.order):  # children before parents
            self.score(name)
        main = self.steps
        expects = {}
        for sc in model.scenarios.values():
            # a scenario's own lines; a period's under ``(scenario, period)``, to date ``(…, "to date")``
            for key, exps in ((sc.name, sc.expects), *(((sc.name, p), e) for p, e in sc.period_expects.items()),
                              *(((sc.name, p, "to date"), e) for p, e in sc.to_date_expects.items())):
                lines = []
                for exp in exps:
                    self.steps = []
                    result = self.formula(exp.condition)
                    lines.append((exp, tuple(self.steps), result))
                if lines:
                    expects[key] = tuple(lines)
        read = set().union(*model.uses.values(), *model.bound_uses.values())
        needed = tuple(n for n, ind in model.indicators.items()  # scored from drivers: not needed
                       if ind.formula is None and ind.kind != "metric"
                       and (n in read or (ind.target is not None and ind.kind != "input"
                                          and (not ind.children or ind.own_score))))
        return Plan(self.slots, main, expects, needed, self.temps_from, self.next, self.levels, self.grades,
                    self.overdue, self.adjusted_points, self.as_of, self.bounds, self.fed, self.lags)

    # formulas -------------------------------------------------------------------------------------

    def formula(self, root) -> Operand:
        """The steps of one checked formula; its result operand (iterative: depth is no limit)."""
        done: list[Operand] = []
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            kids = syntax.operands(node)
            if kids and not ready:
                stack.append((node, True))
                stack.extend((k, False) for k in reversed(kids))
                continue
            args = tuple(done[len(done) - len(kids):]) if kids else ()
            if kids:
                del done[len(done) - len(kids):]
            done.append(self.node(node, args))
        return done[0]

    def node(self, node, args: tuple) -> Operand:
        t = type(node)
        if t is syntax.Number:
            return float(node.value)
        if t is syntax.Boolean:
            return "TRUE" if node.value else "FALSE"
        if t is syntax.Ref:
            return self.reg(VALUE, node.text)
        if t is syntax.Attribute:
            name, attr = node.target.text, node.name.text
            if attr in ("grade", "coefficient", "overdue"):
                return self.result(name, attr)
            field = {"score": SCORE, "achievement": ACHIEVEMENT, "met": MET}[attr]
            return self.reg(field, name)
        if t is syntax.String:  # a grade's name: its index
            return float([g.name for g in self.model.grades].index(node.value))
        if t is syntax.Neg:
            return self.emit("neg", *args)
        if t is syntax.Binary:
            return self.emit(_ARITH[node.op], *args)
        if t is syntax.Compare:
            return self.emit(_CMP[node.op], *args)
        if t is syntax.NotOp:
            return self.emit("not", *args)
        if t is syntax.AndOp or t is syntax.OrOp:
            return self.emit("and" if t is syntax.AndOp else "or", *args)
        if t is syntax.Call:
            func = node.func.text
            if func in LAGS:  # read from a register the caller fills; no steps
                return self.lags[func, node.args.items[0].text]
            if func == "if":
                return self.emit("if_cond" if _is_condition(node.args.items[1]) else "if_num", *args)
            return self.emit(func, *args)
        raise TypeError(f"cannot plan {t.__name__}")

    # scoring --------------------------------------------------------------------------------------

    def score(self, name: str) -> None:
        """Met and achievement against the target, then score, gates, status and drag (``docs/scoring.md``)."""
        ind = self.model.indicators[name]
        value, met, ach = self.reg(VALUE, name), self.reg(MET, name), self.reg(ACHIEVEMENT, name)
        score, status = self.reg(SCORE, name), self.reg(STATUS, name)
        settings = self.model.settings
        if ind.target is not None:
            self.threshold(ind, value, met, ach, float(settings.cap if ind.cap is None else ind.cap))
        if ind.kind == "veto":
            if ind.target is not None:
                self.copy(ach, score)
                fail = self.emit("pick", self.emit("not", met), "FAIL", "NODATA")
                self.emit("pick", met, "PASS", fail, out=status)
            return
        if ind.kind == "input":
            return
        if ind.kind == "adjustment":
            self.adjustment_drag(name, value)
            return
        raw: Operand = "NAN"
        if ind.own_score:  # `score: own`: its drivers stay for diagnosis and drags
            raw = ach if ind.target is not None else "NAN"
        elif ind.children:
            inds = self.model.indicators
            total: Operand = 0.0
            for c in ind.children:
                part = self.emit("mul", float(inds[c].effective_weight), self.reg(SCORE, c))
                total = self.emit("add", total, part)
            raw = total
        elif ind.target is not None:
            raw = ach
        if ind.adjustments:
            raw = self.adjusted(ind, raw, float(settings.cap if ind.cap is None else ind.cap))
        gate = None
        if ind.vetoes:
            gate = self.reg(MET, ind.vetoes[0])
            for v in ind.vetoes[1:]:
                gate = self.emit("and", gate, self.reg(MET, v))
            raw = self.emit("if_num", gate, raw, 0.0)
        if raw != "NAN":
            self.copy(raw, score)
        banded: Operand = "NAN"
        if ind.scored:
            banded = self.status(score, float(settings.green), float(settings.amber))
        if name in self.due:
            banded = self.overdue_status(name, met, banded)
        if gate is not None:
            banded = self.emit("pick", self.emit("not", gate), "VETOED", banded)
        if banded != "NAN":
            self.copy(banded, status)
        if ind.kind == "kpi" and ind.effective_weight is not None:
            self.drag(name, score)
        if name in self.graded:
            self.grade(name, score)

    def copy(self, src: Operand, out: int) -> None:
        """``out`` := ``src`` (as the last step that wrote ``src`` when it is a fresh temporary)."""
        last = self.steps[-1] if self.steps else None
        if isinstance(src, int) and last is not None and last.out == src and src >= self.temps_from:
            self.steps[-1] = Step(last.op, out, last.args)
        else:
            self.emit("copy", src, out=out)

    def level(self, constant: float | None, formula, name: str = "", key: str = "") -> Operand | None:
        """A level as an operand: its number, or its formula computed into a named register; for a
        fed indicator, the named register the caller fills (see ``plan_of``)."""
        if constant is None and formula is None:
            return None
        if name in self.fed_names:
            out = self.fed.setdefault(name, {})[key] = self.named()
            self.bounds.setdefault(name, {})[key] = out
            return out
        if name:
            got = self.level(constant, formula)
            self.bounds.setdefault(name, {})[key] = got
            return got
        if formula is not None:
            out = self.named()
            self.emit("fin", self.formula(formula), out=out)
            return out
        return None if constant is None else float(constant)

    def minus(self, a: Operand, b: Operand) -> Operand:
        """``a - b``: folded when both are numbers."""
        if type(a) is float and type(b) is float:
            return a - b
        return self.emit("sub", a, b)

    def threshold(self, ind, value: int, met: int, ach: int, cap: float) -> None:
        """``met`` and achievement of ``value`` against the target and its levels. Levels written as
        formulas are computed per scenario; where they run out of order, the achievement is unknown."""
        t = ind.target
        op = t.op
        name = ind.name
        varies = _has_formula_levels(ind) or name in self.fed_names  # levels known only when run
        if op == "..":
            low, high = self.level(t.low, t.low_formula, name, "low"), self.level(t.high, t.high_formula, name, "high")
            self.emit("and", self.emit("ge", value, low), self.emit("le", value, high), out=met)
            if varies:  # a band that runs backwards in a scenario: nothing can meet it
                raw = self.emit("if_num", met, 1.0, 0.0)
                self.order(ind.name, {"low": low, "high": high}, [("le", low, high)], "low ≤ high", raw, ach)
            else:
                self.emit("if_num", met, 1.0, 0.0, out=ach)
            return
        bound = self.level(t.value, t.value_formula, name, "target")
        self.emit(_CMP[op], value, bound, out=met)
        if op == "==":
            self.emit("if_num", met, 1.0, 0.0, out=ach)
            return
        base = self.level(ind.baseline, ind.baseline_formula, name, "baseline")
        stretch = self.level(ind.stretch, ind.stretch_formula, name, "stretch")
        above = op == ">="
        if stretch is None:
            yes: Operand = 1.0
        else:  # 1 + (cap - 1) · clamp((a - t) / (s - t), 0, 1), the mirror image for <=
            gap = self.emit("sub", value, bound) if above else self.emit("sub", bound, value)
            share = self.emit("div", gap, self.minus(stretch, bound) if above else self.minus(bound, stretch))
            yes = self.emit("add", 1.0, self.emit("mul", cap - 1.0, self.emit("clamp", share, 0.0, 1.0)))
        if base is not None:  # the way from the baseline: (a - b) / (t - b), at least 0
            gap = self.emit("sub", value, base) if above else self.emit("sub", base, value)
            no: Operand = self.emit("pos", self.emit("div", gap, self.minus(bound, base) if above
                                                     else self.minus(base, bound)))
        elif type(bound) is float:
            if bound <= 0:
                no = 0.0
            elif above:
                no = self.emit("pos", self.emit("div", value, bound))
            else:  # lower is better: t / a for a positive actual
                no = self.emit("pick", self.emit("exceeds", value, 0.0), self.emit("div", bound, value), 0.0)
        else:  # the same, with the bound's sign known only per scenario
            positive = self.emit("exceeds", bound, 0.0)
            if above:
                no = self.emit("pick", positive, self.emit("pos", self.emit("div", value, bound)), 0.0)
            else:
                both = self.emit("and", positive, self.emit("exceeds", value, 0.0))
                no = self.emit("pick", both, self.emit("div", bound, value), 0.0)
        if not varies:
            self.emit("if_num", met, yes, no, out=ach)
        else:
            raw = self.emit("if_num", met, yes, no)
            tests = []
            if base is not None:
                tests.append(("lt", base, bound) if above else ("gt", base, bound))
            if stretch is not None:
                tests.append(("gt", stretch, bound) if above else ("lt", stretch, bound))
            want = "baseline < target < stretch" if above else "baseline > target > stretch"
            levels = {k: v for k, v in (("baseline", base), ("target", bound), ("stretch", stretch)) if v is not None}
            self.order(ind.name, levels, tests, want, raw, ach)

    def order(self, name: str, levels: dict[str, Operand], tests: list, want: str, raw: int, ach: int) -> None:
        """The condition that the levels run in order, in a named register; the achievement ``raw``
        where they do, unknown where they do not (a static order is the compiler's E401/E403)."""
        ok: Operand = "TRUE"
        for cmp, a, b in tests:
            if type(a) is float and type(b) is float:
                continue
            test = self.emit(cmp, a, b)
            ok = test if ok == "TRUE" else self.emit("and", ok, test)
        out = self.named()
        self.emit("copy", ok, out=out)
        self.emit("if_num", out, raw, "NAN", out=ach)
        self.levels[name] = (levels, out, want)

    def status(self, score: int, green: float, amber: float) -> Operand:
        """The status code of a score against the model's bands."""
        red = self.emit("pick", self.emit("known", score), "RED", "NODATA")
        amber_ = self.emit("pick", self.emit("ge", score, amber), "AMBER", red)
        return self.emit("pick", self.emit("ge", score, green), "GREEN", amber_)

    def drag(self, name: str, score: int) -> None:
        """How many points of its KGI the kpi's shortfall costs: path weight · max(0, 1 - score)."""
        d = self.emit("mul", self.path_weight(name), self.emit("pos", self.emit("sub", 1.0, score)))
        self.emit("pick", self.emit("exceeds", d, DRAG_MIN), d, "NAN", out=self.reg(DRAG, name))

    def path_weight(self, name: str) -> float:
        """The product of the effective weights from the top of the tree down to ``name`` (the top's
        own weight not included; a missing weight counts as 1), each computed once from its parent's."""
        inds, chain, n = self.model.indicators, [], name
        while n not in self.paths:
            if inds[n].parent is None:
                self.paths[n] = 1.0
                break
            chain.append(n)
            n = inds[n].parent
        for n in reversed(chain):
            ew = inds[n].effective_weight
            self.paths[n] = self.paths[inds[n].parent] * (1.0 if ew is None else float(ew))
        return self.paths[name]

    # grades, adjustments, deadlines -------------------------------------------------------------

    def grade(self, name: str, score: int) -> None:
        """The index of the grade whose band holds the score (the highest whose ``score: >= N`` it
        reaches, within the tolerance; else the last), and that grade's coefficient."""
        grades = self.model.grades
        with_coef = coefficients(grades)
        last = len(grades) - 1
        g: Operand = float(last)
        c: Operand = "NAN" if grades[last].coefficient is None else float(grades[last].coefficient)
        for k in range(last - 1, -1, -1):
            hit = self.emit("ge", score, float(grades[k].floor))
            g = self.emit("pick", hit, float(k), g)
            if with_coef:
                coef = grades[k].coefficient
                c = self.emit("pick", hit, "NAN" if coef is None else float(coef), c)
        known = self.emit("known", score)
        out = self.named()
        self.emit("pick", known, g, "NAN", out=out)
        coef_out = None
        if with_coef:
            coef_out = self.named()
            self.emit("pick", known, c, "NAN", out=coef_out)
        self.grades[name] = (out, coef_out)

    def adjusted(self, ind, raw: Operand, cap: float) -> Operand:
        """``raw`` plus the points of the indicator's adjustments, their total kept within its
        ``adjustments:`` range, the sum kept within 0 and the cap (unknown points: unknown score)."""
        total: Operand = self.reg(VALUE, ind.adjustments[0])
        for a in ind.adjustments[1:]:
            total = self.emit("add", total, self.reg(VALUE, a))
        out = self.named()
        if ind.adjust_limit is not None:
            self.emit("clamp", total, float(ind.adjust_limit[0]), float(ind.adjust_limit[1]), out=out)
        else:
            self.emit("copy", total, out=out)
        self.adjusted_points[ind.name] = out
        return self.emit("clamp", self.emit("add", raw, out), 0.0, cap)

    def adjustment_drag(self, name: str, value: int) -> None:
        """A deduction's drag: the points it takes, times its parent's path weight."""
        if self.model.indicators[name].parent is None:
            return
        d = self.emit("mul", self.path_weight(name), self.emit("pos", self.emit("neg", value)))
        self.emit("pick", self.emit("exceeds", d, DRAG_MIN), d, "NAN", out=self.reg(DRAG, name))

    def overdue_status(self, name: str, met: int, banded: Operand) -> Operand:
        """Overdue (a named condition): the as-of date is past the deadline and the target is not met;
        then the status is ``overdue``."""
        past = self.emit("gt", self.as_of, float(self.due[name].toordinal()))
        out = self.named()
        self.emit("and", past, self.emit("not", met), out=out)
        self.overdue[name] = out
        return self.emit("pick", out, "OVERDUE", banded)

    def result(self, name: str, attr: str) -> Operand:
        """``x.grade``, ``x.coefficient`` or ``x.overdue`` in an expect: its register, or unknown
        (not overdue) for an indicator that has none."""
        if attr == "overdue":
            return self.overdue.get(name, "FALSE")
        regs = self.grades.get(name)
        reg = None if regs is None else regs[attr == "coefficient"]
        return "NAN" if reg is None else reg


def _graded(ind) -> bool:
    """Whether an indicator gets a grade (and may be overdue): a scored kgi, kpi or metric."""
    return ind.scored and ind.kind in ("kgi", "kpi", "metric")


__all__ = ["Plan", "Step", "plan_of", "assignable", "levels_problem", "FIELDS", "STATUSES", "CONSTANTS", "PRIMITIVES",
           "INLINE", "CODES", "TOL", "DRAG_MIN", "VALUE", "MET", "ACHIEVEMENT", "SCORE", "STATUS", "DRAG"]
