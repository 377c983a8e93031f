"""Formulas and conditions: names, functions and types (E101, E103, E302, E303, E503)."""

from __future__ import annotations

from typing import Iterable

from ..errors import closest
from ..parsing import syntax
from .context import Context
from .model import Indicator

NUM, BOOL, GRADE = "number", "condition", "grade"
#: name -> (fewest arguments, most arguments or None for any number)
FUNCTIONS = {
    "min": (1, None), "max": (1, None), "sum": (1, None), "avg": (1, None),
    "abs": (1, 1), "round": (1, 2), "clamp": (3, 3), "if": (3, 3),
    "previous": (1, 1), "year_ago": (1, 1),
}
#: Functions that read a supplied value in another period (``kpidsl.evaluation.periods``).
LAGS = ("previous", "year_ago")
RESULTS = {"score": NUM, "achievement": NUM, "met": BOOL, "grade": GRADE, "coefficient": NUM, "overdue": BOOL}
#: The results that need the model's grades.
GRADED = ("grade", "coefficient")
#: Deeper formulas are reported rather than walked (the walk itself is iterative elsewhere).
MAX_FORMULA_DEPTH = 2000


def check(expr, ctx: Context, *, expect: bool, want: str) -> set[str]:
    """Check ``expr`` and return the declaration names it reads (its dependencies)."""
    return _Checker(ctx, expect).check(expr, want)


def check_values(ctx: Context, indicators: Iterable[Indicator]) -> dict[str, set[str]]:
    """``safe_check`` of each indicator's ``value`` formula, in order: the names each one reads,
    by indicator name. One checker does them all, and ``_Checker.check`` is inlined: a model has
    a formula per indicator, most of them arithmetic. Formulas that read the same names share one
    set (a set takes 216 bytes or more, and the kpis of a tree mostly read the same inputs)."""
    checker = _Checker(ctx, expect=False)
    uses: dict[str, set[str]] = {}
    shared: dict[frozenset[str], set[str]] = {}
    for ind in indicators:
        formula = ind.formula
        if formula is None:
            continue
        checker.uses = used = set()
        try:
            if type(formula) is syntax.Binary:  # a number, and what its operands say
                checker.numbers((formula.left, formula.right), 0, formula.op)
            elif checker.infer(formula, 0) == BOOL:
                checker.mismatch(formula)
        except _TooDeep:
            used = set()
        uses[ind.name] = shared.setdefault(frozenset(used), used)
    return uses


class _Checker:
    """Infers what each node of a formula gives (NUM, BOOL, or None when unknown after a finding)
    and gathers the declaration names the formula reads."""

    def __init__(self, ctx: Context, expect: bool):
        self.ctx = ctx
        self.sink = ctx.sink
        self.indicators = ctx.model.indicators
        self.expect = expect
        self.uses: set[str] = set()

    def check(self, expr, want: str) -> set[str]:
        """The names ``expr`` reads; E503/E303 when it gives the other type than ``want``."""
        self.uses = uses = set()
        if type(expr) is syntax.Binary:  # infer's arithmetic, inline (most formulas are arithmetic)
            self.numbers((expr.left, expr.right), 0, expr.op)
            got = NUM
        else:
            got = self.infer(expr, 0)
        if got is not None and got != want:
            self.mismatch(expr)
        return uses

    def mismatch(self, expr) -> None:
        """E503 for an ``expect`` that is a number, E303 for a ``value`` that is a condition."""
        if self.expect:
            what = "a grade" if type(expr) is syntax.String or type(expr) is syntax.Attribute else "a number"
            self.sink.add("E503", expr.span, f"`expect` needs a condition, but this is {what}; compare it, "
                          "e.g. `expect x >= 95%`")
        else:
            self.sink.add("E303", expr.span, "a `value` must be a number, but this is a condition; "
                          "turn it into a number with `if(condition, 1, 0)`")

    def need(self, node, want: str, depth: int, where: str) -> None:
        got = self.infer(node, depth + 1)
        if got is not None and got != want:
            self.wrong(node, want, where)

    def wrong(self, node, want: str, where: str) -> None:
        """E303: ``node`` gives the other type than ``where`` needs."""
        if type(node) is syntax.String or (type(node) is syntax.Attribute and node.name.text == "grade"):
            msg = (f"{where} needs a {want}, but this is a grade; a grade is only compared with `==` or `!=` "
                   'to a grade\'s name, as in `expect x.grade == "A"`')
        elif want == NUM:
            msg = f"{where} needs a number, but this is a condition"
        else:
            msg = f"{where} needs a condition (a comparison, `and`, `or`, `not`), but this is a number"
        self.sink.add("E303", node.span, msg)

    def infer(self, node, depth: int) -> str | None:
        if depth > MAX_FORMULA_DEPTH:
            self.sink.add("E001", node.span, f"the formula nests deeper than {MAX_FORMULA_DEPTH} "
                          "levels; split it into named metrics")
            raise _TooDeep
        t = type(node)
        if t is syntax.Number:
            return NUM
        if t is syntax.Ref:
            return self.ref(node)
        if t is syntax.Binary:  # arithmetic, inline
            self.numbers((node.left, node.right), depth, node.op)
            return NUM
        rule = _RULES.get(t)
        return None if rule is None else rule(self, node, depth)

    def numbers(self, operands, depth: int, op: str) -> None:
        """``need`` a number from each of ``operands`` of ``op`` (an operator or a function)."""
        # Numbers, names and arithmetic (most operands) are settled here, without going through
        # infer: a number is a number, a name is a number or reported by ref, and arithmetic gives a
        # number. Not at the depth limit, where infer reports the operand instead.
        if depth >= MAX_FORMULA_DEPTH:
            for operand in operands:
                self.need(operand, NUM, depth, f"`{op}`")
            return
        indicators, uses = self.indicators, self.uses
        for operand in operands:
            t = type(operand)
            if t is syntax.Number:
                continue
            if t is syntax.Ref:  # ref's common case, inline: the name of an indicator
                try:
                    uses.add(indicators[operand.text].name)
                except KeyError:
                    self.ref(operand)
                continue
            if t is syntax.Binary:
                self.numbers((operand.left, operand.right), depth + 1, operand.op)
                continue
            got = self.infer(operand, depth + 1)
            if got is not None and got != NUM:
                self.wrong(operand, NUM, f"`{op}`")

    def negation(self, node: syntax.Neg, depth: int) -> str:
        self.need(node.operand, NUM, depth, "`-`")
        return NUM

    def compare(self, node: syntax.Compare, depth: int) -> str:
        if node.op in ("==", "!="):
            a, b = self.infer(node.left, depth + 1), self.infer(node.right, depth + 1)
            if a is not None and b is not None and a != b:
                if GRADE in (a, b):
                    self.sink.add("E303", node.span, f"`{node.op}` compares a grade with a {a if b == GRADE else b}; "
                                  'compare a grade with a grade\'s name, as in `x.grade == "A"`')
                else:
                    self.sink.add("E303", node.span, f"`{node.op}` compares a number with a condition")
        else:
            self.need(node.left, NUM, depth, f"`{node.op}`")
            self.need(node.right, NUM, depth, f"`{node.op}`")
        return BOOL

    def logic(self, node, depth: int) -> str:
        if type(node) is syntax.NotOp:
            self.need(node.operand, BOOL, depth, "`not`")
            return BOOL
        word = "`and`" if type(node) is syntax.AndOp else "`or`"
        self.need(node.left, BOOL, depth, word)
        self.need(node.right, BOOL, depth, word)
        return BOOL

    def ref(self, name: syntax.Ref) -> str | None:
        target = self.ctx.declared(name.text)
        if not isinstance(target, Indicator):
            if target is not None and getattr(target, "kind", None) == "grade":
                self.sink.add("E103", name.span, f"`{name.text}` is a grade, not a value; compare a result's "
                              f'grade with its name in quotes: `expect x.grade == "{name.text}"`')
                return None
            if target is None:
                self.sink.add("E101", name.span, f"`{name.text}` is not declared"
                              + closest(name.text, self.ctx.model.indicators, self.sink))
            else:
                self.sink.add("E103", name.span, f"`{name.text}` is a scenario, not a value; a formula "
                              "reads inputs and indicators")
            return None
        # the declaration's own string: equal to the one written, and the same object for every formula
        self.uses.add(target.name)
        return NUM

    def attribute(self, node: syntax.Attribute, depth: int) -> str | None:
        attr = node.name.text
        if not self.expect:
            self.sink.add("E503", node.name.span, f"`.{attr}` reads an evaluation result and exists only "
                          "inside `expect`; a formula reads values by name")
            return None
        if attr not in RESULTS:
            self.sink.add("E503", node.name.span, f"unknown result `.{attr}`; expected `.score`, "
                          "`.achievement` or `.met` (the value itself is the bare name)")
            return None
        if attr in GRADED and not self.ctx.model.grades:
            self.sink.add("E503", node.name.span, f"`.{attr}` reads a grade, but the model declares no grades; "
                          "declare them, such as `grade A { score: >= 100% }`")
            return None
        if not isinstance(node.target, syntax.Ref):
            self.sink.add("E503", node.span, f"`.{attr}` follows a name, as in `sales.{attr}`")
            return None
        self.ref(node.target)
        return RESULTS[attr]

    def call(self, node: syntax.Call, depth: int) -> str | None:
        name, args = node.func.text, node.args.items
        if name not in FUNCTIONS:
            self.sink.add("E302", node.func.span, f"unknown function `{name}`" + closest(name, FUNCTIONS)
                          + "; the functions are " + ", ".join(f"`{f}`" for f in FUNCTIONS))
            for a in args:
                self.infer(a, depth + 1)
            return None
        lo, hi = FUNCTIONS[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = {(1, None): "one or more arguments", (1, 1): "one argument", (1, 2): "one or two arguments",
                    (3, 3): "three arguments"}[(lo, hi)]
            self.sink.add("E302", node.func.span, f"`{name}` takes {want}, but is given {len(args)}")
            for a in args:
                self.infer(a, depth + 1)
            return None
        if name in LAGS:
            return self.lag(node, name, args[0])
        if name == "if":
            self.need(args[0], BOOL, depth, "the first argument of `if`")
            a, b = self.infer(args[1], depth + 1), self.infer(args[2], depth + 1)
            if a is not None and b is not None and a != b:
                self.sink.add("E303", node.span, "the two branches of `if` must both be numbers or both "
                              "be conditions")
                return None
            return a or b
        self.numbers(args, depth, name)
        return NUM


    def lag(self, node: syntax.Call, func: str, arg) -> str | None:
        """``previous(NAME)`` or ``year_ago(NAME)``: the value a scenario supplies for NAME (an input,
        or an indicator without a formula) in the period before, or a year before (E302 otherwise)."""
        if type(arg) is not syntax.Ref:
            self.sink.add("E302", arg.span, f"`{func}` takes the name of an input, as in `{func}(sales)`; "
                          "compute the formula from the inputs' earlier values")
            self.infer(arg, 1)
            return None
        if self.ref(arg) is None:
            return None
        target = self.indicators[arg.text]
        if target.formula is not None or "value" in target.entries:
            self.sink.add("E302", arg.span, f"`{func}` reads what a scenario supplies, and `{arg.text}` is "
                          "computed by its `value` formula; write the formula over the inputs' earlier values")
            return None
        self.ctx.model.lags.setdefault((func, target.name))
        return NUM


class _TooDeep(Exception):
    pass


#: How each kind of node is checked (numbers, names and arithmetic are tried first, in ``infer``).
def _grade_name(checker: _Checker, node: syntax.String, depth: int) -> str | None:
    """A grade's name in quotes (``"A"``): a grade, when the model declares one of that name."""
    names = [g.name for g in checker.ctx.model.grades]
    if node.value not in names:
        checker.sink.add("E101", node.span, f"`{node.value}` is not a grade of the model" + closest(node.value, names)
                         + ("; the grades are " + ", ".join(f"`{n}`" for n in names) if names else
                            "; the model declares no grades"))
        return None
    return GRADE


_RULES = {
    syntax.Boolean: lambda checker, node, depth: BOOL,
    syntax.String: _grade_name,
    syntax.Attribute: _Checker.attribute,
    syntax.Neg: _Checker.negation,
    syntax.Compare: _Checker.compare,
    syntax.NotOp: _Checker.logic,
    syntax.AndOp: _Checker.logic,
    syntax.OrOp: _Checker.logic,
    syntax.Call: _Checker.call,
}


def safe_check(expr, ctx: Context, *, expect: bool, want: str) -> set[str]:
    """``check`` that turns a too-deep formula into its one finding."""
    try:
        return check(expr, ctx, expect=expect, want=want)
    except _TooDeep:
        return set()
