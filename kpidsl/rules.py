"""The rule registry: every finding code, its severity, a one-line summary and its explanation.

This is the one place a rule is described; ``kpi rule`` prints from here and ``docs/rules.md`` is
generated from it. An explanation says what the rule finds, why it matters for a KPI tree, a bad
and a good example, and how to fix it.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Rule:
    """One finding code with its severity, summary and explanation."""

    code: str
    severity: str
    summary: str
    explanation: str
    silenceable: bool = True


_RULES = [
    Rule("E000", "error", "the file is not valid UTF-8", """
A `.kpi` file is UTF-8 text. This finding points at the line of the first byte that is not UTF-8:
files saved as Shift-JIS, GBK or Latin-1 by a spreadsheet export, or binary files named `.kpi`.

Fix: save the file as UTF-8 (most editors offer "Save with encoding"; `iconv -f GBK -t UTF-8`).
""", silenceable=False),
    Rule("E001", "error", "syntax error", """
The parser found something it did not expect. The message says what was found, what was expected,
and a hint where one helps.

Bad:
    kgi revenue { target: => 100 }
Good:
    kgi revenue { target: >= 100 }
""", silenceable=False),
    Rule("E002", "error", "bad literal: number suffix, calendar date or string escape", """
Numbers may end in one suffix: `%` (x0.01), `k`, `M`, `B`, `万` or `亿`. Dates must exist in the
calendar. Strings know the escapes `\\" \\\\ \\n \\t \\uXXXX`.

Bad:
    input weight_sold { unit: kg }          # fine
    kpi shipped { target: >= 5kg }          # E002: units go in `unit:`
    kgi g { due: 2025-02-30 }               # E002: February has no 30th
Good:
    kpi shipped { target: >= 5  unit: "kg" }
""", silenceable=False),
    Rule("E003", "error", "an entry appears twice in one block", """
Each entry (`target`, `weight`, `owner`, …) may appear once per block; a second one would silently
win in a spreadsheet. The finding starts at the second entry.

Fix: keep the one you mean and delete the other.
"""),
    Rule("E004", "error", "an entry this kind of declaration cannot have, or a metric without `value`", """
Each kind of declaration takes its own entries (SPEC §2): an `input` has no `target`, a `veto` no
`stretch`, a `model` no `value`. A `metric` is computed, so it needs a `value:` formula.

Bad:
    input orders { target: >= 100 }
Good:
    input orders { source: "CRM" }
    kpi order_count { value: orders  target: >= 100 }
"""),
    Rule("E101", "error", "undefined name", """
A formula, `parent:`, `extends` or `expect` uses a name that no declaration in the file has. The
message suggests the closest declared name; names are case-sensitive.

Bad:
    kgi sales { value: ordrs * avg_order_value }
Good:
    kgi sales { value: orders * avg_order_value }
"""),
    Rule("E102", "error", "a name declared twice", """
Names are unique per file, across every kind of declaration, so that a formula or a `parent:` means
one thing. The finding starts at the second declaration.

Fix: rename one of them, or merge the two declarations.
"""),
    Rule("E103", "error", "a name used as the wrong kind", """
A name is used where its kind does not fit: a `parent:` that is an `input` or `metric` (a parent must
be a `kgi` or `kpi`), a scenario in a formula, a scenario that extends an indicator.

Bad:
    metric traffic { value: visits }
    kpi churn { parent: traffic }
Good:
    kpi churn { parent: growth }        # growth is a kgi
"""),
    Rule("E201", "error", "the weights of a node's children do not sum to 100%", """
The weights of a node's `kpi` children say how much each one counts; they must sum to exactly 100%,
or the roll-up overstates or understates the goal. This happens quietly in spreadsheets after an edit.
The message gives the sum and each part.

Bad:
    kgi revenue { kpi a { weight: 40% }  kpi b { weight: 25% }  kpi c { weight: 20% } }
Good:
    kgi revenue { kpi a { weight: 40% }  kpi b { weight: 35% }  kpi c { weight: 25% } }
"""),
    Rule("E202", "error", "some children of a node have weights and others do not", """
Either every `kpi` child of a node has a `weight` or none does (then they count equally). A mix is
almost always a forgotten weight.

Fix: give the missing weights, or remove all of them for equal weights.
"""),
    Rule("E203", "error", "a weight outside (0, 100%]", """
A weight is a share of the parent's score: more than 0 and at most 100%. A bare `40` means 4000%;
write `40%`.

Bad:
    kpi sales { weight: 40 }
Good:
    kpi sales { weight: 40% }
"""),
    Rule("E204", "error", "a weight where none belongs", """
Only a `kpi` carries a weight. A `kgi` is the top of its tree, a `veto` is a pass/fail gate, a
`metric` is monitored outside the scorecard and an `input` is raw data.

Fix: remove the `weight:` entry, or make the declaration a `kpi`.
"""),
    Rule("E205", "error", "a kpi or veto that does not link to a kgi", """
Every KPI must drive a goal: following `parent:` links (or nesting) from a `kpi` or `veto` must reach
a `kgi`. An orphan KPI is measured but moves nothing; practice says remove it or link it.

Bad:
    kpi signups { target: >= 50 }
Good:
    kpi signups { parent: growth  target: >= 50 }
"""),
    Rule("E206", "error", "a cycle of parents", """
Parents form a tree; a chain of `parent:` links that comes back to where it started has no goal at
its top. The message names the cycle.

Fix: point one of the `parent:` entries at a `kgi` or at a kpi outside the cycle.
"""),
    Rule("E207", "error", "a kgi with a parent, or a parent given twice", """
A `kgi` is the top of a tree and has no parent. A `kpi` or `veto` gets its parent either by being
written inside it or by `parent:`, never both.

Fix: remove the `parent:` entry, or move the declaration out of the block.
"""),
    Rule("E301", "error", "a cycle of formulas", """
A formula refers to itself through a chain of names (`a` uses `b`, `b` uses `a`), so no value can be
computed. The message names the path.

Fix: break the chain: one of the values must come from data (an `input`).
"""),
    Rule("E302", "error", "unknown function or wrong number of arguments", """
The functions are `min`, `max`, `sum`, `avg` (one or more arguments), `abs(x)`, `round(x)` or
`round(x, n)`, `clamp(x, lo, hi)` and `if(cond, then, else)`.

Bad:
    metric m { value: average(a, b) }
Good:
    metric m { value: avg(a, b) }
"""),
    Rule("E303", "error", "a boolean where a number belongs, or a number where a condition belongs", """
A `value` is a number; conditions (comparisons, `and`, `or`, `not`, `true`, `false`) belong in
`if(…)` and `expect`.

Bad:
    metric m { value: a > b }
Good:
    metric m { value: if(a > b, 1, 0) }
"""),
    Rule("E401", "error", "baseline, target and stretch out of order for the direction", """
For a higher-is-better target (`>=`) the baseline is below the target and the stretch above it; for a
lower-is-better target (`<=`) the baseline is above and the stretch below. Out of order, the score
runs backwards.

Bad:
    kgi g { baseline: 100  target: >= 90  stretch: 120 }
Good:
    kgi g { baseline: 80  target: >= 90  stretch: 120 }
"""),
    Rule("E402", "error", "a veto without a target, or a threshold that takes no baseline or stretch", """
A `veto` is a pass/fail gate: it needs a `target` and has no baseline or stretch. An exact (`==`) or
band target is met or missed, so it takes no baseline or stretch either.

Bad:
    veto safety { value: incidents }
Good:
    veto safety { value: incidents  target: == 0 }
"""),
    Rule("E403", "error", "a band whose lower end exceeds its upper end", """
A band `lo .. hi` is met when lo ≤ value ≤ hi; with lo > hi it can never be met.

Bad:
    kpi margin { target: 40% .. 30% }
Good:
    kpi margin { target: 30% .. 40% }
"""),
    Rule("E501", "error", "a scenario assigns an unknown name, or a name that has a formula", """
A scenario supplies inputs and indicators that have no `value:` formula. A name with a formula is
computed, so assigning it would be ignored; an unknown name is usually a typo.

Fix: assign the inputs the formula reads, or correct the name.
"""),
    Rule("E502", "error", "a scenario extends an unknown scenario, or scenarios extend in a cycle", """
`scenario b extends a` starts `b` from `a`'s values; `a` must be a scenario of the same file, and
the chain of `extends` may not come back to where it started.
"""),
    Rule("E503", "error", "an `expect` that is not a condition, or a result read outside `expect`", """
`expect` takes a condition (`expect sales.score >= 95%`). `NAME.score`, `NAME.achievement` and
`NAME.met` read evaluation results and exist only inside `expect`.

Bad:
    expect sales.score
Good:
    expect sales.score >= 90%
"""),
    Rule("W101", "warning", "a kgi or kpi without a target", """
A KPI without a target is not measurable: nobody can say whether it was achieved. SMART targets are
specific and measurable.

Fix: add `target: >= N`, `<= N`, `== N` or a band.
"""),
    Rule("W102", "warning", "a kgi or kpi without an owner", """
Every KPI needs someone accountable. The owner may be given on the indicator, inherited from a parent,
or set on the model.

Fix: add `owner: "…"` to it, a parent, or the model.
"""),
    Rule("W103", "warning", "a kgi or kpi that is not time-bound", """
A target without a deadline or a measuring period is never due. Give `due: YYYY-MM-DD` or `period:`
on it, a parent, or the model.
"""),
    Rule("W104", "warning", "a leaf kpi with neither a formula nor a source", """
Where does its number come from? A leaf KPI needs a `value:` formula or a `source:` (CRM, ERP,
survey, …) so that someone can collect it.
"""),
    Rule("W105", "warning", "too many kpis under one node", """
More than `max-children` (default 10) KPIs under one node scatter attention: focus on the 3–5 that
drive the goal and keep the rest as `metric`s, monitored outside the scorecard.
"""),
    Rule("W106", "warning", "an input or metric that nothing uses", """
An input that no formula reads, or a metric nobody refers to, is data collected for nothing.

Fix: use it in a formula, or remove it.
"""),
    Rule("W107", "warning", "a kgi tree without a process (leading) indicator", """
Result (lagging) indicators say what happened; people steer by process (leading) indicators such as
sales visits or lead conversion. Reported when some indicator in the file sets `type`.
"""),
    Rule("W108", "warning", "a kgi tree that covers only some balanced-scorecard perspectives", """
A balanced scorecard looks at the financial, customer, process and learning perspectives. Reported
when some indicator in the file sets `perspective` and a kgi's tree lacks one of the four.
"""),
]

RULES: dict[str, Rule] = {r.code: attrs.evolve(r, explanation=r.explanation.strip()) for r in _RULES}
