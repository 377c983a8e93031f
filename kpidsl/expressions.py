"""Formulas and conditions: names, functions and types (E101, E103, E302, E303, E503)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import syntax
from .findings import closest
from .model import Indicator

if TYPE_CHECKING:
    from .compiler import Context

NUM, BOOL = "number", "condition"
#: name -> (fewest arguments, most arguments or None for any number)
FUNCTIONS = {
    "min": (1, None), "max": (1, None), "sum": (1, None), "avg": (1, None),
    "abs": (1, 1), "round": (1, 2), "clamp": (3, 3), "if": (3, 3),
}
RESULTS = {"score": NUM, "achievement": NUM, "met": BOOL}
#: Deeper formulas are reported rather than walked (the walk itself is iterative elsewhere).
MAX_FORMULA_DEPTH = 2000


def check(expr, ctx: "Context", *, expect: bool, want: str) -> set[str]:
    """Check ``expr`` and return the declaration names it reads (its dependencies)."""
    checker = _Checker(ctx, expect)
    got = checker.infer(expr, 0)
    if got is not None and got != want:
        if expect:
            ctx.sink.add("E503", expr.span, "`expect` needs a condition, but this is a number; compare it, "
                         "e.g. `expect x >= 95%`")
        else:
            ctx.sink.add("E303", expr.span, "a `value` must be a number, but this is a condition; "
                         "turn it into a number with `if(condition, 1, 0)`")
    return checker.uses


class _Checker:
    def __init__(self, ctx: "Context", expect: bool):
        self.ctx = ctx
        self.expect = expect
        self.uses: set[str] = set()

    def need(self, node, want: str, depth: int, where: str) -> None:
        got = self.infer(node, depth + 1)
        if got is not None and got != want:
            if want == NUM:
                msg = f"{where} needs a number, but this is a condition"
            else:
                msg = f"{where} needs a condition (a comparison, `and`, `or`, `not`), but this is a number"
            self.ctx.sink.add("E303", node.span, msg)

    def infer(self, node, depth: int) -> str | None:
        if depth > MAX_FORMULA_DEPTH:
            self.ctx.sink.add("E001", node.span, f"the formula nests deeper than {MAX_FORMULA_DEPTH} "
                              "levels; split it into named metrics")
            raise _TooDeep
        t = type(node)
        if t is syntax.Number:
            return NUM
        if t is syntax.Boolean:
            return BOOL
        if t is syntax.Ref:
            return self.ref(node.name)
        if t is syntax.Attribute:
            return self.attribute(node, depth)
        if t is syntax.Neg:
            self.need(node.operand, NUM, depth, "`-`")
            return NUM
        if t is syntax.Binary:
            self.need(node.left, NUM, depth, f"`{node.op}`")
            self.need(node.right, NUM, depth, f"`{node.op}`")
            return NUM
        if t is syntax.Compare:
            if node.op in ("==", "!="):
                a, b = self.infer(node.left, depth + 1), self.infer(node.right, depth + 1)
                if a is not None and b is not None and a != b:
                    self.ctx.sink.add("E303", node.span, f"`{node.op}` compares a number with a condition")
            else:
                self.need(node.left, NUM, depth, f"`{node.op}`")
                self.need(node.right, NUM, depth, f"`{node.op}`")
            return BOOL
        if t is syntax.NotOp:
            self.need(node.operand, BOOL, depth, "`not`")
            return BOOL
        if t in (syntax.AndOp, syntax.OrOp):
            word = "`and`" if t is syntax.AndOp else "`or`"
            self.need(node.left, BOOL, depth, word)
            self.need(node.right, BOOL, depth, word)
            return BOOL
        if t is syntax.Call:
            return self.call(node, depth)
        return None

    def ref(self, name: syntax.Ident) -> str | None:
        target = self.ctx.names.get(name.text)
        if target is None:
            candidates = [n for n in self.ctx.model.indicators]
            self.ctx.sink.add("E101", name.span, f"`{name.text}` is not declared" + closest(name.text, candidates))
            return None
        if not isinstance(target, Indicator):
            self.ctx.sink.add("E103", name.span, f"`{name.text}` is a scenario, not a value; a formula reads "
                              "inputs and indicators")
            return None
        self.uses.add(name.text)
        return NUM

    def attribute(self, node: syntax.Attribute, depth: int) -> str | None:
        attr = node.name.text
        if not self.expect:
            self.ctx.sink.add("E503", node.name.span, f"`.{attr}` reads an evaluation result and exists only "
                              "inside `expect`; a formula reads values by name")
            return None
        if attr not in RESULTS:
            self.ctx.sink.add("E503", node.name.span, f"unknown result `.{attr}`; expected `.score`, "
                              "`.achievement` or `.met` (the value itself is the bare name)")
            return None
        if not isinstance(node.target, syntax.Ref):
            self.ctx.sink.add("E503", node.span, f"`.{attr}` follows a name, as in `sales.{attr}`")
            return None
        self.ref(node.target.name)
        return RESULTS[attr]

    def call(self, node: syntax.Call, depth: int) -> str | None:
        name, args = node.func.text, node.args.items
        if name not in FUNCTIONS:
            self.ctx.sink.add("E302", node.func.span, f"unknown function `{name}`" + closest(name, FUNCTIONS)
                              + "; the functions are " + ", ".join(f"`{f}`" for f in FUNCTIONS))
            for a in args:
                self.infer(a, depth + 1)
            return None
        lo, hi = FUNCTIONS[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = {(1, None): "one or more arguments", (1, 1): "one argument", (1, 2): "one or two arguments",
                    (3, 3): "three arguments"}[(lo, hi)]
            self.ctx.sink.add("E302", node.func.span, f"`{name}` takes {want}, but is given {len(args)}")
            for a in args:
                self.infer(a, depth + 1)
            return None
        if name == "if":
            self.need(args[0], BOOL, depth, "the first argument of `if`")
            a, b = self.infer(args[1], depth + 1), self.infer(args[2], depth + 1)
            if a is not None and b is not None and a != b:
                self.ctx.sink.add("E303", node.span, "the two branches of `if` must both be numbers or both "
                                  "be conditions")
                return None
            return a or b
        for a in args:
            self.need(a, NUM, depth, f"`{name}`")
        return NUM


class _TooDeep(Exception):
    pass


def safe_check(expr, ctx: "Context", *, expect: bool, want: str) -> set[str]:
    """``check`` that turns a too-deep formula into its one finding."""
    try:
        return check(expr, ctx, expect=expect, want=want)
    except _TooDeep:
        return set()
