"""Findings: what the parser, the compiler and the checker report, with a code and a place."""

from __future__ import annotations

import bisect
import collections
import heapq
import operator
from array import array
from collections.abc import Sequence
from typing import Callable, Iterator


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


#: Runs of findings in position order (each pass reports in file order) that ``FindingSink.sorted``
#: merges, keeping one finding of each at a time; more are sorted as a whole.
MERGED_RUNS = 64
#: The fewest characters a message must share with the one before (at its start and end) for the
#: two to be kept as one frame and what each has between its two parts.
SHARED_ENOUGH = 16


class _Messages:
    """The messages of a sink, in order, kept as frames and middles: messages reported one after
    another mostly differ only in a name or a number (``kpi `o1` does not link …``, ``kpi `o2` …``),
    so each is kept as a frame (the start and the end it shares with the message before, kept once
    for every message that has them) and its own middle, in one UTF-8 buffer."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, str]] = [("", "")]
        self.frame_of = array("I")  # each message's frame
        self.middles = bytearray()  # each message's middle, one after another
        self.ends = array("q")  # where each message's middle ends in ``middles``
        self.last = ""  # the last message
        self.start, self.end, self.number = "", "", 0  # the last frame made, and its number

    def append(self, message: str) -> None:
        start, end, number = self.start, self.end, self.number
        if not (number and message.startswith(start) and message.endswith(end)
                and len(start) + len(end) <= len(message)):
            start, end, number = self._frame(message)
        self.last = message
        self.frame_of.append(number)
        self.middles += message[len(start):len(message) - len(end)].encode("utf-8", "surrogatepass")
        self.ends.append(len(self.middles))

    def _frame(self, message: str) -> tuple[str, str, int]:
        """The start and end ``message`` shares with the last one and their number (a new frame,
        the last made from now on), or no frame (0)."""
        last = self.last
        start = _shared(message.startswith, last, len(message), lambda n: last[:n])
        end = _shared(message.endswith, last, len(message) - start, lambda n: last[len(last) - n:])
        if start + end < SHARED_ENOUGH:
            return "", "", 0
        self.frames.append((message[:start], message[len(message) - end:]))
        self.start, self.end = self.frames[-1]
        self.number = len(self.frames) - 1
        return self.start, self.end, self.number


def _merge(first: Sequence[int], then: Sequence[int], key: Callable[[int], tuple]) -> Sequence[int]:
    """The numbers of ``first`` and ``then``, each sorted by ``key``, in one sequence so sorted (those
    of ``first`` first where keys are equal). A few numbers are each put in place by halving."""
    if not then:
        return first
    if len(then) * len(first).bit_length() >= len(first):
        return array("i", heapq.merge(first, then, key=key))
    out, done = array("i"), 0
    for i in then:
        at = bisect.bisect_right(first, key(i), done, key=key)
        out.extend(first[done:at])
        out.append(i)
        done = at
    out.extend(first[done:])
    return out


def _shared(has, other: str, most: int, part) -> int:
    """The most characters (up to ``most``) of which ``has(part(n))`` holds, ``part(n)`` being ``n``
    characters of ``other``; by halving, each step one comparison made in C."""
    low, high = 0, min(most, len(other))
    while low < high:
        mid = (low + high + 1) // 2
        if has(part(mid)):
            low = mid
        else:
            high = mid - 1
    return low


_CODES: list[str] = []  # every code reported in this process, in order of first report
_NUMBERS: dict[str, int] = {}  # code -> its place in _CODES


def _number(code: str) -> int:
    number = _NUMBERS.get(code)
    if number is None:
        number = _NUMBERS.setdefault(code, len(_CODES))
        if number == len(_CODES):
            _CODES.append(code)
    return number


class FindingSink:
    """Collects findings for one file, in the order they are reported, compactly: a file may have a
    finding for every few bytes, and they are kept while its syntax tree and model are.

    The four numbers of each span are in one array, each code is a number, and the messages are
    kept as the parts they share with the message before and their own (``_Messages``). ``items``
    and ``sorted`` are sequences of ``Finding``, each made when it is read. ``FindingSink(path,
    before=other)`` reads the findings of ``other`` as its own first ones and adds more after them
    (nothing is to be added to ``other`` then)."""

    def __init__(self, path: str, before: FindingSink | None = None):
        self.path = path
        self.compared = 0  # names compared for suggestions (``closest``)
        self._before = before
        self._base = 0 if before is None else len(before)  # findings read from ``before``
        self._spans = array("i")  # line, column, end line, end column of each finding
        self._codes = array("H")  # each finding's code, as its place in _CODES
        self._messages = _Messages()
        self._runs = array("i")  # where each run of findings in position order starts, but the first
        self._sorted: Sequence[int] | None = None  # the numbers of the findings by position, once found
        self._last_span: tuple = (0,)  # the span and code of the last finding
        self._last_code = ""

    def add(self, code: str, span: Span | None, message: str) -> None:
        """Report a finding with ``code`` (one of ``kpidsl.checking.rules.RULES``) at ``span`` (the
        start of the file when unknown)."""
        span = span or UNKNOWN_SPAN
        if span <= self._last_span and (span < self._last_span or code < self._last_code):
            self._runs.append(len(self))
        self._last_span, self._last_code = span, code
        self._messages.append(message)
        number = _NUMBERS.get(code)
        self._codes.append(_number(code) if number is None else number)
        self._spans.extend(span)

    def __len__(self) -> int:
        return self._base + len(self._codes)

    def has_errors(self) -> bool:
        """Whether any finding reported so far is an error (its code starts with ``E``)."""
        return any(_CODES[c][0] == "E" for c in set(self._codes)) or (
            self._before is not None and self._before.has_errors())

    @property
    def items(self) -> Findings:
        """The findings reported so far, in the order they were."""
        return Findings(self, range(len(self)))

    def sorted(self) -> Findings:
        """The findings reported so far by position (``BY_POSITION``; in the order reported where
        that is equal)."""
        if self._sorted is None or len(self._sorted) != len(self):
            order = self._own_sorted()
            if self._before is not None:
                order = _merge(self._before.sorted().order, order, self.keyer())
            self._sorted = order
        return Findings(self, self._sorted)

    def _own_sorted(self) -> Sequence[int]:
        """The numbers of the findings added to this sink (not those before it) by position."""
        n, starts = len(self), [self._base, *self._runs]
        if len(starts) == 1:
            return range(self._base, n)
        key = self.keyer()
        if len(starts) > MERGED_RUNS:
            return array("i", sorted(range(self._base, n), key=key))
        return array("i", heapq.merge(*map(range, starts, [*starts[1:], n]), key=key))

    def keyer(self) -> Callable[[int], tuple]:
        """``BY_POSITION`` of a finding by its number (from 0, in the order reported): its span and code."""
        spans, codes = self._spans, self._codes

        def key(i: int) -> tuple:
            j = 4 * i
            return spans[j], spans[j + 1], spans[j + 2], spans[j + 3], _CODES[codes[i]]

        return self._after_before(key, FindingSink.keyer)

    def reader(self) -> Callable[[int], Finding]:
        """The ``Finding`` of a number (from 0, in the order reported), made when asked for."""
        path, spans, codes, messages = self.path, self._spans, self._codes, self._messages
        frames, frame_of, middles, ends = messages.frames, messages.frame_of, messages.middles, messages.ends
        new = tuple.__new__

        def read(i: int) -> Finding:
            j = 4 * i
            start, end = frames[frame_of[i]]
            a, b = ends[i - 1] if i else 0, ends[i]
            if a < b:
                start += middles[a:b].decode("utf-8", "surrogatepass") + end
            elif end:
                start += end
            return new(Finding, (path, spans[j], spans[j + 1], spans[j + 2], spans[j + 3], _CODES[codes[i]], start))

        return self._after_before(read, FindingSink.reader)

    def code_and_line(self) -> Callable[[int], tuple[str, int]]:
        """The code of a finding by its number and the line where it starts."""
        spans, codes = self._spans, self._codes
        return self._after_before(lambda i: (_CODES[codes[i]], spans[4 * i]), FindingSink.code_and_line)

    def _after_before(self, own, of_before):
        """``own`` (of this sink's findings, numbered from 0), or with a sink before, a function that
        reads the findings of that one by ``of_before`` of it and the later ones by ``own``."""
        if self._before is None:
            return own
        before, base = of_before(self._before), self._base
        return lambda i: before(i) if i < base else own(i - base)


class Findings(Sequence):
    """Findings of one file as a read-only sequence of ``Finding``, each made when it is read: the
    findings of ``sink`` (by their number in the order reported) in the order of ``order``.

    Equal to a list or tuple of the same findings; ``+`` with one makes a list."""

    __slots__ = ("sink", "order")

    def __init__(self, sink: FindingSink, order: Sequence[int]):
        self.sink = sink
        self.order = order

    @property
    def path(self) -> str:
        return self.sink.path

    def __len__(self) -> int:
        return len(self.order)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Findings(self.sink, self.order[i])
        return self.sink.reader()(self.order[i])

    def __iter__(self) -> Iterator[Finding]:
        return map(self.sink.reader(), self.order)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Findings, list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other):
        return [*self, *other] if isinstance(other, (Findings, list, tuple)) else NotImplemented

    def __radd__(self, other):
        return [*other, *self] if isinstance(other, (list, tuple)) else NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))

    def select(self, keep) -> Findings:
        """The findings for which ``keep(code, line)`` is true (``line`` where the finding starts),
        in the same order."""
        read = self.sink.code_and_line()
        return Findings(self.sink, array("i", (i for i in self.order if keep(*read(i)))))
