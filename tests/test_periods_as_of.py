"""Deadlines in scenarios with periods: each period stands at its own end, in both runtimes."""
import datetime

import numpy as np
import pytest

from kpidsl import api
from kpidsl.parsing.periods import read_period

MODEL = """
model "Permits" { period: monthly }
input permits "Permits granted" { source: "Legal" }
kgi stores "Stores" {
  value: permits
  target: >= 12
  due: 2025-06-30
  source: "Store operations"
}
"""
PERIODS = {"2025-05": {"permits": 4}, "2025-06": {"permits": 4}, "2025-07": {"permits": 2}}


def _model():
    model, findings = api.compile_text(MODEL, "p.kpi")
    assert not [f for f in findings if f.is_error], findings
    return model


@pytest.mark.parametrize("as_of, expected", [
    (None, ["red", "red", "overdue"]),  # May and June end on or before the deadline, July after it
    (datetime.date(2025, 5, 1), ["red", "red", "red"]),
    (datetime.date(2025, 8, 1), ["overdue", "overdue", "overdue"]),
])
def test_each_period_is_overdue_from_its_end_or_the_given_date(as_of, expected):
    model = _model()
    sev = api.evaluate_series(model, "s", {}, PERIODS, as_of=as_of)
    assert [pe.own.results["stores"].status for pe in sev.periods] == expected
    assert [pe.to_date.results["stores"].status for pe in sev.periods] == expected
    periods = [read_period(p)[0] for p in PERIODS]
    rows = api.evaluate_rows(model, {"permits": np.array([4.0, 4.0, 2.0])}, np.zeros(3, dtype=np.int64), periods,
                             as_of=None if as_of is None else np.full(3, float(as_of.toordinal())))
    assert rows.own.status_text("stores") == expected
    assert rows.to_date.status_text("stores") == expected
