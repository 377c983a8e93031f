"""Where each name of a file stands and where each declaration is: what an editor needs for go to
definition, references, rename, the outline and folding.

Read from the syntax tree alone, so it answers for any file that parses, whatever the compiler
finds in it.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import Span
from ..gcpause import paused_gc
from . import syntax

#: The roles a name has where it stands: a declaration of an indicator or a scenario, a use in a
#: formula, a bound, ``parent:`` or an ``expect`` line, the name after ``extends``, and a scenario's key.
ROLES = ("indicator", "scenario", "use", "extends", "key")


class Occurrence(NamedTuple):
    """One place a name stands: the name, where (the name's own characters) and its role (``ROLES``)."""

    name: str
    span: Span
    role: str


class Declaration(NamedTuple):
    """A declaration: its keyword (``model``, ``scenario`` or an indicator kind), its name (None for
    the model), where its name is (or its keyword), its label, where its header ends (after the
    label, or the name) and where the whole declaration is. ``nested_in`` is the name of the
    declaration it is written inside, if any."""

    keyword: str
    name: str | None
    name_span: Span
    label: str | None
    header_end: Span
    span: Span
    nested_in: str | None


def occurrences(tree: syntax.File) -> list[Occurrence]:
    """Every name that stands for a declaration, in file order."""
    out: list[Occurrence] = []
    with paused_gc():  # the tree is acyclic; a collection would walk every node of a large file
        for decl in tree.decls:
            _decl(decl, out)
        out.sort(key=lambda o: o.span)
    return out


def _decl(decl, out: list[Occurrence]) -> None:
    t = type(decl)
    if t is syntax.IndicatorDecl:
        out.append(Occurrence(decl.name.text, decl.name.span, "indicator"))
    elif t is syntax.ScenarioDecl:
        out.append(Occurrence(decl.name.text, decl.name.span, "scenario"))
        if decl.extends is not None:
            out.append(Occurrence(decl.extends.text, decl.extends.span, "extends"))
    body = getattr(decl, "body", None)  # (a declaration of a kind this module does not know yet: its block)
    _items(body.items if body is not None else (), t is syntax.ScenarioDecl, out)


def _items(items, scenario: bool, out: list[Occurrence]) -> None:
    """The names of a block's items; a scenario's keys, in its period blocks too."""
    for item in items:
        ti = type(item)
        if ti is syntax.IndicatorDecl:
            _decl(item, out)
        elif ti is syntax.Entry:
            if scenario:
                out.append(Occurrence(item.key, item.key_span, "key"))
            _uses(item.value, out)
        elif ti is syntax.Expect:
            _uses(item.condition, out)
        elif ti is syntax.PeriodBlock and scenario:
            _items(item.body.items, True, out)


def _uses(node, out: list[Occurrence]) -> None:
    """The names a value reads: a formula, a threshold's or a band's bounds (strings, numbers and
    dates read none)."""
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is syntax.Ref:
            out.append(Occurrence(n.text, n.span, "use"))
        elif t is syntax.Threshold:
            stack.append(n.value)
        elif t is syntax.Band:
            stack += (n.high, n.low)
        elif t is syntax.Attribute:
            stack.append(n.target)
        else:
            stack += reversed(syntax.operands(n))


def declarations(tree: syntax.File) -> list[Declaration]:
    """Every declaration, nested ones after the one they are in, in file order."""
    out: list[Declaration] = []
    todo = [(d, None) for d in reversed(tree.decls)]
    with paused_gc():
        _declarations(todo, out)
    return out


def _declarations(todo: list, out: list[Declaration]) -> None:
    while todo:
        decl, inside = todo.pop()
        t = type(decl)
        name = getattr(decl, "name", None)  # None for the model (and any declaration without a name)
        keyword = decl.kind if t is syntax.IndicatorDecl else decl.keyword
        s = decl.span
        name_span = name.span if name is not None else Span(s.line, s.column, s.line, s.column + len(keyword))
        label = getattr(decl, "label", None)
        end = label.span if label is not None else name_span
        out.append(Declaration(keyword, None if name is None else name.text, name_span,
                               None if label is None else label.value, end, s, inside))
        if t is syntax.IndicatorDecl:
            todo.extend((item, name.text) for item in reversed(decl.body.items) if type(item) is syntax.IndicatorDecl)
