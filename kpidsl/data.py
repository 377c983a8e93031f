"""Scenario values from data files (TOML, JSON, YAML, CSV) and ``--set``, and which scenarios run.

A data file is a mapping of names to values (one scenario named after the file's stem), a mapping
of scenario names to such mappings, or a CSV batch (a header of names, an optional first column
``scenario``, one scenario a row). Values are finite numbers, or strings in the language's number
syntax (ASCII digits). Every problem is a ``DataError`` naming the file, the row or key, and what is
wrong, with what was written quoted as ``literals.show`` does (control characters escaped). TOML,
JSON and YAML are read by ``kpidsl.documents``: nesting, duplicate keys and huge numbers are refused
there; a CSV cell may be of any length.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import attrs

from . import documents
from .errors import closest
from .parsing.literals import read_signed_number, show
from .compiler.model import Model

FORMATS = (".toml", ".json", ".yaml", ".yml", ".csv")
_DOCUMENTS = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}
# Cells are read whatever their length (a long one gets the number reader's message, with its line):
# csv's default limit of 128 KiB would end the read with an error that names no line.
csv.field_size_limit(2**31 - 1)


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
    if isinstance(raw, int):
        if raw.bit_length() > 1024:  # beyond a float (and perhaps beyond what int can print)
            raise DataError(f"{where}: the number is too large (the limit is about 1.8e308)")
        return float(raw)
    if isinstance(raw, float):
        if raw != raw:
            raise DataError(f"{where}: NaN is not a number; write a finite number, or leave the value out")
        if math.isinf(raw):
            sign = "minus " if raw < 0 else ""
            raise DataError(f"{where}: the number is {sign}infinity or too large (the limit is about 1.8e308)")
        return raw
    if isinstance(raw, str):
        x, problem = read_signed_number(raw)
        if x is None:
            raise DataError(f"{where}: {problem}")
        return x
    raise DataError(f"{where}: expected a number, found {type(raw).__name__}")


def _key(k) -> str:
    """A key or column name as a message quotes it."""
    return show(str(k), 40)


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
        raise DataError(f"{path}: `{_key(flat)}` is a value but `{_key(nested[0])}` is a scenario; either every key "
                        "names a scenario (with a mapping of values) or every key names a value")
    if not nested:
        return [DataScenario(Path(path).stem, {str(k): _value(v, f"{path}: `{_key(k)}`") for k, v in data.items()},
                             path)]
    out = []
    for sname, values in data.items():
        vals = {}
        for k, v in values.items():
            vals[str(k)] = _value(v, f"{path}: scenario `{_key(sname)}`, `{_key(k)}`")
        out.append(DataScenario(str(sname), vals, f"{path}: scenario `{_key(sname)}`"))
    return out


def _read_csv(text: str, path: str) -> list[DataScenario]:
    reader = csv.reader(io.StringIO(text))
    rows_with_lines = []  # (the line a row starts on, its cells), blank rows left out
    end = 0
    try:
        for row in reader:
            if any(c.strip() for c in row):
                rows_with_lines.append((end + 1, row))
            end = reader.line_num
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
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
            raise DataError(f"{path}:{hline}: the column `{_key(h)}` appears twice in the header")
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
        values = {k: _value(c, f"{path}:{line}: column `{_key(k)}`") for k, c in cells.items() if c != ""}
        out.append(DataScenario(name, values, f"{path}:{line}"))
    return out


def read_text(path: str) -> str:
    """The text of a data file (UTF-8, an optional byte-order mark); ``DataError`` when unreadable."""
    try:
        if os.path.isdir(path):
            raise DataError(f"{path}: is a folder, not a data file")
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
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
    try:
        data = documents.load(text, _DOCUMENTS[ext])
    except documents.DocumentError as exc:
        where = path if exc.line is None else f"{path}:{exc.line}" if exc.column is None else \
            f"{path}:{exc.line}:{exc.column}"
        raise DataError(f"{where}: {exc.message}") from None
    return _from_mapping(data, path)


def parse_set(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` from ``--set``."""
    name, eq, raw = text.partition("=")
    if not eq or not name.strip():
        raise DataError(f"--set {show(text, 40)}: expected NAME=VALUE, e.g. --set orders=1_300")
    value, problem = read_signed_number(raw)
    if value is None:
        raise DataError(f"--set {show(text, 40)}: {problem}")
    return name.strip(), value


def check_names(model: Model, values: dict[str, float], where: str) -> None:
    """Every name must be an input or an indicator without a formula."""
    for key in values:
        ind = model.indicators.get(key)
        if ind is None:
            raise DataError(f"{where}: `{_key(key)}` is not declared in {model.path}" + closest(key, model.indicators))
        if ind.formula is not None:
            raise DataError(f"{where}: `{_key(key)}` is computed by its `value` formula; supply the inputs it reads")


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
            raise DataError(f"no scenario `{_key(unknown[0])}` in {model.path} or the data files (there are: {have})"
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
