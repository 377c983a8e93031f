"""The column-wise CSV series reader: NumPy's one-pass reading of a plain file gives exactly what
splitting the cells in Python and reading them one by one gives, and leaves every other file to it."""

from __future__ import annotations

import numpy as np
import pytest

from kpidsl import api
from kpidsl import data

MODEL = api.load_text('''model "Shop" { owner: "o"  period: monthly }
input orders { source: "Shop" }
input price { source: "Shop"  accumulate: avg }
kgi revenue { value: orders * price  target: >= 100 }
''')

HEAD = "entity,period,orders,price\n"
CASES = [  # (rows after the header, whether NumPy reads the file in one pass)
    ("north,2025-02,3,1.5\nnorth,2025-01,1,2\nsouth,2025-01,2,0.25\n", True),
    ("north,2025-01,1e3,+2\nsouth,2025-01,-0,007\n", True),
    ("north,2025-01,1,2\n\n\n", True),  # blank lines at the end only
    ("north,2025-01,1,\nsouth,2025-01,2,3\n", False),  # an empty cell
    ("north,2025-01, 1,2\n", False),  # a space
    ("north,2025-01,.5,2\n", False),  # a dot not between digits
    ("north,2025-01,5.,2\n", False),
    ("n.1,2025-01,5,2\n", False),  # a dot elsewhere: the cells are read one by one
    ("north,2025-01,nan,2\n", False),
    ("north,2025-01,inf,2\n", False),
    ("north,2025-01,1e999,2\n", False),
    ("north,2025-01,1_000,2\n", False),
    ("north,2025-01,0x10,2\n", False),
    ("nörth,2025-01,1,2\n", False),
    ("north,2025-01,10%,2\n", False),
    ("north,2025-01,1,2\nsouth,2025-01,2\n", False),  # ragged
    ("north,2025-01,1,2\n\nsouth,2025-01,2,3\n", False),  # a blank row
    ("north,2025-01,1,2,\n", False),
    ("north,2025-01,1,2\nnorth,2025-01,3,4\n", True),  # given twice: None either way
]


def _read(tmp_path, text, monkeypatch=None):
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    return data.read_series_columns(str(path), MODEL)


def _same(a, b):
    if a is None or b is None:
        return a is b
    (sa, ia, pa, ca), (sb, ib, pb, cb) = a, b
    return (sa == sb and ia.tolist() == ib.tolist() and pa == pb and ca.keys() == cb.keys()
            and all(np.array_equal(ca[k], cb[k], equal_nan=True) and ca[k].dtype == cb[k].dtype for k in ca))


@pytest.mark.parametrize("rows,one_pass", CASES)
def test_one_pass_reading_is_the_cell_by_cell_reading(tmp_path, monkeypatch, rows, one_pass):
    calls = []
    block = data._read_block
    monkeypatch.setattr(data, "_read_block", lambda *a: calls.append(out := block(*a)) or out)
    fast = _read(tmp_path, HEAD + rows)
    assert (calls and calls[0] is not None) == one_pass
    monkeypatch.setattr(data, "_read_block", lambda *a: None)
    assert _same(fast, _read(tmp_path, HEAD + rows))


def test_one_pass_reading_sorts_series_and_periods(tmp_path):
    series, ids, periods, columns = _read(tmp_path, HEAD + CASES[0][0])
    assert series == [("d", "north"), ("d", "south")] and ids.tolist() == [0, 0, 1]
    assert [p.index for p in periods] == [1, 2, 1] and columns["orders"].tolist() == [1, 3, 2]
