"""Grades: ordered bands over the score, each with an optional coefficient (E407).

A ``grade NAME "label" { score: >= N  coefficient: N }`` declaration is one band. Grades are
written from the highest band down; each runs from its ``score`` up to the next higher grade's, and
the last one, without ``score:``, takes every score below the one before it. The evaluation plan
gives every scored indicator the index of its grade in ``model.grades`` (see
``kpidsl.evaluation.plan``); the name is the grade shown and compared in ``expect x.grade == "A"``.
"""

from __future__ import annotations

import attrs

from ..errors import Span, closest
from ..parsing import syntax
from .context import Context, number_of, source_text
from .context import pct as _pct
from .model import NO_ENTRIES, Entries, entries_of

#: The entries a grade may have.
ENTRIES = frozenset({"score", "coefficient", "description"})
#: The most grades a model may declare: a grade scale has a handful of bands, and each scored
#: indicator's grade is found by comparing its score with each band's floor.
MAX_GRADES = 20


@attrs.define(eq=False)
class Grade:
    """One grade band: scores from ``floor`` up (None: every score below the grade before)."""

    name: str
    decl: syntax.IndicatorDecl
    label: str | None = None
    floor: float | None = None
    coefficient: float | None = None
    description: str | None = None
    entries: Entries = NO_ENTRIES
    kind: str = "grade"

    @property
    def span(self) -> Span:
        """Where findings about this grade start: its name."""
        return self.decl.name.span


def collect(ctx: Context, decl: syntax.IndicatorDecl, nested_in) -> None:
    """Read one ``grade`` declaration into ``model.grades`` (E102 for a name taken, E003, E004, E001)."""
    sink, name = ctx.sink, decl.name.text
    if nested_in is not None:
        sink.add("E004", decl.name.span, f"grade `{name}` is written inside `{nested_in.name}`; grades belong "
                 "to the whole model: write them at the top level of the file")
    grade = Grade(name, decl, label=None if decl.label is None else decl.label.value)
    first = ctx.declared(name)
    if first is not None:
        sink.add("E102", decl.name.span, f"`{name}` is already declared on line {first.span.line}; names are "
                 "unique across every kind of declaration: rename one of them")
        return
    ctx.others[name] = grade
    seen: dict[str, syntax.Entry] = {}
    for item in decl.body.items:
        if type(item) is not syntax.Entry:
            span = item.name.span if type(item) is syntax.IndicatorDecl else item.span
            sink.add("E004", span, f"grade `{name}` holds entries only: `score`, `coefficient`, `description`")
            continue
        key = item.key
        if key in seen:
            sink.add("E003", item.key_span, f"`{key}` is given twice in grade `{name}` (first on line "
                     f"{seen[key].key_span.line}); keep one")
            continue
        if key not in ENTRIES:
            sink.add("E004", item.key_span, f"unknown entry `{key}` in grade `{name}`" + closest(key, ENTRIES)
                     + "; it may have `coefficient`, `description`, `score`")
            continue
        seen[key] = item
        value = item.value
        if key == "score":
            if type(value) is syntax.Threshold and value.op == ">=" and number_of(value.value) is not None:
                grade.floor = number_of(value.value)
            else:
                sink.add("E001", value.span, f"found `{source_text(ctx.model, value)}` after `score:`; expected `>= N`, the "
                         "lowest score of the grade, such as `score: >= 90%` (it runs up to the grade above)")
        elif key == "coefficient":
            grade.coefficient = number_of(value)
            if grade.coefficient is None:
                sink.add("E001", value.span, f"found `{source_text(ctx.model, value)}` after `coefficient:`; expected a "
                         "number, such as `coefficient: 120%` or `coefficient: 1.2`")
        elif type(value) is syntax.String:
            grade.description = value.value
        else:
            sink.add("E001", value.span, f"found `{source_text(ctx.model, value)}` after `description:`; expected a string "
                     "in double quotes")
    grade.entries = entries_of(seen, decl.body)
    ctx.model.grades.append(grade)


def check_grades(ctx: Context) -> None:
    """E407: grades out of order, two starting at the same score, a grade without ``score:`` that
    is not the last, a lowest grade that leaves low scores without a grade, a negative coefficient."""
    grades, sink = ctx.model.grades, ctx.sink
    if len(grades) > MAX_GRADES:
        sink.add("E407", grades[MAX_GRADES].span, f"{len(grades)} grades are declared; a grade scale has at "
                 f"most {MAX_GRADES} bands (such as S, A, B, C, D): merge some of them")
        return
    above = None  # the last grade before this one that has a floor
    for k, g in enumerate(grades):
        if g.coefficient is not None and g.coefficient < 0:
            sink.add("E407", g.entries["coefficient"].key_span,
                     f"grade `{g.name}` has the coefficient {_pct(g.coefficient)}; a coefficient multiplies a bonus "
                     "and cannot be below 0: write `coefficient: 0` for no bonus")
        last = k == len(grades) - 1
        if g.floor is None:
            if not last and "score" not in g.entries:
                sink.add("E407", g.span, f"grade `{g.name}` has no `score:`, so it takes every score below the "
                         f"grade above it, but `{grades[k + 1].name}` comes after it; the grade without `score:` "
                         "is the lowest: write it last, or give it `score: >= N`")
            continue
        if last and g.floor > 0:
            sink.add("E407", g.entries["score"].key_span,
                     f"the lowest grade `{g.name}` starts at {_pct(g.floor)}, so a lower score would have no grade; "
                     "remove its `score:` to let it take every score below the grade above, or add a grade "
                     "below it")
        if above is None:
            above = g
            continue
        if abs(g.floor - above.floor) <= 1e-12:
            sink.add("E407", g.entries["score"].key_span,
                     f"grades `{above.name}` and `{g.name}` both start at {_pct(g.floor)}, so `{g.name}` could "
                     "never be given; give each grade its own lowest score, or remove one")
        elif g.floor > above.floor:
            sink.add("E407", g.entries["score"].key_span,
                     f"grade `{g.name}` (score >= {_pct(g.floor)}) comes after `{above.name}` (score >= "
                     f"{_pct(above.floor)}), so its band would overlap the one above; write grades from the "
                     "highest band down")
        above = g


def coefficients(grades: list[Grade]) -> bool:
    """Whether any grade has a coefficient (then every graded result shows one)."""
    return any(g.coefficient is not None for g in grades)


__all__ = ["Grade", "ENTRIES", "collect", "check_grades", "coefficients"]
