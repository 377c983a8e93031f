"""Findings: what the parser, the compiler and the checker report, with a code and a place."""

from __future__ import annotations

import collections
import operator


class Span(collections.namedtuple("Span", "line column end_line end_column")):
    """A range of source text: 1-based line and column (in code points); the end column is exclusive.

    A named tuple: spans order as (line, column, end_line, end_column). A syntax node keeps the same
    four numbers as its last items, which ``node.span`` turns into a Span."""

    __slots__ = ()

    @classmethod
    def of_token(cls, tok) -> "Span":
        """The span of a lark token."""
        return cls(tok.line, tok.column, tok.end_line, tok.end_column)

    def to(self, other: "Span") -> "Span":
        """The span from the start of this one to the end of ``other``."""
        return Span(self.line, self.column, other.end_line, other.end_column)


UNKNOWN_SPAN = Span(1, 1, 1, 1)


class Finding(tuple):
    """One problem found in a file: a rule code, where it starts and ends, and a message.

    ``Finding(path, span, code, message)``. A tuple of the path, the span's four numbers, the code
    and the message: one object per finding (a file may have one for every few bytes), where an
    instance with a ``Span`` of its own would be two. Findings are equal when all of these are, and
    order by path, span and code (not message)."""

    __slots__ = ()

    def __new__(cls, path: str, span: Span, code: str, message: str) -> "Finding":
        return tuple.__new__(cls, (path, *span, code, message))

    def __getnewargs__(self) -> tuple:
        return self.path, self.span, self.code, self.message

    path = property(operator.itemgetter(0), doc="The file's path, as it was named.")
    code = property(operator.itemgetter(5), doc="The rule code (one of ``kpidsl.checking.rules.RULES``).")
    message = property(operator.itemgetter(6), doc="What was found, what was expected, and the fix.")

    @property
    def span(self) -> Span:
        """Where it starts and ends."""
        return tuple.__new__(Span, self[1:5])

    def __lt__(self, other: tuple) -> bool:
        return self[:6] < other[:6] if isinstance(other, Finding) else NotImplemented

    def __le__(self, other: tuple) -> bool:
        return self[:6] <= other[:6] if isinstance(other, Finding) else NotImplemented

    def __gt__(self, other: tuple) -> bool:
        return self[:6] > other[:6] if isinstance(other, Finding) else NotImplemented

    def __ge__(self, other: tuple) -> bool:
        return self[:6] >= other[:6] if isinstance(other, Finding) else NotImplemented

    def __repr__(self) -> str:
        return f"Finding(path={self.path!r}, span={self.span!r}, code={self.code!r}, message={self.message!r})"

    @property
    def severity(self) -> str:
        """``error`` for an ``E`` code, ``warning`` for a ``W`` code (as the rule registry says)."""
        return "error" if self.code[0] == "E" else "warning"

    @property
    def is_error(self) -> bool:
        """Whether the finding is an error (it stops ``eval`` and ``test``)."""
        return self.severity == "error"

    def to_json(self) -> dict:
        """The finding as the JSON object of ``kpi check --format json``."""
        s = self.span
        return {
            "path": self.path,
            "line": s.line,
            "column": s.column,
            "end_line": s.end_line,
            "end_column": s.end_column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


#: The key that sorts the findings of one file by position: a finding's span and code, as one tuple
#: made in C (half the memory of a ``Span`` and a tuple for each finding).
BY_POSITION = operator.itemgetter(slice(1, 6))


#: Names a file's suggestions may be compared with in all (a tenth of a second's work): a file with
#: thousands of unknown names among thousands of names would otherwise take time quadratic in its
#: size. Findings reported after the budget is spent have no suggestion.
SUGGESTION_BUDGET = 100_000


def closest(name: str, candidates, sink: FindingSink | None = None) -> str:
    """``; did you mean `x`?`` for the closest of ``candidates`` (a sized collection), or an empty
    string; with ``sink``, also an empty string once its file's ``SUGGESTION_BUDGET`` is spent."""
    if sink is not None:
        sink.compared += len(candidates)
        if sink.compared > SUGGESTION_BUDGET:
            return ""
    import difflib  # only when a name is wrong

    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean `{match[0]}`?" if match else ""


class KpiError(Exception):
    """A file or model that cannot be used; carries the findings that say why."""

    def __init__(self, findings: list[Finding] | tuple[Finding, ...], message: str | None = None):
        self.findings = tuple(findings)
        super().__init__(message or "; ".join(f"{f.code} {f.message}" for f in self.findings))


class FindingSink:
    """Collects findings for one file, in the order they are reported."""

    def __init__(self, path: str):
        self.path = path
        self.items: list[Finding] = []
        self.compared = 0  # names compared for suggestions (``closest``)

    def add(self, code: str, span: Span | None, message: str) -> None:
        """Report a finding with ``code`` (one of ``kpidsl.checking.rules.RULES``) at ``span`` (the
        start of the file when unknown)."""
        self.items.append(Finding(self.path, span or UNKNOWN_SPAN, code, message))
