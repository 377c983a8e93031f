"""Periods: ``2025``, ``2025-H1``, ``2025-Q3``, ``2025-07``, ``2025-W27``, ``2025-07-15``.

``read_period`` is a ``(value, problem)`` reader as those of ``kpidsl.parsing.literals``: the
``Period``, or None and a sentence saying what is wrong and what is expected. A period knows its
granularity (``kind``), its place in its year (``index``, from 1) and so its order, its end date
(``period_end``), the one before it (``previous``) and the one a year earlier (``year_ago``).
Weeks are ISO weeks (``2025-W01`` starts on the Monday of the week that holds 4 January), so a
week's year is its ISO year.
"""

from __future__ import annotations

import calendar
import datetime
import re
from typing import NamedTuple

from .literals import foreign_digit, show

#: Granularities, coarsest first, with how a message names them.
KINDS = {"year": "years", "half": "half years", "quarter": "quarters", "month": "months", "week": "ISO weeks",
         "day": "days"}

_FORM = re.compile(r"(\d{4})(?:-(?:H([12])|Q([1-4])|W(\d\d)|(\d\d)(?:-(\d\d))?))?\Z", re.ASCII)
_EXPECTED = "a period such as `2025`, `2025-H1`, `2025-Q3`, `2025-07`, `2025-W27` or `2025-07-15`"


class Period(NamedTuple):
    """One period: its year (the ISO year for weeks), its granularity and its 1-based index in the
    year (the day of the year for days). Periods of one kind order as tuples do."""

    year: int
    index: int
    kind: str

    @property
    def text(self) -> str:
        """The period as it is written (``2025-Q3``)."""
        y, i, k = self.year, self.index, self.kind
        if k == "year":
            return f"{y:04d}"
        if k == "half":
            return f"{y:04d}-H{i}"
        if k == "quarter":
            return f"{y:04d}-Q{i}"
        if k == "month":
            return f"{y:04d}-{i:02d}"
        if k == "week":
            return f"{y:04d}-W{i:02d}"
        return (datetime.date(y, 1, 1) + datetime.timedelta(days=i - 1)).isoformat()

    def __str__(self) -> str:
        return self.text


def per_year(kind: str, year: int) -> int:
    """How many periods of ``kind`` the year ``year`` has (52 or 53 ISO weeks, 365 or 366 days)."""
    if kind == "week":
        return datetime.date(year, 12, 28).isocalendar()[1]
    if kind == "day":
        return 366 if calendar.isleap(year) else 365
    return {"year": 1, "half": 2, "quarter": 4, "month": 12}[kind]


def read_period(raw: str) -> tuple[Period | None, str | None]:
    """Read a period; ``(Period, None)`` or ``(None, problem)``."""
    m = _FORM.match(raw)
    if m is None:
        return None, foreign_digit(raw, what="periods") or f"`{show(raw)}` is not a period; expected {_EXPECTED}"
    year = int(m[1])
    if year < 1:
        return None, f"`{show(raw)}`: the year 0000 is not a year; write a year from 0001"
    if m[2]:
        return Period(year, int(m[2]), "half"), None
    if m[3]:
        return Period(year, int(m[3]), "quarter"), None
    if m[4]:
        week = int(m[4])
        if not 1 <= week <= per_year("week", year):
            return None, f"`{show(raw)}`: {year} has ISO weeks W01 to W{per_year('week', year)}"
        return Period(year, week, "week"), None
    if m[5]:
        month = int(m[5])
        if not 1 <= month <= 12:
            return None, f"`{show(raw)}`: a month runs from 01 to 12"
        if m[6] is None:
            return Period(year, month, "month"), None
        try:
            day = datetime.date(year, month, int(m[6]))
        except ValueError:
            return None, f"`{show(raw)}` is not a day of the calendar"
        return Period(year, day.timetuple().tm_yday, "day"), None
    return Period(year, 1, "year"), None


def period_end(period: Period) -> datetime.date:
    """The last day of ``period`` (its as-of date)."""
    y, i, k = period
    if k == "year":
        return datetime.date(y, 12, 31)
    if k in ("half", "quarter", "month"):
        month = i * {"half": 6, "quarter": 3, "month": 1}[k]
        return datetime.date(y, month, calendar.monthrange(y, month)[1])
    if k == "week":
        return datetime.date.fromisocalendar(y, i, 7)
    return datetime.date(y, 1, 1) + datetime.timedelta(days=i - 1)


def previous(period: Period) -> Period | None:
    """The period just before ``period`` (None before the year 1)."""
    y, i, k = period
    if i > 1:
        return Period(y, i - 1, k)
    return Period(y - 1, per_year(k, y - 1), k) if y > 1 else None


def year_ago(period: Period) -> Period | None:
    """The same period a year earlier (None where that year has no such period: week 53, 29 February)."""
    y, i, k = period
    if y <= 1:
        return None
    if k == "day":
        day = period_end(period)
        if day.month == 2 and day.day == 29:
            return None
        return Period(y - 1, datetime.date(y - 1, day.month, day.day).timetuple().tm_yday, k)
    return Period(y - 1, i, k) if i <= per_year(k, y - 1) else None


__all__ = ["Period", "KINDS", "read_period", "period_end", "per_year", "previous", "year_ago"]
