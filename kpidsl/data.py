"""Scenario values from data files (TOML, JSON, YAML, CSV) and ``--set``, and which scenarios run.

A data file is a mapping of names to values (one scenario named after the file's stem), a mapping
of scenario names to such mappings, or a CSV batch (a header of names, an optional first column
``scenario``, one scenario a row). Values are numbers, or strings in the language's number syntax.
Every problem is a ``DataError`` naming the file, the row or key, and what is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import attrs

from .errors import closest
from .parsing import sources
from .parsing.literals import read_signed_number
from .compiler.model import Model

FORMATS = (".toml", ".json", ".yaml", ".yml", ".csv")


class DataError(Exception):
    """A data file, ``--set`` or ``--scenario`` that cannot be used (exit code 2)."""


@attrs.define
class DataScenario:
    """Values for one scenario read from a data file, with where each came from."""

    name: str
    values: dict[str, float]
    where: str


def _value(raw, where: str) -> float:
    if isinstance(raw, bool) or raw is None or isinstance(raw, (list, dict)):
        kind = {bool: "a boolean", type(None): "null", list: "a list", dict: "a nested mapping"}[
            type(raw) if not isinstance(raw, dict) else dict]
        raise DataError(f"{where}: expected a number or a string such as \"75%\" or \"833万\", found {kind}")
    if isinstance(raw, (int, float)):
        try:
            x = float(raw)
        except OverflowError:
            x = math.inf
        if not math.isfinite(x):
            raise DataError(f"{where}: {raw!r} is not a finite number")
        return x
    if isinstance(raw, str):
        x, problem = read_signed_number(raw)
        if x is None:
            raise DataError(f"{where}: {problem}")
        return x
    raise DataError(f"{where}: expected a number, found {type(raw).__name__}")


def _from_mapping(data, path: str) -> list[DataScenario]:
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else "nothing" if data is None else type(data).__name__
        raise DataError(f"{path}: expected a mapping of names to values (or of scenario names to such "
                        f"mappings), found {found}")
    if not data:
        raise DataError(f"{path}: the file holds no values")
    nested = [k for k, v in data.items() if isinstance(v, dict)]
    if nested and len(nested) != len(data):
        flat = next(k for k, v in data.items() if not isinstance(v, dict))
        raise DataError(f"{path}: `{flat}` is a value but `{nested[0]}` is a scenario; either every key "
                        "names a scenario (with a mapping of values) or every key names a value")
    if not nested:
        return [DataScenario(Path(path).stem, {str(k): _value(v, f"{path}: `{k}`") for k, v in data.items()},
                             path)]
    out = []
    for sname, values in data.items():
        vals = {}
        for k, v in values.items():
            vals[str(k)] = _value(v, f"{path}: scenario `{sname}`, `{k}`")
        out.append(DataScenario(str(sname), vals, f"{path}: scenario `{sname}`"))
    return out


def _read_csv(text: str, path: str) -> list[DataScenario]:
    rows = list(csv.reader(io.StringIO(text)))
    rows_with_lines = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not rows_with_lines:
        raise DataError(f"{path}: the file is empty; expected a header of names, then one row per scenario")
    (hline, header), body = rows_with_lines[0], rows_with_lines[1:]
    header = [h.strip() for h in header]
    if not body:
        raise DataError(f"{path}:{hline}: the file has a header but no rows of values")
    seen = set()
    for h in header:
        if not h:
            raise DataError(f"{path}:{hline}: a column has no name in the header")
        if h in seen:
            raise DataError(f"{path}:{hline}: the column `{h}` appears twice in the header")
        seen.add(h)
    named = header[0] == "scenario"
    out = []
    for line, row in body:
        if len(row) != len(header):
            raise DataError(f"{path}:{line}: the row has {len(row)} cells but the header has {len(header)}")
        cells = dict(zip(header, (c.strip() for c in row)))
        name = cells.pop("scenario") if named else f"row{len(out) + 1}"
        if not name:
            raise DataError(f"{path}:{line}: the `scenario` cell is empty")
        values = {k: _value(c, f"{path}:{line}: column `{k}`") for k, c in cells.items() if c != ""}
        out.append(DataScenario(name, values, f"{path}:{line}"))
    return out


def read_text(path: str) -> str:
    """The text of a data file (UTF-8, an optional byte-order mark); ``DataError`` when unreadable."""
    try:
        raw = sources.read_bytes(path)
    except OSError as exc:
        raise DataError(str(exc)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})") from None


def read_data(path: str) -> list[DataScenario]:
    """Read one data file into scenarios; ``DataError`` for anything unusable."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise DataError(f"{path}: unknown data format `{ext or '(none)'}`; use " + ", ".join(FORMATS))
    text = read_text(path)
    if ext == ".csv":
        return _read_csv(text, path)
    if ext == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DataError(f"{path}: not valid TOML: {exc}") from None
    elif ext == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            line, col = getattr(exc, "lineno", "?"), getattr(exc, "colno", "?")
            raise DataError(f"{path}:{line}:{col}: not valid JSON: {getattr(exc, 'msg', exc)}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise DataError(f"{where}: not valid YAML: {problem}") from None
        except RecursionError:
            raise DataError(f"{path}: the YAML nests too deeply") from None
    return _from_mapping(data, path)


def parse_set(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` from ``--set``."""
    name, eq, raw = text.partition("=")
    if not eq or not name.strip():
        raise DataError(f"--set {text}: expected NAME=VALUE, e.g. --set orders=1_300")
    value, problem = read_signed_number(raw)
    if value is None:
        raise DataError(f"--set {text}: {problem}")
    return name.strip(), value


def check_names(model: Model, values: dict[str, float], where: str) -> None:
    """Every name must be an input or an indicator without a formula."""
    for key in values:
        ind = model.indicators.get(key)
        if ind is None:
            raise DataError(f"{where}: `{key}` is not declared in {model.path}" + closest(key, model.indicators))
        if ind.formula is not None:
            raise DataError(f"{where}: `{key}` is computed by its `value` formula; supply the inputs it reads")


@attrs.define
class Selected:
    """A scenario to evaluate: its name, label, values, and the in-file scenario whose expects apply."""

    name: str
    label: str | None
    values: dict[str, float]
    expects: str | None


def select(model: Model, names: tuple[str, ...] = (), data_files: tuple[str, ...] = (),
           sets: tuple[str, ...] = ()) -> list[Selected]:
    """Which scenarios run, and with which values (SPEC §7): in-file, then data, then ``--set``."""
    available: dict[str, Selected] = {
        n: Selected(n, sc.label, model.scenario_values(n), n) for n, sc in model.scenarios.items()}
    from_data: dict[str, None] = {}  # scenario names in order of appearance
    for path in data_files:
        for ds in read_data(path):
            check_names(model, ds.values, ds.where)
            if ds.name not in available:
                available[ds.name] = Selected(ds.name, None, {}, None)
            available[ds.name].values.update(ds.values)
            from_data.setdefault(ds.name)
    overlay = dict(parse_set(s) for s in sets)
    check_names(model, overlay, "--set")
    if names:
        unknown = [n for n in names if n not in available]
        if unknown:
            have = ", ".join(f"`{n}`" for n in available) or "none"
            raise DataError(f"no scenario `{unknown[0]}` in {model.path} or the data files (there are: {have})"
                            + closest(unknown[0], available))
        chosen = [available[n] for n in dict.fromkeys(names)]
    elif from_data:
        chosen = [available[n] for n in from_data]
    else:
        chosen = list(available.values())
    if not chosen and overlay:
        chosen = [Selected("cli", None, {}, None)]
    for sc in chosen:
        sc.values.update(overlay)
    return chosen
