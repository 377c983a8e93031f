"""Reading ``.kpi`` files: bytes from disk with a size limit, UTF-8 decoding with E000, and lines."""

from __future__ import annotations

import os

from ..errors import FindingSink, Span

MAX_FILE_BYTES = 200 * 1024 * 1024


def read_bytes(path: str) -> bytes:
    """The bytes of a file; OSError (with a readable reason) for folders, huge or unreadable files."""
    if os.path.isdir(path):
        raise IsADirectoryError(21, "is a folder, not a file")
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise OSError(27, f"the file is {size // (1024 * 1024)} MB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB")
    with open(path, "rb") as fh:
        return fh.read()


def without_bom(text: str) -> str:
    """``text`` without its leading byte-order mark (the same object when it has none).

    The mark is not part of the text: columns do not count it, and the parser, the model and the
    formatter are given text without it. It is removed once, where text comes in (``kpidsl.api``'s
    ``parse`` and ``compile_text``, which every file read goes through, and ``format_source``), so
    that the parser and the model share one text object and ``lines_of``'s split."""
    return text[1:] if text.startswith("\ufeff") else text


def decode(data: bytes, sink: FindingSink) -> str | None:
    """Decode file bytes as UTF-8; E000 at the first bad byte (None then)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        sink.add("E000", Span(line, col, line, col + 1),
                 f"the file is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} "
                 "cannot be decoded; save the file as UTF-8")
        return None


def display_lines(data: bytes) -> list[str]:
    """The lines of a file for showing under a finding (undecodable bytes replaced)."""
    return data.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n")


_last_split: tuple[str | None, list[str]] = (None, [])


def lines_of(text: str) -> list[str]:
    """``text.split("\\n")``, made once for the last text asked for: the parser reads a file by its
    lines, and the compiled model reads them again (targets, messages). Callers must not change it."""
    global _last_split
    last = _last_split  # one read: another thread may replace it, never half of it
    if last[0] is text:
        return last[1]
    lines = text.split("\n")
    _last_split = (text, lines)
    return lines
