"""The `kpi` command line, on top of the public API."""

from .commands import main

__all__ = ["main"]
