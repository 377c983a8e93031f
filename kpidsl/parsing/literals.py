"""Literal values of the language: numbers with suffixes, dates and strings.

Each reader returns ``(value, problem)``: the value, or ``None`` and a sentence that says what is
wrong and how to fix it (an E002 finding). The same number reader serves data files and ``--set``.
Numbers are written with the ASCII digits 0–9 only: Python's ``int``/``float`` also take the digits
of other scripts (``৪``, ``٥``, ``５``), which the readers refuse, naming the character. ``show``
quotes input in messages: short, with control and invisible characters escaped.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata

#: suffix -> power of ten it multiplies by
SHIFTS = {"": 0, "%": -2, "k": 3, "M": 6, "B": 9, "万": 4, "亿": 8}

_NUMBER = re.compile(
    r"(?P<mantissa>[0-9](?:_?[0-9])*(?:\.[0-9](?:_?[0-9])*)?)(?:[eE](?P<exp>[+-]?[0-9](?:_?[0-9])*))?"
    r"(?P<suffix>.*)",
    re.DOTALL,
)


#: Unicode categories a message escapes rather than prints (see ``show``).
_HIDDEN = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def show(raw: str, limit: int = 24) -> str:
    """``raw`` as a message quotes it: cut after ``limit`` characters, and every character that would
    not print as itself escaped (``\\x00``, ``\\u202e``): controls, format characters such as bidi
    overrides and zero widths, line and paragraph separators, private and unassigned code points."""
    if len(raw) > limit:
        raw = raw[: limit - 4] + "…"
    if raw.isascii() and raw.isprintable():
        return raw
    return "".join(ascii(c)[1:-1] if unicodedata.category(c) in _HIDDEN else c for c in raw)


def foreign_digit(raw: str, written: str | None = None, what: str = "numbers") -> str | None:
    """The problem with the first decimal digit of ``raw`` that is not one of 0–9, if any
    (``written``: the text to quote, when ``raw`` is part of it)."""
    if raw.isascii():
        return None
    written = written or raw
    for c in raw:
        if c.isdecimal() and not c.isascii():
            name = unicodedata.name(c, f"U+{ord(c):04X}")
            quoted = "" if written == c else f"`{show(written)}`: "
            return f"{quoted}`{c}` ({name}) is not an ASCII digit; write {what} with 0–9"
    return None


def read_number(raw: str) -> tuple[float | None, str | None]:
    """Read a number literal such as ``1_000``, ``3.5e6``, ``75%`` or ``833万``."""
    return _read_number(raw, raw)


def _read_number(raw: str, written: str) -> tuple[float | None, str | None]:
    """``read_number``, its problems quoting ``written`` (``raw`` with the sign it was written with)."""
    problem = foreign_digit(raw, written)
    if problem:
        return None, problem
    m = _NUMBER.fullmatch(raw)
    if m is None:
        return None, f"`{show(written)}` is not a number: write digits with an optional fraction, exponent and suffix"
    suffix = m.group("suffix")
    if "_" in suffix or "__" in raw or "_." in raw or "._" in raw:
        return None, f"`{show(written)}`: `_` may only stand between two digits (`1_000`)"
    if suffix not in SHIFTS:
        return None, (
            f"`{show(written)}` has the unknown suffix `{show(suffix)}`; a number may end in one of "
            "`%`, `k`, `M`, `B`, `万` or `亿` (units go in `unit:`)"
        )
    exp = (m.group("exp") or "0").replace("_", "")
    if SHIFTS[suffix] and len(exp.lstrip("+-0")) <= 6:  # a longer exponent dwarfs any suffix's shift
        exp = str(int(exp) + SHIFTS[suffix])
    # one decimal string, so that `1.1亿` is exactly 110000000.0 and `35%` exactly 0.35; float() reads
    # an exponent of any length (int() would refuse more than 4,300 digits)
    value = float(f"{m.group('mantissa').replace('_', '')}e{exp}")
    if not math.isfinite(value):
        return None, f"`{show(written)}` is too large to be a number (the limit is about 1.8e308)"
    return value, None


def read_signed_number(text: str) -> tuple[float | None, str | None]:
    """Read a number literal with an optional leading ``-`` or ``+`` (scenario and data values).
    A problem quotes the whole text as given, sign included."""
    written = body = text.strip()
    if not body:
        return None, "an empty value is not a number"
    sign = -1.0 if body[0] == "-" else 1.0
    if body[0] in "-+":
        body = body[1:].lstrip()
        if not body:
            return None, f"`{show(written)}` is a sign without a number"
    value, problem = _read_number(body, written)
    return (None, problem) if value is None else (sign * value, None)


def read_date(raw: str) -> tuple[datetime.date | None, str | None]:
    """Read a ``YYYY-MM-DD`` date that must exist in the calendar."""
    problem = foreign_digit(raw, what="dates")
    if problem:
        return None, problem
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
