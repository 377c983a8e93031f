"""Literal values of the language: numbers with suffixes, dates and strings.

Each reader returns ``(value, problem)``: the value, or ``None`` and a sentence that says what is
wrong and how to fix it (an E002 finding). The same number reader serves data files and ``--set``.
"""

from __future__ import annotations

import datetime
import math
import re

#: suffix -> power of ten it multiplies by
SHIFTS = {"": 0, "%": -2, "k": 3, "M": 6, "B": 9, "万": 4, "亿": 8}

_NUMBER = re.compile(
    r"(?P<mantissa>\d(?:_?\d)*(?:\.\d(?:_?\d)*)?)(?:[eE](?P<exp>[+-]?\d(?:_?\d)*))?(?P<suffix>.*)",
    re.DOTALL,
)
_EXPONENT_LIMIT = 400  # 10**400 overflows a float long before this; stops giant exponents early


def _show(raw: str) -> str:
    return raw if len(raw) <= 24 else raw[:20] + "…"


def read_number(raw: str) -> tuple[float | None, str | None]:
    """Read a number literal such as ``1_000``, ``3.5e6``, ``75%`` or ``833万``."""
    m = _NUMBER.fullmatch(raw)
    if m is None:
        return None, f"`{_show(raw)}` is not a number: write digits with an optional fraction, exponent and suffix"
    suffix = m.group("suffix")
    if "_" in suffix or "__" in raw or "_." in raw or "._" in raw:
        return None, f"`{_show(raw)}`: `_` may only stand between two digits (`1_000`)"
    if suffix not in SHIFTS:
        return None, (
            f"`{_show(raw)}` has the unknown suffix `{_show(suffix)}`; a number may end in one of "
            "`%`, `k`, `M`, `B`, `万` or `亿` (units go in `unit:`)"
        )
    exp = int(m.group("exp").replace("_", "")) if m.group("exp") else 0
    exp += SHIFTS[suffix]
    if abs(exp) > _EXPONENT_LIMIT:
        value = math.inf if exp > 0 else 0.0
    else:
        # one decimal string, so that `1.1亿` is exactly 110000000.0 and `35%` exactly 0.35
        value = float(f"{m.group('mantissa').replace('_', '')}e{exp}")
    if not math.isfinite(value):
        return None, f"`{_show(raw)}` is too large to be a number (the limit is about 1.8e308)"
    return value, None


def read_signed_number(text: str) -> tuple[float | None, str | None]:
    """Read a number literal with an optional leading ``-`` (scenario and data values)."""
    text = text.strip()
    sign = 1.0
    if text.startswith("-"):
        sign, text = -1.0, text[1:].lstrip()
    elif text.startswith("+"):
        text = text[1:].lstrip()
    if not text:
        return None, "an empty value is not a number"
    value, problem = read_number(text)
    if value is None:
        return None, problem
    return sign * value, None


def read_date(raw: str) -> tuple[datetime.date | None, str | None]:
    """Read a ``YYYY-MM-DD`` date that must exist in the calendar."""
    try:
        return datetime.date(int(raw[0:4]), int(raw[5:7]), int(raw[8:10])), None
    except ValueError as exc:
        return None, f"`{raw}` is not a calendar date ({exc}); write a real date as YYYY-MM-DD"


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def read_string(raw: str) -> tuple[str | None, str | None]:
    """Decode a quoted string with the escapes ``\\" \\\\ \\n \\t \\uXXXX``."""
    body = raw[1:-1]
    if "\\" not in body:
        return body, None
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            seq = "\\" + (body[i + 1 : i + 6] if nxt == "u" else nxt)
            return None, (
                f"`{seq}` is not an escape; use `\\\"`, `\\\\`, `\\n`, `\\t` or `\\uXXXX` (four hex digits)"
            )
    return "".join(out), None
