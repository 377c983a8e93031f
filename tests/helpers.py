"""Small shared helpers for the core test suite (parser, compiler, scoring, evaluator, data)."""

from __future__ import annotations

from hypothesis import strategies as st

import kpidsl

#: A model header that silences nothing but gives every declaration an owner and a period.
MODEL_HEADER = 'model "Test" {\n  owner: "Tester"\n  period: yearly\n}\n'

#: The e-commerce example of docs/language.md (its worked example, docs/scoring.md §8, is scenario q3).
ECOMMERCE = '''\
# examples/ecommerce.kpi — "annual sales of 100M JPY" decomposed into drivers
model "E-commerce FY2025" {
  owner: "Strategy office"
  period: yearly
}

input orders "月订单数" { unit: "orders"  source: "CRM"  period: monthly }
input avg_order_value "客单价" { unit: JPY  source: "CRM" }
input violations "合规违规次数" { source: "Legal" }

kgi annual_sales "年销售额" {
  value: monthly_sales * 12
  target: >= 1亿
  unit: JPY
  owner: "CEO"
  due: 2025-12-31

  kpi monthly_sales "月销售额" {
    value: orders * avg_order_value
    weight: 40%
    baseline: 700万
    target: >= 833万
    stretch: 950万
    type: result
    owner: "Sales"
    period: monthly
  }
  kpi repeat_rate "重复购买率" { weight: 35%  target: >= 75%  unit: "%"  owner: "CRM team" }
  kpi new_customers "新客户数" { weight: 25%  target: >= 200  source: "CRM"  owner: "Marketing" }
  veto compliance "合规" { value: violations  target: == 0 }
}

# a flat declaration links to its parent by name; the same tree, split differently
kpi cart_abandonment "购物车放弃率" {
  parent: repeat_rate
  target: <= 20%
  unit: "%"
  type: process
  source: "Web analytics"
}

scenario q3 "Q3 actual" {
  orders: 1_150
  avg_order_value: 6_900
  repeat_rate: 71%
  new_customers: 214
  violations: 0
  cart_abandonment: 23%
}
scenario q3_push extends q3 {
  orders: 1_300
  expect annual_sales.met              # golden checks, run by `kpi test`
  expect annual_sales.score >= 95%     # 0.998109: the goal is met, the scorecard still amber
}
'''


def findings(src: str):
    """Every finding of ``src`` (syntax or compile), in the order compile_text returns them."""
    _model, found = kpidsl.compile_text(src)
    return list(found)


def codes(src: str) -> list[tuple[str, int]]:
    """``[(code, line), …]`` of every finding of ``src``."""
    return [(f.code, f.span.line) for f in findings(src)]


def codes_cols(src: str) -> list[tuple[str, int, int]]:
    """``[(code, line, column), …]`` of every finding of ``src``."""
    return [(f.code, f.span.line, f.span.column) for f in findings(src)]


def code_set(src: str) -> set[str]:
    """The set of codes reported for ``src``."""
    return {f.code for f in findings(src)}


def errors(src: str) -> list[tuple[str, int]]:
    """``[(code, line), …]`` of the error findings of ``src`` (warnings left out)."""
    return [(f.code, f.span.line) for f in findings(src) if f.code.startswith("E")]


def error_cols(src: str) -> list[tuple[str, int, int]]:
    """``[(code, line, column), …]`` of the error findings of ``src``."""
    return [(f.code, f.span.line, f.span.column) for f in findings(src) if f.code.startswith("E")]


def messages(src: str, code: str) -> list[str]:
    """The messages of every finding with ``code``."""
    return [f.message for f in findings(src) if f.code == code]


def load(src: str) -> kpidsl.Model:
    """Compile ``src`` and insist it has no error findings."""
    model = kpidsl.load_text(src)
    errs = [(f.code, f.span.line, f.message) for f in model.findings if f.is_error]
    assert not errs, errs
    return model


def run(src: str, values=None, *, scenario: str | None = None, allow_missing: bool = False):
    """Evaluate ``src`` with ``values`` (or the values of in-file ``scenario``)."""
    model = load(src)
    if values is None:
        assert scenario is not None
        values = model.scenario_values(scenario)
    return kpidsl.evaluate(model, values, name=scenario or "test", allow_missing=allow_missing,
                           expects=scenario)


def parse_expr(text: str):
    """The syntax tree of a formula, as the ``value`` of a metric."""
    tree = kpidsl.parse(f"metric m {{ value: {text} }}")
    (decl,) = tree.decls
    (entry,) = decl.body.items
    return entry.value


def number(text: str) -> float:
    """The value of a number literal as the parser reads it (a scenario assignment)."""
    tree = kpidsl.parse(f"scenario s {{ x: {text} }}")
    entry = tree.decls[0].body.items[0]
    return entry.value.value


@st.composite
def mutants(draw, bases, tokens, max_ops: int = 4, reach: int = 80):
    """One of ``bases`` (text or bytes) after 1..max_ops edits: a span deleted, duplicated or
    overwritten by another span of it, or one of ``tokens`` inserted."""
    text = draw(st.sampled_from(bases))
    for _ in range(draw(st.integers(1, max_ops))):
        n = len(text)
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "insert", "swap"]))
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + reach)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(tokens)) + text[i:]
        else:
            k = draw(st.integers(0, n))
            text = text[:i] + text[k:k + (j - i)] + text[j:]
    return text


def invoke_kpi(*args: str) -> tuple[int, str]:
    """Run `kpi ARGS` in-process; (exit code, output). No traceback may reach the output, and an
    exception other than the command's exit is raised."""
    from click.testing import CliRunner

    from kpidsl.cli.commands import cli

    result = CliRunner().invoke(cli, list(args), prog_name="kpi")
    assert "Traceback" not in result.output
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output
