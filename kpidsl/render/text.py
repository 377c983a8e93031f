"""Terminal text: escaping, display width of CJK text, padding, colour, and number formatting."""

from __future__ import annotations

import math
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..compiler.model import Model

STATUS_COLOURS = {"green": "green", "pass": "green", "amber": "yellow", "red": "red", "fail": "red",
                  "vetoed": "magenta", "no-data": "bright_black", "overdue": "red"}


#: Bidirectional controls: embeddings and overrides (U+202A–202E), isolates (U+2066–2069) and marks.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def unsafe(c: str) -> bool:
    """Whether a terminal would act on ``c`` rather than show it: a C0 or C1 control (ESC among them),
    DEL, a line or paragraph separator, a bidirectional control, or a lone surrogate."""
    return c in BIDI or unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")


def clean(text: str) -> str:
    """``text`` safe to print on one terminal line: what ``unsafe`` names is shown as an escape
    (``\\n``, ``\\t``, ``\\r``, else ``\\u001b``), so that text read from a file or a data file (a label,
    a unit, a scenario name, a source line) cannot move the cursor, change colours, clear the
    screen, make a hyperlink, reorder the line or start a new one. Every human-readable renderer
    prints user text through it; JSON and SARIF are escaped by JSON instead."""
    if text.isprintable() and BIDI.isdisjoint(text):
        return text
    return "".join(_NAMED.get(c) or (f"\\u{ord(c):04x}" if unsafe(c) else c) for c in text)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters take two)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)


def pad(text: str, n: int, right: bool = False) -> str:
    """Pad ``text`` to ``n`` columns (on the left when ``right``)."""
    gap = " " * max(0, n - width(text))
    return gap + text if right else text + gap


def fmt_number(x: float | None) -> str:
    """A readable number: thousands separators, at most six significant digits after the point."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.6g}"


def fmt_value(x: float | None, unit: str | None, percent: bool = False) -> str:
    """A value in its unit: ``"%"`` (or ``percent``: its target is written in %) shows a fraction as a
    percentage."""
    if x is None:
        return "—"
    if unit == "%" or percent:
        return f"{x * 100:.4g}%" + (f" {unit}" if unit and unit != "%" else "")
    return fmt_number(x) + (f" {unit}" if unit else "")


def fmt_pct(x: float | None, status: str | None = None, green: float = 1.0, amber: float = 0.8) -> str:
    """A score as a percentage with one decimal. Given its ``status`` and the bands, the displayed
    number never crosses into the band above: 99.996% against a green band from 100% shows 99.9%."""
    if x is None:
        return "—"
    text = f"{x * 100:.1f}"
    above = {"amber": green, "red": amber}.get(status or "")
    if above is not None and float(text) / 100 >= above - 1e-9 * max(1.0, abs(above)):
        text = f"{math.floor(x * 1000) / 10:.1f}"
    return text + "%"


def observed_text(label: str, x, percent: bool) -> str:
    """``label = value`` for what an ``expect`` line read (a failing ``kpi test`` shows these)."""
    if x is None:
        return f"{label} = unknown"
    if isinstance(x, bool):
        return f"{label} = {str(x).lower()}"
    if isinstance(x, str):  # a grade
        return f'{label} = "{x}"'
    text = f"{x:.6g}" if abs(x) < 1000 else fmt_number(x)
    if percent:
        text += f" ({x * 100:.1f}%)"
    return f"{label} = {text}"


def value_text(model: Model, name: str, value: float | None) -> str:
    """A value in the form its target is written: a fraction as a percentage when the unit is ``%``
    or the target is a number written in % (a formula's ``120%`` is a factor, not the value's form)."""
    ind, t = model.indicators[name], model.indicators[name].target
    return fmt_value(value, ind.unit, t is not None and not t.formulas and "%" in t.text)


def target_text(model: Model, name: str, levels: dict | None = None) -> str:
    """An indicator's target as written, or, where ``levels`` (``Evaluation.levels``) holds a known
    level for it, that level in the target's form (``>= 24,990,000``, ``600 .. 900``)."""
    t = model.indicators[name].target
    b = None if t is None or levels is None else levels.get(name)
    if b is None or (type(b) is tuple and None in b):
        return t.text if t is not None else ""
    if type(b) is tuple:
        return f"{value_text(model, name, b[0])} .. {value_text(model, name, b[1])}"
    return f"{t.op} {value_text(model, name, b)}"


def score_text(model: Model, r) -> str:
    """A score that never reads as another band than its status."""
    return fmt_pct(r.score, r.status, model.settings.green, model.settings.amber)


def met_mark(r) -> str:
    """✓ met, ✗ missed, blank when there is no target or no data."""
    return "" if r.met is None else "✓" if r.met else "✗"


class LineWriter:
    """Lines of output, joined by newlines, ending with one newline after the last that is not
    blank: given to ``write`` as they are made (trailing blank lines held until more comes), or
    kept for ``text()``."""

    def __init__(self, write=None):
        self.write = write
        self.kept: list[str] = []
        self.blank = 0  # blank lines not written yet
        self.started = False

    def append(self, line: str) -> None:
        if not line:
            self.blank += 1
            return
        piece = ("\n" if self.started else "") + "\n" * self.blank + line
        self.blank, self.started = 0, True
        if self.write is None:
            self.kept.append(piece)
        else:
            self.write(piece)

    def extend(self, lines) -> None:
        for line in lines:
            self.append(line)

    def end(self, lines=()) -> None:
        self.extend(lines)
        piece = "\n"
        if self.write is None:
            self.kept.append(piece)
        else:
            self.write(piece)

    def text(self) -> str:
        return "".join(self.kept)
