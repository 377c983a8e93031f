"""Where names stand (``kpidsl.api.occurrences``), the index the editor's rename and references use."""
from kpidsl import api

TEXT = '''input visits { source: "Web" }
kgi traffic { value: visits  target: >= 10  source: "Web" }
scenario fy {
  visits: 1
  period "2025-07" { visits: 4  expect traffic.met }
}
'''


def test_the_keys_and_expect_lines_of_period_blocks_are_occurrences():
    found = [(o.name, o.span.line, o.role) for o in api.occurrences(api.parse(TEXT, "n.kpi"))]
    assert ("visits", 4, "key") in found
    assert ("visits", 5, "key") in found  # inside the period block
    assert ("traffic", 5, "use") in found  # an expect line inside the period block
