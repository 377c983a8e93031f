"""W109 (quantities of different units added or compared) and W105 over a kgi's whole tree."""

from __future__ import annotations

import pytest

import kpidsl

M = 'model "M" { owner: "O"  period: monthly }\n'
UNITS = M + ('input revenue "营收" { unit: 万元  source: "ERP" }\ninput staff "人数" { unit: people  source: "HR" }\n'
             'input cost { unit: 万元  source: "ERP" }\ninput share { source: "ERP" }\n')


def codes(text: str) -> list[tuple[str, int, int]]:
    model = kpidsl.load_text(text)
    return [(f.code, f.span.line, f.span.column) for f in kpidsl.check(model) if f.code in ("W105", "W109")]


@pytest.mark.parametrize("formula, warned", [
    ("revenue + staff", True), ("revenue - staff", True), ("max(revenue, staff)", True),
    ("sum(revenue, cost, staff)", True), ("clamp(revenue, 0, staff)", True), ("-revenue + staff", True),
    ("if(revenue > staff, 1, 0)", True), ("abs(revenue) + staff", True),
    ("revenue + cost", False), ("revenue / staff", False), ("revenue * staff", False), ("revenue + 100", False),
    ("revenue + share", False), ("(revenue - cost) / staff", False), ("revenue / staff + cost", False),
    ("if(revenue > cost, 1, 0)", False), ("round(revenue) - cost", False),
])
def test_adding_or_comparing_different_units_is_w109(formula, warned):
    found = codes(UNITS + f"kgi g {{ value: {formula}  target: >= 1  source: \"ERP\" }}\n")
    assert [c for c, *_ in found] == (["W109"] if warned else []), found


def test_w109_points_at_the_operation_and_names_both_units():
    model = kpidsl.load_text(UNITS + 'kgi g { value: cost * 2 + (revenue + staff)  target: >= 1  source: "ERP" }\n')
    [f] = [f for f in kpidsl.check(model) if f.code == "W109"]
    assert (f.span.line, f.span.column) in ((6, 28), (6, 29)) and "万元 and people" in f.message  # at `(revenue + staff)`


def test_w109_looks_at_bounds_and_expects_too():
    text = UNITS + ('kgi g { value: revenue  target: >= cost + staff  source: "ERP" }\n'
                    'scenario s { revenue: 1  staff: 1  cost: 1  share: 1\n  expect revenue >= staff }\n')
    assert [(c, line) for c, line, _ in codes(text)] == [("W109", 6), ("W109", 8)]


def _tree(per_parent: int, parents: int) -> str:
    lines = [M, "kgi g { target: >= 1  source: \"ERP\"\n"]
    for p in range(parents):
        lines.append(f"  kpi p{p} {{ weight: {100 / parents}%  target: >= 1  source: \"ERP\"\n")
        lines += [f"    kpi k{p}_{i} {{ weight: {100 / per_parent}%  target: >= 1  source: \"ERP\" }}\n"
                  for i in range(per_parent)]
        lines.append("  }\n")
    return "".join(lines) + "}\n"


@pytest.mark.parametrize("per_parent, parents, warned", [(2, 3, False), (4, 2, False), (3, 3, True), (5, 5, True)])
def test_w105_counts_the_whole_tree_of_a_kgi(per_parent, parents, warned):
    found = codes(_tree(per_parent, parents))
    total = parents * (per_parent + 1)
    assert [c for c, *_ in found] == (["W105"] if warned else []), (total, found)
    if warned:
        assert f"{total} KPIs in the tree of kgi `g`" in kpidsl.check(kpidsl.load_text(_tree(per_parent, parents)))[0].message
