"""What the compiler's passes share while they build one model."""

from __future__ import annotations

import attrs

from ..errors import FindingSink
from ..parsing import syntax
from .model import Model, Target


@attrs.define
class Context:
    """What the passes share: the tree, the model being built and the findings sink."""

    model: Model
    sink: FindingSink
    names: dict[str, object] = attrs.Factory(dict)  # name -> Indicator | Scenario
    #: One-line targets read so far, by their text (Target is immutable, so they can be shared).
    targets: dict[str, Target] = attrs.Factory(dict)
    #: ``model.lines`` once a pass has needed them (a plain attribute is cheaper to read).
    lines: list[str] | None = None


def written(ctx: Context, node) -> str:
    """The text of ``node`` as a message quotes it: the line's span of it (its first line and `…`
    when it runs over several)."""
    s = node.span
    line = ctx.model.lines[s.line - 1]
    return line[s.column - 1:s.end_column - 1] if s.line == s.end_line else line[s.column - 1:].strip() + " …"


def number_literal(node) -> float | None:
    """The float of a number literal, with an optional leading ``-``; else None."""
    if type(node) is syntax.Neg and type(node.operand) is syntax.Number and node.operand.value is not None:
        return -node.operand.value
    return node.value if type(node) is syntax.Number else None

