"""The steps of an evaluation plan, and the compact sequence that holds a plan's main steps.

A ``Step(op, out, args)`` sets register ``out`` to primitive ``op`` of ``args`` (``kpidsl.evaluation.plan``
says what operands are). The plan of a large model has hundreds of thousands of them: as objects,
each with its tuple of operands and its own register numbers, they take about 140 bytes each,
more than the syntax tree they come from. ``Steps`` keeps them in arrays, about 35 bytes a step,
and gives them back as ``Step`` objects one at a time: when indexed, sliced or iterated.
"""

from __future__ import annotations

from array import array
from typing import Iterator, NamedTuple


class Step(NamedTuple):
    """Register ``out`` := primitive (or inline operator) ``op`` of ``args``."""

    op: str
    out: int
    args: tuple


_new = tuple.__new__

#: How an operand is kept: a register (an int) or a number (a float) as its value in ``Steps._values``,
#: anything else (a named constant) as its index in ``Steps._others``.
_REGISTER, _NUMBER, _OTHER = 0, 1, 2


class Steps:
    """A sequence of ``Step``: ``append``, ``len``, iteration, indexing and slicing (a slice is a
    tuple of steps), and replacing the last step (``steps[-1] = step``)."""

    __slots__ = ("_ops", "_outs", "_starts", "_kinds", "_values", "_names", "_codes", "_others", "_known")

    def __init__(self, steps=()) -> None:
        self._ops = array("H")  # per step: its op's code, an index into _names
        self._outs = array("q")  # per step: its register
        self._starts = array("q", [0])  # per step: where its operands start in _kinds and _values; then the end
        self._kinds = bytearray()  # per operand: _REGISTER, _NUMBER or _OTHER
        self._values = array("d")  # per operand: the register or number, or the index in _others
        self._names: list[str] = []
        self._codes: dict[str, int] = {}
        self._others: list = []
        self._known: dict = {}  # an operand of _others -> its index
        for step in steps:
            self.append(step)

    def append(self, step: Step) -> None:
        op, out, args = step
        code = self._codes.get(op)
        if code is None:
            code = self._codes[op] = len(self._names)
            self._names.append(op)
        kinds, values = self._kinds, self._values
        for a in args:
            t = type(a)
            if t is int:
                kinds.append(_REGISTER)
                values.append(a)
            elif t is float:
                kinds.append(_NUMBER)
                values.append(a)
            else:
                kinds.append(_OTHER)
                values.append(self._other(a))
        self._ops.append(code)
        self._outs.append(out)
        self._starts.append(len(kinds))

    def _other(self, a) -> int:
        try:
            index = self._known.get(a)
        except TypeError:  # unhashable: kept as it is
            self._others.append(a)
            return len(self._others) - 1
        if index is None:
            index = self._known[a] = len(self._others)
            self._others.append(a)
        return index

    def __len__(self) -> int:
        return len(self._outs)

    def __iter__(self) -> Iterator[Step]:
        return map(self._step, range(len(self)))

    def _step(self, i: int) -> Step:
        a, b = self._starts[i], self._starts[i + 1]
        others = self._others
        args = tuple([int(v) if kind == _REGISTER else v if kind == _NUMBER else others[int(v)]
                      for kind, v in zip(self._kinds[a:b], self._values[a:b])])
        return _new(Step, (self._names[self._ops[i]], self._outs[i], args))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(map(self._step, range(*i.indices(len(self)))))
        n = len(self)
        if not -n <= i < n:
            raise IndexError("step index out of range")
        return self._step(i % n)

    def __setitem__(self, i: int, step: Step) -> None:
        """Replace the last step (the only one that may be replaced)."""
        n = len(self)
        if i % max(n, 1) != n - 1 or not n:
            raise IndexError("only the last step can be replaced")
        del self._ops[-1], self._outs[-1], self._starts[-1]
        start = self._starts[-1]
        del self._kinds[start:], self._values[start:]
        self.append(step)

    def __repr__(self) -> str:
        return f"Steps({list(self)!r})"
