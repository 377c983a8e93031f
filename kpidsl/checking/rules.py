"""The rule registry: every finding code, its severity, a one-line summary and its explanation.

This is the one place a rule is described; ``kpi rule`` prints from here and ``docs/rules.md`` is
generated from it (``markdown()``). Each rule says what it finds, why it matters for a KPI tree,
a bad and a good example (complete ``.kpi`` files: the tests check that the bad one triggers the
rule and the good one is clean), and how to fix it. Adding a rule: an entry here, the code that
detects it (a compiler pass or ``kpidsl.checking.practice``), and a test.
"""

from __future__ import annotations

import attrs

M = 'model "Sales" { owner: "Sales office"  period: quarterly }\n'


@attrs.frozen
class Rule:
    """One finding code: severity, summary, what it finds, why it matters, examples and the fix."""

    code: str
    severity: str
    summary: str
    finds: str
    why: str
    bad: str | None
    good: str | None
    fix: str
    silenceable: bool = True

    @property
    def explanation(self) -> str:
        """The text ``kpi rule CODE`` prints."""
        import textwrap  # only `kpi rule` and the docs need it: `kpi check` starts without it

        parts = [_wrap(self.finds), "Why it matters: " + _wrap(self.why)]
        if self.bad is not None:
            parts.append("Bad:\n" + textwrap.indent(self.bad.rstrip(), "    "))
        if self.good is not None:
            parts.append("Good:\n" + textwrap.indent(self.good.rstrip(), "    "))
        parts.append("Fix: " + _wrap(self.fix))
        if not self.silenceable:
            parts.append("This finding cannot be silenced with `# noqa` or configuration.")
        return "\n\n".join(parts)


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(" ".join(text.split()), 100)


def _r(code, severity, summary, finds, why, bad, good, fix, silenceable=True) -> Rule:
    return Rule(code, severity, summary, finds, why, bad, good, fix, silenceable)


_RULES = [
    _r("E000", "error", "the file is not valid UTF-8",
       "The file contains bytes that are not UTF-8; the finding points at the line of the first one.",
       "A `.kpi` file is text that every tool must read the same way; spreadsheet exports often save "
       "Shift-JIS, GBK or Latin-1, and binary files sometimes get a `.kpi` name.",
       None, None,
       "Save the file as UTF-8 (most editors offer \"Save with encoding\"; or `iconv -f GBK -t UTF-8`).",
       silenceable=False),
    _r("E001", "error", "syntax error",
       "The parser found something it did not expect; the message says what it found, what it expected, "
       "and a hint where one helps.",
       "Nothing in a file with a syntax error can be trusted, so nothing else is checked until it is fixed.",
       M + 'kgi revenue { target: => 100  source: "ERP" }\n',
       M + 'kgi revenue { target: >= 100  source: "ERP" }\n',
       "Write what the message expects (here `>=`); entries are `key: value`.", silenceable=False),
    _r("E002", "error", "bad literal: number suffix, calendar date, digit or string escape",
       "A number with a suffix other than `%`, `k`, `M`, `B`, `万` or `亿`; a date that is not in the "
       "calendar; a digit other than the ASCII 0–9 (`৪`, `٥`, `５`); a string escape other than "
       "`\\\" \\\\ \\n \\t \\uXXXX`; a number too large for a float.",
       "`5kg` or `2025-02-30` would otherwise silently become a wrong number or date, and a digit of another "
       "script is easily taken for a different one (`৪` is 4).",
       M + 'kgi shipped { target: >= 5kg  due: 2025-02-30 }\n',
       M + 'kgi shipped { target: >= 5  unit: "kg"  due: 2025-02-28 }\n',
       "Put units in `unit:`; use a real date.", silenceable=False),
    _r("E003", "error", "an entry appears twice in one block",
       "The same entry (`target`, `weight`, `owner`, …) twice in one block; the finding starts at the second.",
       "In a spreadsheet the last value silently wins; in a KPI definition that hides a decision.",
       M + 'kgi revenue { target: >= 100  target: >= 120 }\n',
       M + 'kgi revenue { target: >= 120 }\n',
       "Keep the one you mean and delete the other."),
    _r("E004", "error", "an entry this kind of declaration cannot have, or a metric without `value`",
       "An entry the kind of declaration does not take (an `input` with a `target`, a `model` with a `value`), "
       "an unknown entry, an `expect` outside a scenario, or a `metric` without a `value:` formula.",
       "Each kind has a role: inputs are raw data, metrics are computed and monitored, KPIs are scored.",
       M + 'input orders { target: >= 100 }\nkgi volume { value: orders  target: >= 100 }\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n',
       "Move the entry to a declaration that takes it, or change the declaration's kind."),
    _r("E101", "error", "undefined name",
       "A formula, `parent:` or `expect` uses a name no declaration has; the message suggests the closest one.",
       "A typo in a formula would otherwise make the KPI impossible to compute.",
       M + 'input orders { source: "CRM" }\nkgi volume { value: ordrs  target: >= 100 }\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n',
       "Correct the name (names are case-sensitive) or declare it."),
    _r("E102", "error", "a name declared twice",
       "Two declarations with the same name, of any kinds; the finding starts at the second.",
       "A formula or `parent:` must mean one thing.",
       M + 'kgi revenue { target: >= 100 }\nkgi revenue { target: >= 120 }\n',
       M + 'kgi revenue { target: >= 100 }\nkgi revenue_2026 { target: >= 120 }\n',
       "Rename one of them, or merge the two declarations."),
    _r("E103", "error", "a name used as the wrong kind",
       "A `parent:` that names an input, metric or veto (a parent is a kgi or kpi), or a scenario used in a formula.",
       "A KPI can only contribute to a goal or to another KPI.",
       M + 'input visits { source: "Web" }\nkgi growth { value: visits  target: >= 100 }\n'
           'kpi churn { parent: visits  target: <= 5%  source: "App" }\n',
       M + 'input visits { source: "Web" }\nkgi growth { value: visits  target: >= 100 }\n'
           'kpi churn { parent: growth  target: <= 5%  source: "App" }\n',
       "Point `parent:` at a kgi or kpi."),
    _r("E201", "error", "the weights of a node's children do not sum to 100%",
       "The `weight`s of a node's kpi children do not add up to 100%; the message gives the sum and each part.",
       "The roll-up would overstate or understate the goal; after an edit in a spreadsheet this happens "
       "quietly.",
       M + 'kgi revenue {\n  target: >= 100\n  kpi a { weight: 40%  target: >= 1  source: "ERP" }\n'
           '  kpi b { weight: 25%  target: >= 1  source: "ERP" }\n}\n',
       M + 'kgi revenue {\n  target: >= 100\n  kpi a { weight: 60%  target: >= 1  source: "ERP" }\n'
           '  kpi b { weight: 40%  target: >= 1  source: "ERP" }\n}\n',
       "Adjust the weights so they sum to 100%."),
    _r("E202", "error", "some children of a node have weights and others do not",
       "Among a node's kpi children some have a `weight` and some do not.",
       "A mix is almost always a forgotten weight; without any weights children count equally.",
       M + 'kgi revenue {\n  target: >= 100\n  kpi a { weight: 60%  target: >= 1  source: "ERP" }\n'
           '  kpi b { target: >= 1  source: "ERP" }\n}\n',
       M + 'kgi revenue {\n  target: >= 100\n  kpi a { target: >= 1  source: "ERP" }\n'
           '  kpi b { target: >= 1  source: "ERP" }\n}\n',
       "Give every child a weight, or none for equal weights."),
    _r("E203", "error", "a weight outside (0, 100%]",
       "A weight of zero or less, or above 100%. A bare `40` means 4000%; the message suggests `40%`.",
       "A weight is a share of the parent's score.",
       M + 'kgi revenue {\n  target: >= 100\n  kpi a { weight: 40  target: >= 1  source: "ERP" }\n'
           '  kpi b { weight: 60%  target: >= 1  source: "ERP" }\n}\n',
       M + 'kgi revenue {\n  target: >= 100\n  kpi a { weight: 40%  target: >= 1  source: "ERP" }\n'
           '  kpi b { weight: 60%  target: >= 1  source: "ERP" }\n}\n',
       "Write the weight as a percentage such as `40%`."),
    _r("E204", "error", "a weight where none belongs",
       "A `weight` on a kgi, veto, metric, input or the model; only a kpi carries a weight.",
       "A kgi is the top of its tree, a veto is a pass/fail gate, a metric is monitored outside the scorecard.",
       M + 'kgi revenue { weight: 100%  target: >= 100  source: "ERP" }\n',
       M + 'kgi revenue { target: >= 100  source: "ERP" }\n',
       "Remove the `weight:` entry, or make the declaration a `kpi`."),
    _r("E205", "error", "a kpi or veto that does not link to a kgi",
       "Following parents (nesting or `parent:`) from a kpi or veto does not reach a kgi.",
       "Every KPI must drive a goal; an orphan is measured but moves nothing.",
       M + 'kgi growth { target: >= 100  source: "App" }\nkpi signups { target: >= 50  source: "App" }\n',
       M + 'kgi growth { target: >= 100  source: "App" }\n'
           'kpi signups { parent: growth  target: >= 50  source: "App" }\n',
       "Nest it in a kgi or kpi, add `parent: NAME`, or remove it."),
    _r("E206", "error", "a cycle of parents",
       "A chain of `parent:` links that comes back to where it started; the message names the cycle.",
       "A tree has a goal at its top; a cycle has none.",
       M + 'kpi a { parent: b  target: >= 1  source: "ERP" }\nkpi b { parent: a  target: >= 1  source: "ERP" }\n',
       M + 'kgi g { target: >= 1  source: "ERP" }\nkpi a { parent: g  target: >= 1  source: "ERP" }\n'
           'kpi b { parent: a  target: >= 1  source: "ERP" }\n',
       "Point one of the `parent:` entries at a kgi."),
    _r("E207", "error", "a kgi with a parent, or a parent given twice",
       "A kgi written inside a block or with `parent:`; a kpi or veto both nested and with `parent:`.",
       "A kgi is the top of a tree; a kpi has one parent, given one way.",
       M + 'kgi g {\n  target: >= 1\n  kpi a { parent: g  target: >= 1  source: "ERP" }\n}\n',
       M + 'kgi g {\n  target: >= 1\n  kpi a { target: >= 1  source: "ERP" }\n}\n',
       "Remove `parent:`, or move the declaration out of the block."),
    _r("E301", "error", "a cycle of formulas",
       "Formulas that refer to themselves through a chain of names; the message names the path.",
       "No value in the cycle can be computed.",
       M + 'metric a { value: b + 1 }\nmetric b { value: a * 2 }\nkgi g { value: a  target: >= 1 }\n',
       M + 'input b { source: "ERP" }\nmetric a { value: b + 1 }\nkgi g { value: a  target: >= 1 }\n',
       "One value in the chain must come from data: make it an `input`."),
    _r("E302", "error", "unknown function or wrong number of arguments",
       "A call to a function that does not exist, or with the wrong number of arguments. The functions are "
       "`min`, `max`, `sum`, `avg` (one or more), `abs(x)`, `round(x)`/`round(x, n)`, `clamp(x, lo, hi)`, "
       "`if(cond, then, else)`.",
       "The formula cannot be computed.",
       M + 'input a { source: "ERP" }\nkgi g { value: average(a, 1)  target: >= 1 }\n',
       M + 'input a { source: "ERP" }\nkgi g { value: avg(a, 1)  target: >= 1 }\n',
       "Use one of the functions, with its arguments."),
    _r("E303", "error", "a boolean where a number belongs, or a number where a condition belongs",
       "A `value` that is a condition, arithmetic on a condition, or a number where `if`, `and`, `or` or "
       "`not` expect a condition.",
       "A KPI's value is a number; conditions only choose between numbers.",
       M + 'input a { source: "ERP" }\nkgi g { value: a > 5  target: >= 1 }\n',
       M + 'input a { source: "ERP" }\nkgi g { value: if(a > 5, 1, 0)  target: >= 1 }\n',
       "Turn the condition into a number with `if(condition, 1, 0)`."),
    _r("E304", "error", "a baseline, target or stretch that reads an indicator",
       "A bound written as a formula may read inputs (a plan, a quota, last year's actual) and numbers; one "
       "that reads a kpi, kgi, metric or veto is reported at the bound.",
       "A target is what the team commits to before the period: it must not move with the results it judges. "
       "A target computed from another KPI's result would make the scorecard grade itself.",
       M + 'input sales { source: "ERP" }\nmetric trend { value: sales * 2 }\n'
           'kgi g { value: sales  target: >= trend * 110%  source: "ERP" }\n',
       M + 'input sales { source: "ERP" }\ninput last_year_sales { source: "ERP" }\n'
           'kgi g { value: sales  target: >= last_year_sales * 110%  source: "ERP" }\n',
       "Make the bound's figure an `input` that the data supplies, or compare against a number."),
    _r("E401", "error", "baseline, target and stretch out of order for the direction",
       "For `>=` the baseline must lie below the target and the stretch above; for `<=` the other way round. "
       "Where a level is a formula, the order is checked in each scenario instead: a scenario whose levels "
       "run out of order gets no score for that indicator, and `kpi eval` says why.",
       "Out of order, the score runs backwards: doing better would score worse.",
       M + 'kgi g { baseline: 100  target: >= 90  stretch: 120  source: "ERP" }\n',
       M + 'kgi g { baseline: 80  target: >= 90  stretch: 120  source: "ERP" }\n',
       "Reorder the levels, or check the direction of the target."),
    _r("E402", "error", "a veto without a target, or a threshold that takes no baseline or stretch",
       "A veto without `target`; a veto, an exact (`==`) or a band target with `baseline` or `stretch`.",
       "A veto is a pass/fail gate, and exact and band targets are met or missed: partial scores do not apply.",
       M + 'input incidents { source: "EHS" }\nkgi plant {\n  target: >= 1\n  source: "ERP"\n'
           '  veto safety { value: incidents }\n}\n',
       M + 'input incidents { source: "EHS" }\nkgi plant {\n  target: >= 1\n  source: "ERP"\n'
           '  veto safety { value: incidents  target: == 0 }\n}\n',
       "Give the veto a target such as `== 0`; remove baseline and stretch from pass/fail targets."),
    _r("E403", "error", "a band whose lower end exceeds its upper end",
       "A band target `lo .. hi` with lo > hi.",
       "Such a band can never be met.",
       M + 'kgi margin { target: 40% .. 30%  source: "ERP" }\n',
       M + 'kgi margin { target: 30% .. 40%  source: "ERP" }\n',
       "Write the band low end first."),
    _r("E404", "error", "a cap outside 100% to 500%, on the model or an indicator",
       "A `cap` on the model or on a kgi, kpi or metric below 100% or above 500%. The cap is the score an indicator reaches at its "
       "stretch (default 120%).",
       "Below 100%, beating the target would lower the score; above 500%, one KPI at its stretch outweighs "
       "the rest of the scorecard, and a cap such as `1e308` makes scores infinite.",
       'model "Sales" { owner: "Sales office"  period: quarterly  cap: 50% }\n'
       'kgi revenue { baseline: 80  target: >= 100  stretch: 120  source: "ERP" }\n',
       'model "Sales" { owner: "Sales office"  period: quarterly  cap: 150% }\n'
       'kgi revenue { baseline: 80  target: >= 100  stretch: 120  source: "ERP" }\n',
       "Write the cap as a percentage from 100% to 500%, such as `120%` or `150%`."),
    _r("E405", "error", "status bands out of order: they must run 0 < amber < green ≤ cap",
       "A `green` or `amber` on the model out of order: `amber` not below `green` or not above 0%, or "
       "`green` above the cap (defaults: green 100%, amber 80%, cap 120%).",
       "With `green: 10%  amber: 90%` every score from 10% up is green and none is ever amber; a green "
       "above the cap is never reached.",
       'model "Sales" { owner: "Sales office"  period: quarterly  green: 10%  amber: 90% }\n'
       'kgi revenue { target: >= 100  source: "ERP" }\n',
       'model "Sales" { owner: "Sales office"  period: quarterly  green: 100%  amber: 90% }\n'
       'kgi revenue { target: >= 100  source: "ERP" }\n',
       "Give `green` the score that counts as on track and `amber` a lower one, such as `green: 100%  amber: 80%`."),
    _r("E406", "error", "`score: own` on an indicator without a target",
       "A kgi or kpi with `score: own` is scored on its own achievement rather than its drivers; without a "
       "target it has none.",
       "The score would be unknown in every scenario, and its tree with it.",
       M + 'kgi g {\n  score: own\n  source: "ERP"\n  kpi a { weight: 100%  target: >= 1  source: "ERP" }\n}\n',
       M + 'kgi g {\n  score: own\n  target: >= 100\n  source: "ERP"\n'
           '  kpi a { weight: 100%  target: >= 1  source: "ERP" }\n}\n',
       "Give the indicator a target, or remove `score: own`."),
    _r("E407", "error", "grade bands out of order, overlapping or leaving scores without a grade",
       "Grades are written from the highest band down, each with the lowest score it takes (`score: >= N`), "
       "the last without `score:`, taking every score below. Reported: a grade whose band starts above the "
       "one before it (the bands would overlap), two grades starting at the same score (one could never be "
       "given), a grade without `score:` that is not the last, a lowest grade that starts above 0 (lower "
       "scores would have no grade), and a coefficient below 0.",
       "Grades feed bonuses and promotions: every score must get exactly one grade, and the same score "
       "always the same one.",
       M + 'grade A { score: >= 90% }\ngrade S { score: >= 110% }\ngrade B { }\n'
           'kgi revenue { target: >= 100  source: "ERP" }\n',
       M + 'grade S { score: >= 110% }\ngrade A { score: >= 90% }\ngrade B { }\n'
           'kgi revenue { target: >= 100  source: "ERP" }\n',
       "Write the grades from the highest band down, each starting lower than the one before, and leave "
       "`score:` off the last."),
    _r("E408", "error", "an adjustment whose points read an indicator",
       "An `adjustment`'s `value` is a formula over inputs and numbers (awards, complaints, incidents); one "
       "that reads a kpi, kgi, metric, veto or another adjustment is reported at the formula.",
       "Points that moved with the scores they adjust would let the scorecard grade itself, and could make "
       "a score depend on itself.",
       M + 'input complaints { source: "CRM" }\nmetric rate { value: complaints / 100 }\n'
           'kgi service { target: >= 90%  source: "CRM"\n  adjustment penalty { value: -rate }\n}\n',
       M + 'input complaints { source: "CRM" }\n'
           'kgi service { target: >= 90%  source: "CRM"\n  adjustment penalty { value: -complaints * 1% }\n}\n',
       "Make the figure the points come from an `input` that the data supplies."),
    _r("E409", "error", "an `adjustments:` range that does not include 0",
       "`adjustments: LO .. HI` on a kgi or kpi keeps the total of its adjustments between LO (the most "
       "deductions may take, 0 or below) and HI (the most bonuses may add, 0 or above).",
       "A range that excludes 0 would add or take points even when no adjustment applies.",
       M + 'input awards { source: "HR" }\n'
           'kgi sales { target: >= 100  source: "ERP"  adjustments: 2% .. 5%\n'
           '  adjustment bonus { value: awards * 1% }\n}\n',
       M + 'input awards { source: "HR" }\n'
           'kgi sales { target: >= 100  source: "ERP"  adjustments: -10% .. 5%\n'
           '  adjustment bonus { value: awards * 1% }\n}\n',
       "Write the range from the deductions' limit to the bonuses', such as `adjustments: -10% .. 5%`."),
    _r("E501", "error", "a scenario assigns an unknown name, or a name that has a formula",
       "A scenario entry for a name that is not declared, or for an indicator computed by its `value:`.",
       "The value would be ignored: usually a typo, or an assumption put in the wrong place.",
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario q1 { orders: 90  volume: 95 }\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario q1 { orders: 95 }\n',
       "Assign the inputs the formula reads, or correct the name."),
    _r("E502", "error", "a scenario extends an unknown scenario, or scenarios extend in a cycle",
       "`extends` names no scenario of the file, or scenarios extend each other in a circle.",
       "The scenario's starting values are undefined.",
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario q1 extends base { orders: 95 }\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario base { orders: 90 }\nscenario q1 extends base { orders: 95 }\n',
       "Extend a scenario declared in the same file; break the circle."),
    _r("E503", "error", "an `expect` that is not a condition, or a result read outside `expect`",
       "An `expect` whose expression is a number, or `.score`, `.achievement`, `.met` used in a formula.",
       "An expectation must be true or false; results exist only after evaluation.",
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario q1 { orders: 95\n  expect volume.score }\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario q1 { orders: 95\n  expect volume.score >= 90% }\n',
       "Compare the result: `expect volume.score >= 90%`."),
    _r("E504", "error", "a period that cannot be read, or is given twice in a scenario",
       "A `period \"…\" { … }` block whose period is not one of `2025`, `2025-H1`, `2025-Q3`, `2025-07`, "
       "`2025-W27` or `2025-07-15` (or not in the calendar: `2025-13`, `2025-W54`), or a period given twice "
       "in one scenario.",
       "Periods are ordered and accumulated to date: a period that cannot be placed in time cannot be "
       "ordered, and two blocks for one period would say two things about it.",
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario actual {\n  period "2025-13" { orders: 95 }\n}\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario actual {\n  period "2025-12" { orders: 95 }\n}\n',
       "Write the period in one of the forms above, once per scenario."),
    _r("E505", "error", "periods of different granularities in one scenario",
       "A scenario (or a data file's series) holds periods of two granularities: months and quarters, "
       "weeks and days, …",
       "To-date values add up the periods of a scenario in order; a quarter beside its own months would be "
       "counted twice, and the previous period of a month is not a quarter.",
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario actual {\n  period "2025-01" { orders: 95 }\n  period "2025-Q2" { orders: 310 }\n}\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n'
           'scenario actual {\n  period "2025-01" { orders: 95 }\n  period "2025-02" { orders: 104 }\n}\n'
           'scenario quarters {\n  period "2025-Q2" { orders: 310 }\n}\n',
       "Give each granularity its own scenario (or data file)."),
    _r("W101", "warning", "a kgi or kpi without a target",
       "A kgi or kpi with no `target`.",
       "SMART targets are measurable: without a target nobody can say whether it was achieved.",
       M + 'kgi revenue { source: "ERP" }\n',
       M + 'kgi revenue { target: >= 6000万  source: "ERP" }\n',
       "Add `target: >= N`, `<= N`, `== N` or a band `lo .. hi`."),
    _r("W102", "warning", "a kgi or kpi without an owner",
       "A kgi or kpi with no `owner`, none inherited from its parents, and none on the model.",
       "A KPI nobody is accountable for is not managed.",
       'model "Sales" { period: quarterly }\nkgi revenue { target: >= 100  source: "ERP" }\n',
       'model "Sales" { period: quarterly }\nkgi revenue { target: >= 100  source: "ERP"  owner: "Sales director" }\n',
       "Add `owner: \"…\"` to it, a parent, or the model."),
    _r("W103", "warning", "a kgi or kpi that is not time-bound",
       "A kgi or kpi with no `due` or `period` on it, its parents, or the model.",
       "A target without a deadline or a measuring period never falls due.",
       'model "Sales" { owner: "Sales office" }\nkgi revenue { target: >= 100  source: "ERP" }\n',
       'model "Sales" { owner: "Sales office" }\nkgi revenue { target: >= 100  source: "ERP"  due: 2025-12-31 }\n',
       "Give `due: YYYY-MM-DD` or `period:` on it, a parent, or the model."),
    _r("W104", "warning", "a leaf kpi with neither a formula nor a source",
       "A kpi without kpi children that has neither a `value:` formula nor a `source:`.",
       "Where does its number come from? Data nobody knows how to collect is not measured.",
       M + 'kgi revenue {\n  target: >= 100\n  kpi visits { target: >= 500 }\n}\n',
       M + 'kgi revenue {\n  target: >= 100\n  kpi visits { target: >= 500  source: "Web analytics" }\n}\n',
       "Add `source: \"CRM\"` (ERP, survey, …) or a `value:` formula."),
    _r("W105", "warning", "too many kpis under one node",
       "More than `max-children` (default 10; set it in `kpi.toml`) kpis under one kgi or kpi, or in the "
       "whole tree of one kgi.",
       "Too many KPIs scatter attention: focus on the 3–5 that drive the goal.",
       M + 'kgi revenue {\n  target: >= 100\n'
           + "".join(f'  kpi k{i} {{ target: >= 1  source: "ERP" }}\n' for i in range(11)) + "}\n",
       M + 'kgi revenue {\n  target: >= 100\n'
           + "".join(f'  kpi k{i} {{ target: >= 1  source: "ERP" }}\n' for i in range(4)) + "}\n",
       "Keep the few that drive the goal as kpis and move the rest to `metric`s, monitored outside the "
       "scorecard."),
    _r("W106", "warning", "an input or metric that nothing uses",
       "An input no formula or `expect` reads, or a metric without a target that nothing refers to.",
       "Data collected for nothing costs effort; a metric without a target is not monitored.",
       M + 'input orders { source: "CRM" }\ninput visits { source: "Web" }\n'
           'kgi volume { value: orders  target: >= 100 }\n',
       M + 'input orders { source: "CRM" }\nkgi volume { value: orders  target: >= 100 }\n',
       "Use it in a formula, give the metric a target, or remove it."),
    _r("W107", "warning", "a kgi tree without a process (leading) indicator",
       "When some indicator in the file sets `type`, a kgi whose tree has no `type: process` indicator.",
       "Result (lagging) indicators say what happened; people steer by process (leading) ones such as "
       "sales visits or lead conversion.",
       M + 'kgi revenue {\n  target: >= 100\n  type: result\n  kpi sales { target: >= 1  source: "ERP"  type: result }\n}\n',
       M + 'kgi revenue {\n  target: >= 100\n  type: result\n  kpi visits { target: >= 1  source: "CRM"  type: process }\n}\n',
       "Add a leading KPI with `type: process` to the tree."),
    _r("W108", "warning", "a kgi tree that covers only some balanced-scorecard perspectives",
       "When some indicator in the file sets `perspective`, a kgi whose tree covers some but not all of "
       "financial, customer, process and learning.",
       "A balanced scorecard keeps long-term drivers (customers, processes, learning) beside the financial "
       "result.",
       M + 'kgi revenue {\n  target: >= 100\n  perspective: financial\n'
           '  kpi csat { target: >= 90  source: "Survey"  perspective: customer }\n}\n',
       M + 'kgi revenue {\n  target: >= 100\n  perspective: financial\n'
           '  kpi csat { target: >= 90  source: "Survey"  perspective: customer }\n'
           '  kpi cycle_time { target: <= 5  source: "ERP"  perspective: process }\n'
           '  kpi training { target: >= 20  source: "HR"  perspective: learning }\n}\n',
       "Add KPIs for the missing perspectives, or drop `perspective` if the file does not use a scorecard."),
    _r("W109", "warning", "quantities of different units added or compared",
       "A formula adds, subtracts or compares two declared units (`万元 + people`), or takes `min`, `max`, "
       "`sum`, `avg` or `clamp` over them. Products and ratios of units are fine.",
       "Adding money to headcount gives a number that means nothing: the formula is almost always a typo or "
       "a missing conversion, and the score built on it misleads.",
       M + 'input revenue { unit: 万元  source: "ERP" }\ninput staff { unit: people  source: "HR" }\n'
           'kgi g { value: revenue + staff  target: >= 100  source: "ERP" }\n',
       M + 'input revenue { unit: 万元  source: "ERP" }\ninput staff { unit: people  source: "HR" }\n'
           'kgi g { value: revenue / staff  target: >= 100  source: "ERP" }\n',
       "Convert one side (multiply by a rate), or compute a ratio such as revenue per person."),
    _r("W110", "warning", "a percentage summed to date",
       "An input, or an indicator valued directly by scenarios, whose unit is `\"%\"` and which accumulates "
       "by `sum` (the default) in a model that uses periods (a `period` block, or `to_date:`).",
       "Three months of a 2% conversion rate are not 6%: a rate or share added up over periods gives a "
       "number that means nothing. A to-date rate is computed from to-date counts, or averaged.",
       M + 'input conversion { unit: "%"  source: "Web" }\nkgi rate { value: conversion  target: >= 2% }\n'
           'scenario actual {\n  period "2025-01" { conversion: 2.1% }\n}\n',
       M + 'input conversion { unit: "%"  source: "Web"  accumulate: avg }\nkgi rate { value: conversion  target: >= 2% }\n'
           'scenario actual {\n  period "2025-01" { conversion: 2.1% }\n}\n',
       "Supply the counts and compute the rate in a formula (`value: orders / visits`), or say how it "
       "accumulates: `accumulate: avg` (or `last`, `min`, `max`)."),
]

RULES: dict[str, Rule] = {r.code: r for r in _RULES}


def markdown() -> str:
    """``docs/rules.md``: every rule with its severity, summary and explanation."""
    out = ["# Rules", "",
           "Every finding `kpi check` reports, generated from the rule registry (`kpidsl/rules.py`) with",
           "`python -c 'import kpidsl.checking.rules as r; print(r.markdown(), end=\"\")' > docs/rules.md`.",
           "`kpi rule CODE` prints the same explanation in the terminal.", "",
           "| code | severity | summary |", "|---|---|---|"]
    out += [f"| [{r.code}](#{r.code.lower()}) | {r.severity} | {r.summary} |" for r in RULES.values()]
    for r in RULES.values():
        out += ["", f"## {r.code}", "", f"**{r.severity}**: {r.summary}", "", "```text", r.explanation, "```"]
    return "\n".join(out) + "\n"
