"""Things that sit at a path but are not regular files, made for a test, and a memory cap.

A FIFO comes with a writer that answers at once if anything opens it (so code that would block on it
reads ``payload`` instead of hanging) and records that it was opened. A run under ``memory_cap`` that
reads ``/dev/zero`` fails with MemoryError instead of taking the machine's memory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from pathlib import Path

import pytest

KINDS = ("fifo", "dev-zero", "dev-urandom", "socket", "dangling-link")

#: What the message says about each kind.
SAYS = {
    "fifo": "is a FIFO (named pipe), not a regular file; kpi reads only regular files",
    "dev-zero": "links to /dev/zero, a character device, not a regular file; kpi reads only regular files",
    "dev-urandom": "links to /dev/urandom, a character device, not a regular file; kpi reads only regular files",
    "socket": "is a socket, not a regular file; kpi reads only regular files",
    "dangling-link": "which does not exist",
}


class Fifo:
    """A FIFO whose writer sends ``payload`` to whoever opens it for reading, until ``close``."""

    def __init__(self, path: Path, payload: bytes = b"x") -> None:
        os.mkfifo(path)
        self.path, self.payload, self.opened = path, payload, False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.wait(0.01):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # ENXIO: nobody reads it
                if exc.errno != errno.ENXIO:
                    return
                continue
            self.opened = True
            with contextlib.suppress(OSError):
                os.write(fd, self.payload)
            os.close(fd)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def source_env() -> dict[str, str]:
    """The environment for a subprocess that must import this source tree's kpidsl."""
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}


def make(kind: str, path: Path, stack: contextlib.ExitStack, payload: bytes = b"x"):
    """Put a ``kind`` at ``path``; what is made is cleaned up when ``stack`` closes."""
    if kind == "fifo":
        return stack.enter_context(contextlib.closing(Fifo(path, payload)))
    if kind in ("dev-zero", "dev-urandom"):
        path.symlink_to("/dev/" + kind[4:])
    elif kind == "socket":
        sock = stack.enter_context(socket.socket(socket.AF_UNIX))
        try:
            sock.bind(str(path))
        except OSError as exc:  # a socket's path has a short length limit
            pytest.skip(f"cannot make a socket at {path}: {exc}")
    elif kind == "dangling-link":
        path.symlink_to(path.parent / "nowhere")
    else:
        raise ValueError(kind)
    return None


@contextlib.contextmanager
def memory_cap(extra: int = 1 << 30):
    """Allow the process ``extra`` more bytes of address space than it has now (Linux only)."""
    try:
        import resource

        with open("/proc/self/statm") as fh:
            now = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = now + extra if hard == resource.RLIM_INFINITY else min(now + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

