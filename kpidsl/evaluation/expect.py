"""``kpi test``: evaluate every in-file scenario and check its ``expect`` lines."""

from __future__ import annotations

import attrs

from ..parsing import syntax
from .results import Evaluation, MissingValues
from .scalar import evaluate
from ..compiler.model import Model


@attrs.frozen
class Failure:
    """One failed check: where, what was expected, and the values involved."""

    path: str
    line: int
    column: int
    scenario: str
    what: str
    #: What the expectation read: ``(label, value or None when unknown, shown as a percentage)``.
    observed: tuple[tuple[str, object, bool], ...] = ()


def _names_in(node) -> list[tuple[str, str | None]]:
    out = []
    for n in syntax.iter_nodes(node):
        if isinstance(n, syntax.Attribute) and isinstance(n.target, syntax.Ref):
            out.append((n.target.text, n.name.text))
        elif isinstance(n, syntax.Ref):
            out.append((n.text, None))
    # a Ref under an Attribute is listed by the Attribute; keep order, drop repeats
    attributed = {name for name, attr in out if attr}
    seen, result = set(), []
    for name, attr in out:
        if attr is None and name in attributed:
            continue
        if (name, attr) not in seen:
            seen.add((name, attr))
            result.append((name, attr))
    return result


def _observed(ev: Evaluation, model: Model, name: str, attr: str | None) -> tuple[str, object, bool]:
    """What an expectation read: ``(label, value, shown as a percentage)``; value None when unknown."""
    r = ev.results.get(name)
    if r is None:
        return name, None, False
    x = {None: r.value, "score": r.score, "achievement": r.achievement, "met": r.met, "grade": r.grade,
         "coefficient": r.coefficient, "overdue": r.status == "overdue"}[attr]
    label = name if attr is None else f"{name}.{attr}"
    percent = attr in ("score", "achievement") or (attr is None and model.indicators[name].unit == "%")
    return label, x, percent


def run_model(model: Model) -> tuple[int, list[Failure]]:
    """Evaluate every scenario of ``model``; the number of checks passed and the failures."""
    passed, failures = 0, []
    periods = any(sc.periods for sc in model.scenarios.values())
    for name, sc in model.scenarios.items():
        try:
            checked = _series_checked(model, name) if periods else None
            if checked is None:
                checked = [(name, evaluate(model, model.scenario_values(name), name=name, label=sc.label,
                                           expects=name))]
        except MissingValues as exc:
            s = sc.decl.name.span
            failures.append(Failure(model.path, s.line, s.column, name,
                                    f"scenario `{name}` has no value for "
                                    + ", ".join(f"`{n}`" for n in exc.names)))
            continue
        have = {w.rpartition(" ")[2] for w, _ in checked}
        for text, exps in sc.to_date_expects.items():  # a period the series lacks: its lines check nothing
            if exps and text not in have:
                s = exps[0].span
                failures.append(Failure(model.path, s.line, s.column, name,
                                        f"scenario `{name}` has no period `{text}` to check to date"))
        for where, ev in checked:
            for result in ev.expects:
                exp = result.expect
                if result.passed is True:
                    passed += 1
                    continue
                s = exp.span
                text = model.lines[s.line - 1][s.column - 1:s.end_column - 1] if s.line == s.end_line else "expect …"
                observed = tuple(_observed(ev, model, n, a) for n, a in _names_in(exp.condition))
                failures.append(Failure(model.path, s.line, s.column, where, text, observed))
    return passed, failures


def _series_checked(model: Model, name: str) -> list[tuple[str, Evaluation]] | None:
    """For a scenario with periods: each period's evaluation (its own ``expect`` lines), then each
    period's to date that has lines to check (a ``to_date`` block's; the last period's also the
    scenario's own); None for a scenario without periods."""
    from .periods import evaluate_series, series_of

    series = series_of(model, name)
    if series is None:
        return None
    ev = evaluate_series(model, series)
    return [(f"{name} {p.period.text}", p.own) for p in ev.periods] + [
        (f"{name} to date {p.period.text}", p.to_date) for p in ev.periods if p.to_date.expects]
