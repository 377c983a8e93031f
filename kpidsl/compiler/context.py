"""What the compiler's passes share while they build one model."""

from __future__ import annotations

import attrs

from ..errors import FindingSink
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
