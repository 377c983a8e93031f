"""``to_date "2025-06" { expect … }`` in a scenario: expectations about a period to date, checked by
``kpi test``; read alike by both parsers, kept by ``kpi fmt``, checked by the compiler."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kpidsl import api
from kpidsl.cli.commands import cli
from kpidsl.errors import KpiError
from kpidsl.parsing import descent
from test_fast_paths import assert_same

MODEL = '''model "Shop" { owner: "o"  period: monthly }
input orders { source: "Shop" }
input visits { source: "Web" }

kgi sales {
  value: orders
  target: >= 100
  kpi conversion { value: orders / visits  weight: 100%  target: >= 2% }
}

scenario actual {
  period "2025-01" { orders: 100  visits: 4_000 }
  period "2025-02" { orders: 50  visits: 4_000 }
  period "2025-03" { orders: 150  visits: 4_000 }
'''


def kpi_test(tmp_path, lines: str) -> tuple[int, str]:
    (tmp_path / "m.kpi").write_text(MODEL + lines + "}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["test", str(tmp_path / "m.kpi")], env={"NO_COLOR": "1"})
    return result.exit_code, result.output


@pytest.mark.parametrize("lines, code, words", [
    # to date at February: 150 orders against a level of 200; 150 / 8,000 visits
    ('  to_date "2025-02" {\n    expect sales == 150\n    expect not sales.met\n    expect conversion < 2%\n  }\n',
     0, "3 passed, 0 failed"),
    ('  to_date "2025-02" { expect sales == 50 }\n', 1, "m.kpi:15:23: FAILED actual to date 2025-02: expect sales == 50"),
    ('  period "2025-02" { expect sales == 50 }\n', 1, "E504"),  # a period block names the period again
    ('  to_date "2025-01" { expect sales.met }\n  to_date "2025-03" { expect sales == 300 }\n', 0, "2 passed"),
    ('  to_date "2025-03" { expect sales == 300 }\n  expect sales.score == 1\n', 0, "2 passed"),  # both at the last
    ('  to_date "2025-04" { expect sales > 0 }\n', 1, "scenario `actual` has no period `2025-04` to check to date"),
])
def test_kpi_test_checks_a_period_to_date(tmp_path, lines, code, words):
    got, out = kpi_test(tmp_path, lines)
    assert got == code, out
    if words:
        assert words in out


@pytest.mark.parametrize("lines, code, words", [
    ('  to_date "2025-13" { expect sales > 0 }\n', "E504", "a month runs from 01 to 12"),
    ('  to_date "2025-02" { expect sales > 0 }\n  to_date "2025-02" { expect sales > 1 }\n', "E504", "given twice"),
    ('  to_date "2025-02" { orders: 5 }\n', "E004", 'holds `expect` lines only; a period\'s values go in its '
     '`period "2025-02"` block'),
    ('  to_date "2025-02" { expect sales + 1 }\n', "E503", None),
    ('  to_dat "2025-02" { expect sales > 0 }\n', "E001", "found `to_dat` followed by a string"),
])
def test_bad_to_date_blocks(lines, code, words):
    try:
        found = [f for f in api.load_text(MODEL + lines + "}\n").findings if f.is_error]
    except KpiError as exc:  # a syntax error
        found = list(exc.findings)
    assert [f.code for f in found] == [code], [str(f) for f in found]
    if words:
        assert words in found[0].message


def test_both_parsers_read_to_date_blocks_alike():
    text = MODEL + '  to_date "2025-02" {\n    expect sales == 150  # to date\n  }\n  to_date "2025-13" { x: 1 }\n}\n'
    assert_same(text)
    found = []
    descent.parse(MODEL + '  to_date "2025-02" { expect sales > 0 }\n}\n', lambda *f: found.append(f))
    assert not found  # the fast path takes it, with no finding


def test_fmt_keeps_to_date_blocks(tmp_path):
    path = tmp_path / "m.kpi"
    path.write_text(MODEL + '  to_date "2025-02" { expect sales == 150 }\n}\n', encoding="utf-8")
    assert CliRunner().invoke(cli, ["fmt", str(path)]).exit_code == 0
    once = path.read_text(encoding="utf-8")
    assert 'to_date "2025-02" {\n    expect sales == 150\n  }' in once
    assert CliRunner().invoke(cli, ["fmt", str(path), "--check"]).exit_code == 0
    assert CliRunner().invoke(cli, ["test", str(path)]).output.endswith("1 passed, 0 failed\n")
