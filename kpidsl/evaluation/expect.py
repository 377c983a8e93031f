"""``kpi test``: evaluate every in-file scenario and check its ``expect`` lines."""

from __future__ import annotations

import attrs

from ..parsing import syntax
from .results import Evaluation, MissingValues
from .scalar import evaluate
from ..compiler.model import Model
from ..render.text import fmt_number


@attrs.frozen
class Failure:
    """One failed check: where, what was expected, and the values involved."""

    path: str
    line: int
    column: int
    scenario: str
    what: str
    values: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The failure as a JSON object."""
        return {"path": self.path, "line": self.line, "column": self.column, "scenario": self.scenario,
                "expect": self.what, "values": list(self.values)}


def _names_in(node) -> list[tuple[str, str | None]]:
    out = []
    for n in syntax.iter_nodes(node):
        if isinstance(n, syntax.Attribute) and isinstance(n.target, syntax.Ref):
            out.append((n.target.name.text, n.name.text))
        elif isinstance(n, syntax.Ref):
            out.append((n.name.text, None))
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


def _show(ev: Evaluation, model: Model, name: str, attr: str | None) -> str:
    r = ev.results.get(name)
    if r is None:
        return f"{name} is not an indicator"
    x = {None: r.value, "score": r.score, "achievement": r.achievement, "met": r.met}[attr]
    label = name if attr is None else f"{name}.{attr}"
    if x is None:
        return f"{label} = unknown"
    if isinstance(x, bool):
        return f"{label} = {str(x).lower()}"
    text = f"{x:.6g}" if abs(x) < 1000 else fmt_number(x)
    if attr in ("score", "achievement") or (attr is None and model.indicators[name].unit == "%"):
        text += f" ({x * 100:.1f}%)"
    return f"{label} = {text}"


def run_model(model: Model) -> tuple[int, list[Failure]]:
    """Evaluate every scenario of ``model``; the number of checks passed and the failures."""
    passed, failures = 0, []
    for name, sc in model.scenarios.items():
        try:
            ev = evaluate(model, model.scenario_values(name), name=name, label=sc.label, expects=name)
        except MissingValues as exc:
            s = sc.decl.name.span
            failures.append(Failure(model.path, s.line, s.column, name,
                                    f"scenario `{name}` has no value for "
                                    + ", ".join(f"`{n}`" for n in exc.names)))
            continue
        for result in ev.expects:
            exp = result.expect
            if result.passed is True:
                passed += 1
                continue
            s = exp.span
            text = model.lines[s.line - 1][s.column - 1:s.end_column - 1] if s.line == s.end_line else "expect …"
            values = tuple(_show(ev, model, n, a) for n, a in _names_in(exp.condition))
            failures.append(Failure(model.path, s.line, s.column, name, text, values))
    return passed, failures
