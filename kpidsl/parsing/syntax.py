"""The syntax tree: one immutable class per grammar rule of ``grammar/kpi.lark``.

A class whose snake_case name (or ``rule``) is a rule of the grammar is built by the parsers from
that rule's children, in order; spans are taken from the tokens. Adding a syntax rule is one grammar
rule plus one class here. Spans never take part in equality, so two trees compare equal when they
say the same thing.

Nodes are named tuples (``@node`` makes one from the annotated fields): a file of 10,000
declarations has about 200,000 nodes, and a tuple is built four times faster than a frozen attrs
instance, which sets each field through ``object.__setattr__``. ``@node`` gives nodes what attrs
gave: immutability, equality and hashing on the fields before ``span`` (and only between nodes of
one class), and a repr without the span. Copies and pickles keep every item.

Each node is one tuple, its span kept in its last items rather than in objects of its own; no item
is kept that the others give (``node.span`` reads them as a ``Span``):

- most nodes keep the four ``POSITIONS`` (line, column, end line, end column) as their last items;
- a ``Token`` (a name or a literal, whose first item is its text) keeps its ``line`` and ``column``:
  it ends on that line, ``len(text)`` columns on;
- an ``EndsWithLast`` (an entry, a threshold, an ``expect``, a period block, a declaration) keeps
  its ``line`` and ``column``: it ends where its last field ends, a node that keeps its own end or
  is a token;
- a ``Ref`` keeps its name's text, not an ``Ident`` of the same place (``ref.name`` makes one);
- a ``Block`` keeps its items before its four positions, not in a tuple of their own (``block.items``
  makes one).
"""

from __future__ import annotations

import collections
import datetime
import operator
from typing import Any, Union

from . import literals
from ..errors import Span


#: Where a node stands, kept as its tuple's last four items (in place of one ``span`` field).
POSITIONS = ("line", "column", "end_line", "end_column")
_NO_SPAN = (None, None, None, None)
_new = tuple.__new__


class Node(tuple):
    """The base of every syntax node: an immutable tuple with named fields, then its position."""

    __slots__ = ()
    #: The field names, in order, ending with the positions; ``_arity`` counts those declared before
    #: ``span``: the items before the positions, which equality and hashing compare. ``_kept``: how
    #: many positions the node keeps (four, or two: where it starts).
    _fields: tuple[str, ...] = ()
    _arity: int = 0
    _kept: int = 4

    @property
    def span(self) -> Span | None:
        """Where the node is in the source text."""
        return None if self[-4] is None else _new(Span, self[-4:])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        n = self._arity
        return self[:n] == other[:n]

    def __ne__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        n = self._arity
        return self[:n] != other[:n]

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self[: self._arity]))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields[: self._arity], self) if f != "problem")
        return f"{self.__class__.__name__}({shown})"

    def __reduce__(self):
        return _restore, (self.__class__, tuple(self))


def _node_new(cls, *fields: Any, span: Span | None = None):
    """``Cls(field, …, span=SPAN)``: the declared fields, then the span (or None), which the tuple
    keeps as its last items."""
    if len(fields) > cls._arity:  # the span given in its place, after the other fields
        *fields, span = fields
    return _new(cls, (*fields, *(span or _NO_SPAN)[: cls._kept]))


class Token(Node):
    """A node of one token, whose first item is its text: it keeps where it starts as its last two
    items; it ends on that line, ``len(text)`` columns on (a token never spans lines)."""

    __slots__ = ()
    _kept = 2

    @property
    def span(self) -> Span | None:
        line, column = self[-2], self[-1]
        return None if line is None else _new(Span, (line, column, line, column + len(self[0])))


class EndsWithLast(Node):
    """A node that ends where its last field, a node, ends: it keeps where it starts as its last two
    items. The last field keeps its own end (or is a ``Token``), so a span is read in a step or two."""

    __slots__ = ()
    _kept = 2

    @property
    def span(self) -> Span | None:
        line = self[-2]
        if line is None:
            return None
        last = self[-3]
        if isinstance(last, Token):  # (most values are one token: its end, without a Span of its own)
            return _new(Span, (line, self[-1], last[-2], last[-1] + len(last[0])))
        last = last.span
        return _new(Span, (line, self[-1], last[2], last[3]))


def _restore(cls: type, items: tuple) -> Node:
    """A node from all of its items (what ``copy`` and ``pickle`` keep)."""
    return _new(cls, items)


def node(cls: type) -> type:
    """Make ``cls`` a ``Node``: its annotated fields, in order, become the tuple's named fields, and
    ``span``, which must come last, its four ``POSITIONS``, or the first two (``line``, ``column``)
    for a ``Token`` or an ``EndsWithLast``. The fields before ``span`` are what equality compares.
    The class body's methods and docstring are kept."""
    fields = tuple(cls.__dict__.get("__annotations__", {}))
    if fields[-1:] != ("span",) or fields.count("span") != 1:
        raise TypeError(f"{cls.__name__}: `span` must be the last field")
    mixins = tuple(b for b in cls.__bases__ if b is not object)
    start_only = any(issubclass(m, Node) for m in mixins)  # a Token or an EndsWithLast
    names = fields[:-1] + POSITIONS[: 2 if start_only else 4]
    base = collections.namedtuple(cls.__name__, names)
    namespace = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    namespace["__slots__"] = ()
    namespace["_fields"] = names
    namespace["_arity"] = len(fields) - 1
    if not any("__new__" in c.__dict__ for c in (cls, *mixins)):
        namespace["__new__"] = _node_new
    # Node (or its subclass) first: its __eq__, __hash__, __repr__ and span win over the named tuple's
    made = type(cls.__name__, (*mixins, base) if start_only else (Node, *mixins, base), namespace)
    made.__module__ = cls.__module__
    return made


def _memo(read):
    """``read`` with its results kept per spelling, as ``(value, problem, spelling)``: they are
    immutable (a float, str or date and a message), a model repeats the same literals many times,
    and the nodes of one spelling can then share one spelling and one value."""
    cache: dict = {}

    def memo(raw: str):
        got = cache.get(raw)
        if got is None:
            got = (*read(raw), raw)
            if len(raw) <= 64:  # the common spellings are short
                if len(cache) >= 1024:  # and come back at once: the cache stays small
                    cache.clear()
                cache[raw] = got
        return got

    memo.__wrapped__ = read
    memo.cache = cache  # the fast parser reads it directly
    return memo


class _Literal(Token):
    """Reads ``raw`` once into ``value`` and ``problem`` (an E002 sentence, or None); both follow
    from ``raw``, so equality is that of the spelling."""

    __slots__ = ()

    def __new__(cls, raw: Any, span: Span | None = None):
        got = cls._read(str(raw))  # (value, problem, spelling)
        return _new(cls, (got[2], got[0], got[1], *(span or _NO_SPAN)[:2]))


@node
class Ident(Token):
    """A name as written, with its place."""

    text: str
    span: Span


@node
class Number(_Literal):
    """A number literal; ``raw`` keeps its spelling (``833万``), ``value`` is its float or None."""

    raw: str
    value: float | None
    problem: str | None
    span: Span

    _read = staticmethod(_memo(literals.read_number))


@node
class String(_Literal):
    """A quoted string; ``raw`` keeps the quotes and escapes, ``value`` is the decoded text."""

    raw: str
    value: str | None
    problem: str | None
    span: Span

    _read = staticmethod(_memo(literals.read_string))


@node
class Date(_Literal):
    """A ``YYYY-MM-DD`` date literal."""

    raw: str
    value: datetime.date | None
    problem: str | None
    span: Span

    _read = staticmethod(_memo(literals.read_date))


@node
class Boolean:
    """``true`` or ``false``."""

    value: bool
    span: Span

    def __new__(cls, value: Any, span: Span | None = None):
        return _new(cls, (value if isinstance(value, bool) else str(value) == "true", *(span or _NO_SPAN)))


@node
class Ref(Token):
    """A name used in a formula: the value of that declaration. The node keeps the name's ``text``
    (the name stands where the node does); ``name`` gives it as an ``Ident``."""

    text: str
    span: Span

    def __new__(cls, name: "str | Ident", span: Span | None = None):
        # lark gives the NAME's Ident
        return _new(cls, (name if name.__class__ is str else name.text, *(span or _NO_SPAN)[:2]))

    @property
    def name(self) -> Ident:
        """The name, with the node's span (an Ident and a Ref keep the same items)."""
        return _new(Ident, self)


@node
class Attribute:
    """``NAME.score``, ``NAME.achievement`` or ``NAME.met``: a result read inside ``expect``."""

    target: "Expr"
    name: Ident
    span: Span

    def __new__(cls, target, name, span: Span | None = None):
        if name.__class__ is str:  # the keyword `grade` (`x.grade`), which lark gives as its text
            end = span or target.span
            name = Ident(name, span=Span(end.end_line, end.end_column - len(name), end.end_line, end.end_column))
        return _new(cls, (target, name, *(span or _NO_SPAN)))


@node
class Args:
    """The arguments of a function call."""

    items: tuple["Expr", ...]
    span: Span


@node
class Call:
    """A function call such as ``min(a, b)`` or ``if(c, x, y)``."""

    func: Ident
    args: Args
    span: Span


@node
class Neg:
    """Unary minus."""

    operand: "Expr"
    span: Span


@node
class Binary:
    """An arithmetic operation: ``+ - * / ^``."""

    left: "Expr"
    op: str
    right: "Expr"
    span: Span


@node
class Compare:
    """A comparison: ``== != < <= > >=`` (non-associative)."""

    left: "Expr"
    op: str
    right: "Expr"
    span: Span


@node
class NotOp:
    """Logical ``not``."""

    operand: "Expr"
    span: Span


@node
class AndOp:
    """Logical ``and``."""

    left: "Expr"
    right: "Expr"
    span: Span


@node
class OrOp:
    """Logical ``or``."""

    left: "Expr"
    right: "Expr"
    span: Span


Expr = Union[Number, Boolean, Ref, Attribute, Call, Neg, Binary, Compare, NotOp, AndOp, OrOp]


@node
class Threshold(EndsWithLast):
    """A target with a direction: ``>= N``, ``<= N`` or ``== N``."""

    op: str
    value: Expr
    span: Span


@node
class Band:
    """A target band ``lo .. hi``."""

    low: Expr
    high: Expr
    span: Span


EntryValue = Union[Expr, Threshold, Band, String, Date]


@node
class Entry(EndsWithLast):
    """``key: value`` inside a block; ``key`` is the key's text, where it stands is ``key_span``."""

    key: str
    value: EntryValue
    span: Span

    def __new__(cls, key: "str | Ident", value: EntryValue, span: Span | None = None):
        # the plain parser gives the key's NAME as an Ident (a key is where an entry starts)
        return _new(cls, (key if key.__class__ is str else key.text, value, *(span or _NO_SPAN)[:2]))

    @property
    def key_span(self) -> Span:
        """Where the key stands: findings about the entry start there."""
        line, column = self[-2], self[-1]
        return Span(line, column, line, column + len(self.key))


@node
class Expect(EndsWithLast):
    """``expect CONDITION`` inside a scenario: a golden check run by ``kpi test``."""

    keyword: Ident
    condition: Expr
    span: Span
    problem_code = "E001"

    @property
    def problem(self) -> str | None:
        """An item ``NAME EXPR`` is only valid when NAME is ``expect``."""
        if self.keyword.text == "expect":
            return None
        return (f"found `{self.keyword.text}` followed by a formula; expected `:` after an entry's key "
                "(`key: value`), or `expect` before a condition")


@node
class PeriodBlock(EndsWithLast):
    """``period "2025-07" { … }`` inside a scenario: the values (and ``expect`` lines) of one period."""

    keyword: Ident
    period: String
    body: "Block"
    span: Span
    problem_code = "E001"

    @property
    def problem(self) -> str | None:
        """An item ``NAME "text" { … }`` is only valid when NAME is ``period`` or ``to_date`` (a block of
        ``expect`` lines about that period to date)."""
        if self.keyword.text in ("period", "to_date"):
            return None
        return (f"found `{self.keyword.text}` followed by a string; expected `:` after an entry's key "
                "(`key: value`), or `period` before a quoted period and its block (`period \"2025-07\" { … }`)")


class Block(Node):
    """The ``{ … }`` body of a declaration: entries, expects and nested declarations. The node keeps
    them as its items before its four positions, not as a tuple of its own; ``items`` gives them as
    one (a new tuple each time: a loop reads it once)."""

    __slots__ = ()
    _fields = ("items", *POSITIONS)
    _arity = -4  # any number of items, then the four positions
    line, column, end_line, end_column = (property(operator.itemgetter(k)) for k in range(-4, 0))

    def __new__(cls, items: tuple, span: Span | None = None):
        return _new(cls, (*items, *(span or _NO_SPAN)))

    @property
    def items(self) -> tuple:
        """The entries, expects and declarations, in order."""
        return self[:-4]

    def __repr__(self) -> str:
        return f"Block(items={self.items!r})"


@node
class IndicatorDecl(EndsWithLast):
    """A ``kgi``, ``kpi``, ``veto``, ``metric`` or ``input`` declaration."""

    kind: str
    name: Ident
    label: String | None
    body: Block
    span: Span


@node
class ModelDecl(EndsWithLast):
    """The file's ``model "label" { … }`` header."""

    keyword: str
    label: String | None
    body: Block
    span: Span


@node
class ScenarioDecl(EndsWithLast):
    """A ``scenario NAME ["label"] [extends NAME] { … }`` of actual or assumed values."""

    keyword: str
    name: Ident
    label: String | None
    extends: Ident | None
    body: Block
    span: Span


Decl = Union[ModelDecl, IndicatorDecl, ScenarioDecl]


@node
class File:
    """A whole ``.kpi`` file: its declarations in order."""

    decls: tuple
    span: Span


#: Classes whose children are gathered into one tuple (rules with a repeated part).
LIST_RULES = {"file": File, "args": Args, "block": Block}


def operands(node: Any) -> tuple:
    """The sub-formulas a formula node combines (none for a number, boolean, name or result)."""
    t = type(node)
    if t is Neg or t is NotOp:
        return (node.operand,)
    if t is Binary or t is Compare or t is AndOp or t is OrOp:
        return (node.left, node.right)
    if t is Call:
        return tuple(node.args.items)
    return ()


def iter_nodes(node: Any):
    """Every node below ``node`` (itself included), depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is tuple:  # a node's tuple of children (nodes are tuples of another class)
            stack.extend(reversed(n))
            continue
        if not isinstance(n, Node):  # None, a string, a number
            continue
        yield n
        stack.extend(reversed(n[: n._arity]))
