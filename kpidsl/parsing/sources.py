"""Reading files: the one function that reads bytes from disk (only regular files, or standard input
where a command takes ``-``, up to a size limit), UTF-8 decoding with E000, and lines."""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
import sys
from array import array
from collections.abc import Iterator, Sequence
from itertools import islice

from ..errors import FindingSink, Span

MAX_FILE_BYTES = 200 * 1024 * 1024
_BOM = "\ufeff"
_NEWLINE = re.compile("\n")
_CHUNK = 1 << 20
_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link"}


class FileError(OSError):
    """A file that kpi does not read or write; ``str()`` is one sentence that names it and says why."""

    def __str__(self) -> str:
        return self.strerror


def read_bytes(path: str, limit: int | None = None, *, links: bool = True, stdin: bool = False) -> bytes:
    """The bytes of the regular file at ``path``, read in chunks and never more than ``limit`` of them
    (``MAX_FILE_BYTES`` unless given).

    A symbolic link is followed and its target judged (``links=False``: a link is refused); with
    ``stdin``, ``-`` is standard input. Anything else — a folder, a FIFO, a device such as
    ``/dev/zero``, a socket, a missing or unreadable file, more than ``limit`` bytes — is a
    ``FileError`` naming the path and the reason. Nothing but a regular file is ever opened."""
    limit = MAX_FILE_BYTES if limit is None else limit
    if stdin and path == "-":
        return _read_limited(sys.stdin.buffer, "standard input", limit, 0)
    try:
        st = os.stat(path, follow_symlinks=links)
        _check_regular(path, st, limit)
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags if links else flags | getattr(os, "O_NOFOLLOW", 0))
        with open(fd, "rb", buffering=0) as fh:
            st = os.fstat(fd)  # the file opened, in case the path changed since
            _check_regular(path, st, limit)
            return _read_limited(fh, path, limit, st.st_size)
    except FileError:
        raise
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise FileError(exc.errno, f"{path} links to {os.readlink(path)}, which does not exist") from None
        raise FileError(exc.errno or errno.EIO, f"cannot read {path}: {exc.strerror or exc}") from None


def _check_regular(path: str, st: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "a special file")
        if os.path.islink(path) and kind != _KINDS[stat.S_IFLNK]:
            what = f"{path} links to {os.path.realpath(path)}, {kind}"
        else:
            what = f"{path} is {kind}"
        raise FileError(errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL,
                        f"{what}, not a regular file; kpi reads only regular files")
    if st.st_size > limit:
        raise FileError(errno.EFBIG, f"{path} is {st.st_size // (1024 * 1024)} MB; the limit is "
                                     f"{limit // (1024 * 1024)} MB")


def _read_limited(fh, name: str, limit: int, size: int) -> bytes:
    """Everything ``fh`` holds, in one read when ``size`` is right; ``FileError`` past ``limit`` bytes."""
    parts, total = [], 0
    while chunk := fh.read(min(size, limit) + 1 if size > 0 and not parts else _CHUNK):
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise FileError(errno.EFBIG, f"{name} is more than {limit // (1024 * 1024)} MB; the limit is "
                                         f"{limit // (1024 * 1024)} MB")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def without_bom(text: str) -> str:
    """``text`` without its leading byte-order mark (the same object when it has none).

    The mark is not part of the text: columns do not count it, and the parser, the model and the
    formatter are given text without it. It is removed once, where text comes in (``kpidsl.api``'s
    ``parse`` and ``compile_text``, which every file read goes through, and ``format_source``), so
    that the parser and the model share one text object and its ``text_lines``."""
    return text[1:] if text.startswith("\ufeff") else text


def _kept_for_last(make):
    """``make`` kept for the last argument asked for (compared by identity): a file's bytes are
    decoded once and its text split once, however many readers ask. The pair is replaced whole, so
    another thread never sees half of it."""
    kept = [(None, None)]

    @functools.wraps(make)
    def get(x):
        last = kept[0]
        if last[0] is x:
            return last[1]
        out = make(x)
        kept[0] = (x, out)
        return out

    return get


@_kept_for_last
def _decoded(data: bytes) -> str:
    """``data.decode("utf-8")`` (``UnicodeDecodeError`` passes through): ``kpi check`` decodes a file
    for the lines it shows and for the parser, and one text object means one ``lines_of`` split."""
    return data.decode("utf-8")


def decode(data: bytes, sink: FindingSink) -> str | None:
    """Decode file bytes as UTF-8; E000 at the first bad byte (None then)."""
    try:
        return _decoded(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        sink.add("E000", Span(line, col, line, col + 1),
                 f"the file is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                 "cannot be decoded; save the file as UTF-8")
        return None


class Lines(Sequence):
    """The lines of a text as ``text.split("\\n")`` has them (after ``start``), kept as the text and
    where each line starts: a list of them would cost some fifty bytes a line more, for as long as
    the model and the findings shown under them are kept. A line is cut out of the text when it is
    read; the last one read is kept, as findings are read line after line."""

    __slots__ = ("text", "_starts", "_last")

    def __init__(self, text: str, start: int = 0):
        self.text = text
        self._starts = array("q", [start])
        self._starts.extend(m.end() for m in _NEWLINE.finditer(text, start))
        self._last: tuple[int, str] = (-1, "")

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        starts = self._starts
        n = len(starts)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("line index out of range")
        last = self._last
        if last[0] == i:
            return last[1]
        line = self.text[starts[i]:starts[i + 1] - 1 if i + 1 < n else len(self.text)]
        self._last = (i, line)
        return line

    def __iter__(self) -> Iterator[str]:
        text, starts = self.text, self._starts
        for start, end in zip(starts, islice(starts, 1, None)):
            yield text[start:end - 1]
        yield text[starts[-1]:]


@_kept_for_last
def text_lines(text: str) -> Lines:
    """``Lines(text)``, made once for the last text asked for: the lines ``kpi check`` shows under
    findings and the compiled model's ``lines`` are one object."""
    return Lines(text)


def display_lines(data: bytes) -> Lines:
    """The lines of a file for showing under a finding (undecodable bytes replaced, leading byte-order
    marks left out); for a UTF-8 file without one, ``text_lines`` of its text."""
    try:
        text = _decoded(data)
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
    else:
        if not text.startswith(_BOM):
            return text_lines(text)
    start = 0
    while text.startswith(_BOM, start):
        start += 1
    return Lines(text, start)


def lines_of(text: str) -> list[str]:
    """``text.split("\\n")``: the lines the parser reads (lark counts ``\\n`` only)."""
    return text.split("\n")
