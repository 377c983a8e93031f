"""What the compiler's passes share while they build one model."""

from __future__ import annotations

import attrs

from ..errors import FindingSink
from ..parsing import syntax
from ..parsing.sources import Lines
from .model import Model, Target


@attrs.define
class Context:
    """What the passes share: the tree, the model being built and the findings sink."""

    model: Model
    sink: FindingSink
    #: The scenarios and grades by name (the indicators are ``model.indicators``): names are unique
    #: across every kind of declaration, and a second table of every indicator is a model's size again.
    others: dict[str, object] = attrs.Factory(dict)
    #: One-line targets read so far, by their text (Target is immutable, so they can be shared).
    targets: dict[str, Target] = attrs.Factory(dict)
    #: ``model.lines`` once a pass has needed them (a plain attribute is cheaper to read).
    lines: Lines | None = None

    def declared(self, name: str):
        """The Indicator, Scenario or Grade declared as ``name``, else None."""
        found = self.model.indicators.get(name)
        return self.others.get(name) if found is None else found


def number_of(value) -> float | None:
    """The float of ``N`` (a number literal with an optional leading ``-``), else None."""
    t = type(value)
    if t is syntax.Number:
        return value.value
    if t is syntax.Neg and type(value.operand) is syntax.Number:
        v = value.operand.value
        return None if v is None else -v
    return None


#: The field of each node that is written first; the span of a prefix operator (`-`, `not`) starts at
#: its operand, and a bracketed operand's span inside the brackets.
_FIRST = {syntax.Binary: "left", syntax.Compare: "left", syntax.AndOp: "left", syntax.OrOp: "left",
          syntax.Band: "low", syntax.Attribute: "target", syntax.Neg: "operand", syntax.NotOp: "operand"}


def written_span(line: str, node, start: int, end: int) -> tuple[int, int]:
    """Where ``node``, spanning ``line[start:end]``, is written: with the `-` and `not` of the prefix
    operators and the opening brackets that its span leaves out (and the brackets they open)."""
    prefixes = 0
    while (t := type(node)) in _FIRST:
        prefixes += t is syntax.Neg or t is syntax.NotOp
        node = getattr(node, _FIRST[t])
    unmatched = depth = 0  # brackets closed in the span but opened before it
    if ")" in line[start:end]:
        for c in line[start:end]:
            depth += (c == "(") - (c == ")")
            unmatched = max(unmatched, -depth)
    opened = 0  # brackets taken that close after the span
    while prefixes or unmatched:
        j = len(line[:start].rstrip(" \t\r\f"))
        if line[j - 1 : j] == "(":
            start = j - 1
            if unmatched:
                unmatched -= 1
            else:
                opened += 1
        elif prefixes and line[j - 1 : j] == "-":
            start, prefixes = j - 1, prefixes - 1
        elif prefixes and line[j - 3 : j] == "not" and not line[j - 4 : j - 3].isidentifier():
            start, prefixes = j - 3, prefixes - 1
        else:
            break
    for _ in range(opened):
        rest = line[end:].lstrip(" \t\r\f")
        if not rest.startswith(")"):
            break
        end = len(line) - len(rest) + 1
    return start, end


def source_text(model: Model, node) -> str:
    """The text of ``node`` as written (one line), its leading `-`, `not` and brackets included."""
    s = node.span
    line = model.lines[s.line - 1]
    one_line = s.line == s.end_line
    start, end = written_span(line, node, s.column - 1, s.end_column - 1 if one_line else len(line))
    return line[start:end] if one_line else line[start:].strip() + " …"


def pct(x: float) -> str:
    """A fraction as a message writes it: ``0.95`` → ``95%``."""
    return f"{x * 100:.10g}%"
