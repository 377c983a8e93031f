"""Results of ``kpi check`` cached per file, keyed by content, tool build and configuration.

The cache lives in ``.kpi_cache/`` in the current folder (with its own ``.gitignore``). A key is the
SHA-256 of the file's bytes, the path as named, the configuration, and a fingerprint of the
installed kpidsl (its version and the size and time of each of its source files), so a result is
never used after any of them changed. A missing, unreadable or broken entry is simply recomputed;
nothing here ever fails a run. A hit needs neither the parser nor the syntax tree.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..errors import Finding, Span
from ..checking.rules import RULES

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
                st = e.stat()
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


def _entry(k: str) -> Path:
    return Path(FOLDER) / k[:2] / f"{k[2:]}.json"


def load(k: str) -> list[Finding] | None:
    """The cached findings for key ``k``, or None (missing or broken)."""
    import json

    try:
        with open(_entry(k), encoding="utf-8") as fh:
            rows = json.load(fh)
        found = [Finding(r[0], Span(r[1], r[2], r[3], r[4]), r[5], r[6]) for r in rows]
    except (OSError, ValueError, TypeError, IndexError, KeyError):
        return None
    if not all(f.code in RULES for f in found):
        return None
    return found


def store(k: str, findings: list[Finding]) -> None:
    """Remember the findings for key ``k`` (best effort: any failure is ignored)."""
    import json

    rows = [[f.path, f.span.line, f.span.column, f.span.end_line, f.span.end_column, f.code, f.message]
            for f in findings]
    entry = _entry(k)
    try:
        root = Path(FOLDER)
        if not root.is_dir():
            root.mkdir(exist_ok=True)
            (root / ".gitignore").write_text("# created by kpi check\n*\n", encoding="utf-8")
        entry.parent.mkdir(exist_ok=True)
        tmp = entry.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, entry)
    except OSError:
        pass
