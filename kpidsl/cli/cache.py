"""Results of ``kpi check`` cached per file, keyed by content, tool build and configuration.

The cache lives in ``.kpi_cache/`` in the current folder (with its own ``.gitignore``). A key is the
SHA-256 of the file's bytes, the path as named, the configuration, and a fingerprint of the
installed kpidsl (its version and the size and time of each of its source files), so a result is
never used after any of them changed. Each entry names its key and its file, and is used only when
both match and its shape is exactly right; anything else (missing, unreadable, malformed, not a
regular file, or behind a symbolic link) is a miss, recomputed and rewritten. Nothing here ever fails
a run. A hit needs neither the parser nor the syntax tree.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from pathlib import Path

from ..errors import Finding, Span
from ..checking.rules import RULES
from ..parsing import sources

FOLDER = ".kpi_cache"


@functools.cache
def fingerprint() -> str:
    """The version of kpidsl and the size and time of each of its source files."""
    import hashlib  # here and below, not at the top: `kpi check --no-cache` starts without them

    from .. import __version__

    package = Path(__file__).resolve().parent.parent
    parts = [__version__]
    for folder in sorted({package, package.parent / "grammar", *(p.parent for p in package.rglob("*.py"))}):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.name.endswith((".py", ".lark")):
                try:
                    st = e.stat()
                except OSError:
                    continue
                parts.append(f"{folder.name}/{e.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def key(path: str, data: bytes, config) -> str:
    """The cache key of one file's check."""
    import hashlib

    h = hashlib.sha256()
    h.update(fingerprint().encode())
    h.update(b"\0" + path.encode("utf-8", "surrogateescape"))
    h.update(b"\0" + repr(config).encode())
    h.update(b"\0" + data)
    return h.hexdigest()


def _folder(k: str, create: bool) -> Path | None:
    """The folder of key ``k``'s entry; None when it is missing (and not to be created) or when it or
    the cache folder is anything but a plain folder: a symbolic link is never read or written through."""
    root = Path(FOLDER)
    for d in (root, root / k[:2]):
        try:
            if not stat.S_ISDIR(os.lstat(d).st_mode):
                return None
        except FileNotFoundError:
            if not create:
                return None
            d.mkdir()
            if d == root:
                (root / ".gitignore").write_text("# created by kpi check\n*\n", encoding="utf-8")
    return root / k[:2]


def load(k: str, path: str) -> list[Finding] | None:
    """The cached findings of ``path`` for key ``k``; None (a miss) unless the entry is a regular file
    holding exactly ``{"key": k, "path": path, "findings": [[line, column, end_line, end_column,
    code, message], …]}`` with positive whole numbers and known codes."""
    import json

    try:
        folder = _folder(k, create=False)
        if folder is None:
            return None
        doc = json.loads(sources.read_bytes(str(folder / f"{k[2:]}.json"), links=False))
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(doc, dict) and doc.keys() == {"key", "path", "findings"} and doc["key"] == k
            and doc["path"] == path and isinstance(doc["findings"], list)):
        return None
    found = []
    for row in doc["findings"]:
        if not (isinstance(row, list) and len(row) == 6 and all(type(n) is int and n >= 1 for n in row[:4])
                and type(row[4]) is str and row[4] in RULES and type(row[5]) is str):
            return None
        found.append(Finding(path, Span(*row[:4]), row[4], row[5]))
    return found


def store(k: str, path: str, findings: list[Finding]) -> None:
    """Remember the findings of ``path`` for key ``k`` (best effort: any failure is ignored)."""
    import json
    import tempfile

    if any(f.path != path for f in findings):
        return
    doc = {"key": k, "path": path, "findings": [[*f.span, f.code, f.message] for f in findings]}
    data = json.dumps(doc).encode("ascii")  # \u escapes keep any path or message, valid UTF-8 or not
    try:
        folder = _folder(k, create=True)
        if folder is None:
            return
        fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, folder / f"{k[2:]}.json")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        pass
