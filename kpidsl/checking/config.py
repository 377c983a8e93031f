"""Checker configuration: the nearest ``kpi.toml`` or ``pyproject.toml`` ``[tool.kpidsl]`` above a file.

Keys (at the top level of ``kpi.toml``): ``select`` and ``ignore`` (lists of code prefixes),
``per-file-ignores`` (a table of glob → list of codes, globs relative to the configuration file),
``max-children`` (W105's limit, a whole number from 1 to ``MAX_CHILDREN_LIMIT``), ``fail-on``
(``"warning"``, the default: any finding fails the run; ``"error"``: only errors do). A broken file is
a ``ConfigError`` naming the file and the key; the TOML is read by ``kpidsl.parsing.documents`` (its
limits).
"""

from __future__ import annotations

import fnmatch
import functools
import os
from pathlib import Path

import attrs

from ..parsing import documents
from ..parsing import sources
from ..parsing.literals import show
from .practice import DEFAULT_MAX_CHILDREN
from .rules import RULES

KEYS = ("select", "ignore", "per-file-ignores", "max-children", "fail-on")
#: The largest ``max-children``: a node with more kpis than this is no scorecard anyone reads.
MAX_CHILDREN_LIMIT = 1000
#: The values of ``fail-on``: the least severity that makes ``kpi check`` exit 1.
FAIL_ON = ("error", "warning")


class ConfigError(Exception):
    """A configuration file that cannot be used (exit code 2)."""


@attrs.frozen
class Config:
    """Which codes apply, and where the settings came from (None: the defaults)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    max_children: int = DEFAULT_MAX_CHILDREN
    fail_on: str = "warning"
    path: str | None = None

    def ignored_for(self, file: str) -> tuple[str, ...]:
        """The codes ``per-file-ignores`` silences for ``file``."""
        if not self.per_file_ignores:
            return ()
        base = Path(self.path).parent if self.path else Path.cwd()
        try:
            rel = Path(os.path.abspath(file)).relative_to(base.resolve()).as_posix()
        except ValueError:
            rel = Path(file).as_posix()
        name = Path(file).name
        out: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern):
                out += codes
        return tuple(out)

    def silences(self, code: str, file: str) -> bool:
        """Whether ``code`` is switched off for ``file`` (E000–E002 never are)."""
        if not RULES[code].silenceable:
            return False
        if self.select and not any(code.startswith(s) for s in self.select):
            return True
        return any(code.startswith(i) for i in self.ignore + self.ignored_for(file))

    def fails(self, finding) -> bool:
        """Whether ``finding`` makes ``kpi check`` exit 1 (``fail-on``)."""
        return finding.is_error or self.fail_on == "warning"


def codes_of(value, where: str) -> tuple[str, ...]:
    """A list of code prefixes, each matching at least one rule."""
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of codes such as [\"W102\", \"W1\"]")
    codes = tuple(v.strip().upper() for v in value if v.strip())
    for c in codes:
        if not any(code.startswith(c) for code in RULES):
            raise ConfigError(f"{where}: `{show(c)}` matches no rule code (see `kpi rule`)")
    return codes


def _read(path: Path, table: dict) -> Config:
    where = str(path)
    unknown = [k for k in table if k not in KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key `{show(unknown[0], 40)}`; the keys are "
                          + ", ".join(f"`{k}`" for k in KEYS))
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{where}: `per-file-ignores` must be a table of glob = [codes]")
    mc = table.get("max-children", DEFAULT_MAX_CHILDREN)
    if isinstance(mc, bool) or not isinstance(mc, int) or not 1 <= mc <= MAX_CHILDREN_LIMIT:
        found = "a larger number" if isinstance(mc, int) and mc.bit_length() > 64 else show(repr(mc))
        raise ConfigError(f"{where}: `max-children` must be a whole number from 1 to {MAX_CHILDREN_LIMIT:,}, "
                          f"not {found}")
    fail_on = table.get("fail-on", "warning")
    if fail_on not in FAIL_ON:
        raise ConfigError(f"{where}: `fail-on` must be \"error\" or \"warning\", not {show(repr(fail_on))}")
    return Config(
        select=codes_of(table.get("select", []), f"{where}: `select`"),
        ignore=codes_of(table.get("ignore", []), f"{where}: `ignore`"),
        per_file_ignores=tuple((str(g), codes_of(c, f"{where}: `per-file-ignores` `{show(g, 40)}`"))
                               for g, c in pfi.items()),
        max_children=mc,
        fail_on=fail_on,
        path=where,
    )


def _load_toml(path: Path) -> dict:
    try:
        text = sources.read_bytes(str(path)).decode("utf-8")
    except OSError as exc:
        raise ConfigError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc})") from None
    try:
        return documents.load(text, "toml")
    except documents.DocumentError as exc:
        raise ConfigError(f"{path}{'' if exc.line is None else f':{exc.line}'}: {exc.message}") from None


@functools.cache
def for_directory(directory: str) -> Config:
    """The configuration that applies in ``directory`` (searched upwards; cached per folder)."""
    d = Path(directory)
    kpi_toml, pyproject = d / "kpi.toml", d / "pyproject.toml"
    if os.path.lexists(kpi_toml):  # a kpi.toml that is not a regular file is an error, not ignored
        return _read(kpi_toml, _load_toml(kpi_toml))
    if os.path.lexists(pyproject):
        data = _load_toml(pyproject)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "kpidsl" in tool:
            if not isinstance(tool["kpidsl"], dict):
                raise ConfigError(f"{pyproject}: `[tool.kpidsl]` must be a table")
            return _read(pyproject, tool["kpidsl"])
    if d.parent == d:
        return Config()
    return for_directory(str(d.parent))


def for_file(path: str) -> Config:
    """The configuration that applies to ``path``."""
    return for_directory(str(Path(os.path.abspath(path)).parent))


def with_overrides(config: Config, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                   fail_on: str | None = None) -> Config:
    """Command-line ``--select``/``--ignore``/``--fail-on`` replace the file's settings."""
    return attrs.evolve(config, select=select or config.select, ignore=ignore or config.ignore,
                        fail_on=fail_on or config.fail_on)
