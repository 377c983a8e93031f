"""The syntax tree: one frozen class per grammar rule of ``grammar/kpi.lark``.

A class whose snake_case name (or ``rule``) is a rule of the grammar is built by
``kpidsl.parser`` from that rule's children, in order; spans are taken from the tokens. Adding a
syntax rule is one grammar rule plus one class here. Spans never take part in equality, so two
trees compare equal when they say the same thing.
"""

from __future__ import annotations

import datetime
from typing import Any, Union

import attrs

from . import literals
from .findings import Span

_span = attrs.field(eq=False, repr=False, kw_only=True)


def _text(tok: Any) -> str:
    return str(tok)


def _memo(read):
    """``read`` with its results kept per spelling (they are immutable: a float, str or date and a
    message); a model repeats the same literals many times."""
    cache: dict = {}

    def memo(raw: str):
        got = cache.get(raw)
        if got is None:
            got = read(raw)
            if len(cache) < 4096:  # the common spellings come early; the cache stays small
                cache[raw] = got
        return got

    memo.__wrapped__ = read
    return memo


class _Literal:
    """Reads ``raw`` once into ``value`` and ``problem`` (an E002 sentence, or None)."""

    def __attrs_post_init__(self) -> None:
        value, problem = self._read(self.raw)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "problem", problem)


@attrs.frozen
class Ident:
    """A name as written, with its place."""

    text: str
    span: Span = _span


@attrs.frozen
class Number(_Literal):
    """A number literal; ``raw`` keeps its spelling (``833万``), ``value`` is its float or None."""

    raw: str = attrs.field(converter=_text)
    span: Span = _span
    value: float | None = attrs.field(init=False, eq=False)
    problem: str | None = attrs.field(init=False, eq=False, repr=False)

    _read = staticmethod(_memo(literals.read_number))


@attrs.frozen
class String(_Literal):
    """A quoted string; ``raw`` keeps the quotes and escapes, ``value`` is the decoded text."""

    raw: str = attrs.field(converter=_text)
    span: Span = _span
    value: str | None = attrs.field(init=False, eq=False)
    problem: str | None = attrs.field(init=False, eq=False, repr=False)

    _read = staticmethod(literals.read_string)


@attrs.frozen
class Date(_Literal):
    """A ``YYYY-MM-DD`` date literal."""

    raw: str = attrs.field(converter=_text)
    span: Span = _span
    value: datetime.date | None = attrs.field(init=False, eq=False)
    problem: str | None = attrs.field(init=False, eq=False, repr=False)

    _read = staticmethod(_memo(literals.read_date))


@attrs.frozen
class Boolean:
    """``true`` or ``false``."""

    value: bool = attrs.field(converter=lambda tok: str(tok) == "true")
    span: Span = _span


@attrs.frozen
class Ref:
    """A name used in a formula: the value of that declaration."""

    name: Ident
    span: Span = _span


@attrs.frozen
class Attribute:
    """``NAME.score``, ``NAME.achievement`` or ``NAME.met``: a result read inside ``expect``."""

    target: "Expr"
    name: Ident
    span: Span = _span


@attrs.frozen
class Args:
    """The arguments of a function call."""

    items: tuple["Expr", ...] = attrs.field(converter=tuple)
    span: Span = _span


@attrs.frozen
class Call:
    """A function call such as ``min(a, b)`` or ``if(c, x, y)``."""

    func: Ident
    args: Args
    span: Span = _span


@attrs.frozen
class Neg:
    """Unary minus."""

    operand: "Expr"
    span: Span = _span


@attrs.frozen
class Binary:
    """An arithmetic operation: ``+ - * / ^``."""

    left: "Expr"
    op: str = attrs.field(converter=_text)
    right: "Expr" = attrs.field()
    span: Span = _span


@attrs.frozen
class Compare:
    """A comparison: ``== != < <= > >=`` (non-associative)."""

    left: "Expr"
    op: str = attrs.field(converter=_text)
    right: "Expr" = attrs.field()
    span: Span = _span


@attrs.frozen
class NotOp:
    """Logical ``not``."""

    operand: "Expr"
    span: Span = _span


@attrs.frozen
class AndOp:
    """Logical ``and``."""

    left: "Expr"
    right: "Expr"
    span: Span = _span


@attrs.frozen
class OrOp:
    """Logical ``or``."""

    left: "Expr"
    right: "Expr"
    span: Span = _span


Expr = Union[Number, Boolean, Ref, Attribute, Call, Neg, Binary, Compare, NotOp, AndOp, OrOp]


@attrs.frozen
class Threshold:
    """A target with a direction: ``>= N``, ``<= N`` or ``== N``."""

    op: str = attrs.field(converter=_text)
    value: Expr = attrs.field()
    span: Span = _span


@attrs.frozen
class Band:
    """A target band ``lo .. hi``."""

    low: Expr
    high: Expr
    span: Span = _span


EntryValue = Union[Expr, Threshold, Band, String, Date]


@attrs.frozen
class Entry:
    """``key: value`` inside a block."""

    key: Ident
    value: EntryValue
    span: Span = _span


@attrs.frozen
class Expect:
    """``expect CONDITION`` inside a scenario: a golden check run by ``kpi test``."""

    keyword: Ident
    condition: Expr
    span: Span = _span
    problem_code = "E001"

    @property
    def problem(self) -> str | None:
        """An item ``NAME EXPR`` is only valid when NAME is ``expect``."""
        if self.keyword.text == "expect":
            return None
        return (f"found `{self.keyword.text}` followed by a formula; expected `:` after an entry's key "
                "(`key: value`), or `expect` before a condition")


@attrs.frozen
class Block:
    """The ``{ … }`` body of a declaration: entries, expects and nested declarations."""

    items: tuple = attrs.field(converter=tuple)
    span: Span = _span


@attrs.frozen
class IndicatorDecl:
    """A ``kgi``, ``kpi``, ``veto``, ``metric`` or ``input`` declaration."""

    kind: str = attrs.field(converter=_text)
    name: Ident = attrs.field()
    label: String | None = attrs.field()
    body: Block = attrs.field()
    span: Span = _span


@attrs.frozen
class ModelDecl:
    """The file's ``model "label" { … }`` header."""

    keyword: str = attrs.field(converter=_text)
    label: String | None = attrs.field()
    body: Block = attrs.field()
    span: Span = _span


@attrs.frozen
class ScenarioDecl:
    """A ``scenario NAME ["label"] [extends NAME] { … }`` of actual or assumed values."""

    keyword: str = attrs.field(converter=_text)
    name: Ident = attrs.field()
    label: String | None = attrs.field()
    extends: Ident | None = attrs.field()
    body: Block = attrs.field()
    span: Span = _span


Decl = Union[ModelDecl, IndicatorDecl, ScenarioDecl]


@attrs.frozen
class File:
    """A whole ``.kpi`` file: its declarations in order."""

    decls: tuple = attrs.field(converter=tuple)
    span: Span = _span


#: Classes whose children are gathered into one tuple (rules with a repeated part).
LIST_RULES = {"file": File, "args": Args, "block": Block}


def iter_nodes(node: Any):
    """Every node below ``node`` (itself included), depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None or isinstance(n, (str, int, float, bool)):
            continue
        if isinstance(n, tuple):
            stack.extend(reversed(n))
            continue
        yield n
        stack.extend(
            reversed([getattr(n, f.name) for f in attrs.fields(type(n)) if f.eq and f.name != "span"])
        )
