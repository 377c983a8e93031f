"""Scenario values from data files (TOML, JSON, YAML, CSV) and ``--set``, and which scenarios run.

A data file is a mapping of names to values (one scenario named after the file's stem), a mapping
of scenario names to such mappings, or a CSV batch (a header of names, an optional first column
``scenario``, one scenario a row). Values are finite numbers, or strings in the language's number
syntax (ASCII digits). Every problem is a ``DataError`` naming the file, the row or key, and what is
wrong, with what was written quoted as ``literals.show`` does (control characters escaped). TOML,
JSON and YAML are read by ``kpidsl.parsing.documents``: nesting, duplicate keys and huge numbers are refused
there; a CSV cell may be of any length.

This module is where data files are read and written: scenario by scenario (``read_data``,
``select``), and column-wise for CSV batches (``select_batch`` into NumPy columns); evaluation results
are written as CSV here too (``iter_results_csv``), whichever runtime computed them.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
from pathlib import Path

import attrs

from .parsing import documents
from .errors import closest
from .parsing import sources
from .parsing.literals import read_date, read_signed_number, show
from .parsing.periods import KINDS as PERIOD_KINDS, read_period
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
    """Values for one scenario read from a data file, with where each came from; ``periods`` holds
    the values of each period (by its text) and ``entity`` the entity the values are of, if any."""

    name: str
    values: dict[str, float]
    where: str
    periods: dict[str, dict[str, float]] = attrs.Factory(dict)
    entity: str | None = None
    #: The day the values stand at (``as_of``), if the data gives one.
    as_of: datetime.date | None = None


#: The key (TOML, JSON, YAML) or column (CSV) of a scenario's as-of date, and the key of its entities.
AS_OF, ENTITIES = "as_of", "entities"


def _date(raw, where: str) -> datetime.date:
    """An ``as_of`` value: a date (TOML, YAML) or a ``YYYY-MM-DD`` string (JSON, CSV)."""
    if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
        return raw
    if isinstance(raw, str) and len(raw.strip()) == 10 and raw.strip()[4::3] == "--":
        day, problem = read_date(raw.strip())
        if day is None:
            raise DataError(f"{where}: {problem}")
        return day
    raise DataError(f"{where}: `as_of` is the day the values stand at: expected a date such as 2025-06-30, "
                    f"found `{show(str(raw), 40)}`")


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
    if not nested:
        as_of = _date(data[AS_OF], f"{path}: `{AS_OF}`") if AS_OF in data else None
        return [DataScenario(Path(path).stem, {str(k): _value(v, f"{path}: `{_key(k)}`") for k, v in data.items()
                                               if k != AS_OF}, path, as_of=as_of)]
    if all(read_period(str(k))[0] is not None or k == ENTITIES for k in nested) and all(
            k == AS_OF for k in data if k not in nested):
        data = {Path(path).stem: data}  # the periods, entities and as-of date of one scenario, named after the file
    elif len(nested) != len(data):
        flat = next(k for k, v in data.items() if not isinstance(v, dict))
        if flat == AS_OF:
            raise DataError(f"{path}: `{AS_OF}` beside scenarios: a scenario's as-of date goes in its own table "
                            f"(`{_key(nested[0])}`), as its values do")
        raise DataError(f"{path}: `{_key(flat)}` is a value but `{_key(nested[0])}` is a scenario; either every key "
                        "names a scenario (with a mapping of values) or every key names a value")
    out = []
    for sname, values in data.items():
        where = f"{path}: scenario `{_key(sname)}`"
        base = _scenario(values, str(sname), where)
        entities = values.get(ENTITIES)
        if entities is None:
            out.append(base)
            continue
        for ename, evalues in entities.items():
            at = f"{where}, entity `{_key(ename)}`"
            if not isinstance(evalues, dict):
                raise DataError(f"{at}: an entity's values are a mapping (its values, periods and `as_of`)")
            if ENTITIES in evalues:
                raise DataError(f"{at}: entities do not nest; give each entity its own table under `{ENTITIES}`")
            own = _scenario(evalues, str(sname), at)
            periods = {t: {**base.periods.get(t, {}), **own.periods.get(t, {})}
                       for t in dict.fromkeys([*base.periods, *own.periods])}
            _one_granularity(periods, at)
            out.append(DataScenario(str(sname), {**base.values, **own.values}, at, periods, str(ename),
                                    own.as_of or base.as_of))
    return out


def _scenario(values: dict, sname: str, where: str) -> DataScenario:
    """One scenario's (or entity's) table: its values, its periods' tables and its ``as_of``; its
    ``entities`` are left to the caller."""
    vals, periods, as_of = {}, {}, None
    for k, v in values.items():
        if k == AS_OF:
            as_of = _date(v, f"{where}, `{AS_OF}`")
        elif k == ENTITIES and isinstance(v, dict):
            continue
        elif isinstance(v, dict):  # a period's values
            period, problem = read_period(str(k))
            if period is None:
                raise DataError(f"{where}: a nested mapping is a period's values, but {problem} (an entity's "
                                f"values go in the scenario's `{ENTITIES}` table)")
            at = f"{where}, period `{period.text}`"
            if period.text in periods:
                raise DataError(f"{at}: the period is given twice; merge its values")
            periods[period.text] = {str(n): _value(x, f"{at}, `{_key(n)}`") for n, x in v.items()}
        else:
            vals[str(k)] = _value(v, f"{where}, `{_key(k)}`")
    _one_granularity(periods, where)
    return DataScenario(sname, vals, where, periods, as_of=as_of)


def _one_granularity(periods, where: str) -> None:
    """``DataError`` when ``periods`` (texts) mix granularities (E505's rule, for data)."""
    kinds = {}
    for text in periods:
        kinds.setdefault(read_period(text)[0].kind, text)
    if len(kinds) > 1:
        (a, ta), (b, tb) = list(kinds.items())[:2]
        raise DataError(f"{where} holds {PERIOD_KINDS[a]} (`{ta}`) and {PERIOD_KINDS[b]} (`{tb}`); one scenario's "
                        "periods are all of one granularity: give the others their own scenario")


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
    if SERIES_COLUMNS & set(header):
        return _read_csv_series(header, body, path)
    out = []
    for line, row in body:
        if len(row) != len(header):
            raise DataError(f"{path}:{line}: the row has {len(row)} cells but the header has {len(header)}")
        cells = dict(zip(header, (c.strip() for c in row)))
        name = cells.pop("scenario") if named else f"row{len(out) + 1}"
        if not name:
            raise DataError(f"{path}:{line}: the `scenario` cell is empty")
        day = cells.pop(AS_OF, "")
        values = {k: _value(c, f"{path}:{line}: column `{_key(k)}`") for k, c in cells.items() if c != ""}
        out.append(DataScenario(name, values, f"{path}:{line}",
                                as_of=_date(day, f"{path}:{line}: column `{AS_OF}`") if day else None))
    return out


#: CSV columns that say which series and period a row is of (``docs/data.md``): beside them, the
#: ``scenario`` column (anywhere in the header) names the scenario, else the file's name does.
SERIES_COLUMNS = frozenset(("period", "entity"))


def _read_csv_series(header: list[str], body, path: str) -> list[DataScenario]:
    """A CSV with a ``period`` or ``entity`` column: one scenario per scenario and entity, its rows
    the values of its periods (a row without a period gives values for every period)."""
    stem = Path(path).stem
    out: dict[tuple[str, str | None], DataScenario] = {}
    for line, row in body:
        if len(row) != len(header):
            raise DataError(f"{path}:{line}: the row has {len(row)} cells but the header has {len(header)}")
        cells = dict(zip(header, (c.strip() for c in row)))
        name = cells.pop("scenario", stem)
        entity = cells.pop("entity", None)
        raw = cells.pop("period", "")
        for column, cell in (("scenario", name), ("entity", entity)):
            if cell == "":
                raise DataError(f"{path}:{line}: the `{column}` cell is empty")
        day = cells.pop(AS_OF, "")
        values = {k: _value(c, f"{path}:{line}: column `{_key(k)}`") for k, c in cells.items() if c != ""}
        ds = out.get((name, entity))
        if ds is None:
            ds = out[name, entity] = DataScenario(name, {}, f"{path}:{line}", entity=entity)
        if day:
            ds.as_of = _series_as_of(ds, _date(day, f"{path}:{line}: column `{AS_OF}`"), f"{path}:{line}")
        if raw == "":
            ds.values.update(values)
            continue
        period, problem = read_period(raw)
        if period is None:
            raise DataError(f"{path}:{line}: column `period`: {problem}")
        if period.text in ds.periods:
            who = f"scenario `{_key(name)}`" + (f", entity `{_key(entity)}`" if entity is not None else "")
            raise DataError(f"{path}:{line}: period `{period.text}` of {who} is given twice; keep one row")
        ds.periods[period.text] = values
    for ds in out.values():
        who = f"{path}: scenario `{_key(ds.name)}`" + (f", entity `{_key(ds.entity)}`" if ds.entity is not None else "")
        _one_granularity(ds.periods, who)
    return list(out.values())


def _series_as_of(ds: DataScenario, day: datetime.date, where: str) -> datetime.date:
    """The as-of date of a series that a row gives: one date per scenario and entity."""
    if ds.as_of is not None and ds.as_of != day:
        raise DataError(f"{where}: column `{AS_OF}`: {day} differs from {ds.as_of} on an earlier row of the same "
                        "scenario and entity; a series' values stand at one date")
    return day


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
    """A scenario to evaluate: its name, label, values, the in-file scenario whose expects apply, and
    where its values came from (``"the model"``, data file paths, ``"--set"``), in that order."""

    name: str
    label: str | None
    values: dict[str, float]
    expects: str | None
    source: list[str] = attrs.Factory(list)
    #: Each period's values (by its text) from data files, and the entity they are of, if any.
    periods: dict[str, dict[str, float]] = attrs.Factory(dict)
    entity: str | None = None
    #: The day the values stand at, from the data (None: the in-file scenario's, or each period's end).
    as_of: datetime.date | None = None


def select(model: Model, names: tuple[str, ...] = (), data_files: tuple[str, ...] = (),
           sets: tuple[str, ...] = ()) -> list[Selected]:
    """Which scenarios run, and with which values: in-file, then data files, then ``--set``
    (``docs/data.md``). With data files and no ``names``, the scenarios the data names run; see
    ``left_out`` for the in-file ones that do not."""
    available: dict[str, Selected] = {
        n: Selected(n, sc.label, model.scenario_values(n), n, ["the model"]) for n, sc in model.scenarios.items()}
    from_data: dict[str, None] = {}  # scenario names in order of appearance
    for path in data_files:
        for ds in read_data(path):
            check_names(model, ds.values, ds.where)
            for text, values in ds.periods.items():
                check_names(model, values, f"{ds.where}, period `{text}`")
            key = ds.name if ds.entity is None else f"{ds.name}\x00{ds.entity}"  # one per scenario and entity
            if key not in available:
                inner = model.scenarios.get(ds.name)
                available[key] = Selected(ds.name, None, {}, None) if ds.entity is None or inner is None else \
                    Selected(ds.name, inner.label, model.scenario_values(ds.name), ds.name, ["the model"])
            sc = available[key]
            sc.values.update(ds.values)
            sc.entity = ds.entity
            sc.as_of = ds.as_of or sc.as_of
            for text, values in ds.periods.items():
                sc.periods.setdefault(text, {}).update(values)
            if path not in sc.source:
                sc.source.append(path)
            from_data.setdefault(key)
    overlay = dict(parse_set(s) for s in sets)
    check_names(model, overlay, "--set")
    if names:
        named = {sc.name for sc in available.values()}
        unknown = [n for n in names if n not in named]
        if unknown:
            have = ", ".join(f"`{n}`" for n in dict.fromkeys(sc.name for sc in available.values())) or "none"
            raise DataError(f"no scenario `{_key(unknown[0])}` in {model.path} or the data files (there are: {have})"
                            + closest(unknown[0], named))
        chosen = [sc for n in dict.fromkeys(names) for sc in available.values() if sc.name == n]
    elif from_data:
        chosen = [available[n] for n in from_data]
    else:
        chosen = list(available.values())
    if not chosen and overlay:
        chosen = [Selected("cli", None, {}, None)]
    for sc in chosen:
        sc.values.update(overlay)
        if overlay:
            sc.source.append("--set")
    return chosen


def left_out(model: Model, chosen: list[Selected]) -> list[str]:
    """The in-file scenarios that ``select`` did not choose (the data named its own)."""
    names = {sc.name for sc in chosen}
    return [n for n in model.scenarios if n not in names]


# --------------------------------------------------------------------------------------------------
# CSV batches, column-wise: one scenario a row, read into NumPy columns and results written back
# (NumPy is imported by these functions only, when a batch is read or written)

#: The columns of ``kpi eval --format csv``: one row per scenario and declaration (a long table that a
#: spreadsheet's pivot table or a BI tool reads as it is).
RESULT_COLUMNS = ("scenario", "indicator", "label", "kind", "unit", "target", "value", "met", "achievement",
                  "score", "status")
#: The columns after ``RESULT_COLUMNS`` when the model declares grades.
GRADE_COLUMNS = ("grade", "coefficient")
#: Cells a spreadsheet would run as a formula begin with one of these (OWASP, CSV injection).
#: The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str | None) -> str:
    """A cell of text from a model or a data file, quoted as ``csv.writer`` would, and with a leading
    ``'`` when a spreadsheet would otherwise take it for a formula (``=HYPERLINK(…)``, ``+cmd|…``)."""
    if not text:
        return ""
    if text.startswith(FORMULA_START):
        text = "'" + text
    if _PLAIN.fullmatch(text):
        return text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([text, ""])
    return buf.getvalue()[:-2]  # drop the "," of the empty second field and the newline


def results_csv(model: Model, scenario_names, fields) -> str:
    """The whole text of ``iter_results_csv``."""
    return "".join(iter_results_csv(model, scenario_names, fields))


def iter_results_csv(model: Model, scenario_names, fields, chunk: int = 4096, targets=None):
    """The CSV of evaluation results in pieces: the header, then blocks of rows.

    ``fields(name)`` gives the declaration's ``(value, met, achievement, score, status)`` over the
    scenarios as NumPy arrays: numbers NaN for unknown, ``met`` 1.0 / 0.0 / NaN, status int8 codes
    of ``kpidsl.evaluation.plan.STATUSES``. Numbers are written in the shortest form that reads back
    as the value rounded to 12 significant digits (``0.75``, not ``0.7499999999999997``); unknown
    and non-finite values, and statuses an indicator does not have, are empty cells. When the model
    declares grades, ``fields`` gives two more arrays, the grade (an index into ``model.grades``, NaN
    for none) and its coefficient, written as the columns of ``GRADE_COLUMNS``. ``targets(name)``,
    when given, is the ``target`` cell's text for each scenario (the level its score was computed
    against); else the cell is the target as written.
    """
    return results_csv_pieces(model, [(scenario_names, fields, targets)], chunk)


def results_csv_pieces(model: Model, groups, chunk: int = 4096):
    """``iter_results_csv`` for groups of scenarios ``(scenario_names, fields, targets)`` written one
    after another under one header: only one group's fields are held at a time."""
    import numpy as np

    from .evaluation.plan import STATUSES

    graded = bool(model.grades)
    yield ",".join(RESULT_COLUMNS + (GRADE_COLUMNS if graded else ())) + "\n"
    grade_names = np.array(["", *(csv_text(g.name) for g in model.grades)], dtype=object)
    names = list(model.order)
    inds = model.indicators
    base = {nm: ",".join((csv_text(nm), csv_text(inds[nm].label), inds[nm].kind, csv_text(inds[nm].unit)))
            for nm in names}
    prefix = {nm: f"{base[nm]},{csv_text(inds[nm].target.text if inds[nm].target else None)}" for nm in names}
    status_text = np.array([s or "" for s in STATUSES], dtype=object)
    met_text = {1.0: "true", 0.0: "false"}

    def rows_of(scenario_names, fields, targets):
        quoted = [csv_text(nm) for nm in scenario_names]
        # one chunk: each declaration's fields are asked for once, and held only while its rows are made
        field = fields if len(quoted) <= chunk else {nm: fields(nm) for nm in names}.__getitem__
        for lo in range(0, len(quoted), chunk):
            hi = min(len(quoted), lo + chunk)
            rows = []
            for nm in names:
                got = field(nm)
                value, met, ach, score, status = (c[lo:hi] for c in got[:5])
                heads = [prefix[nm]] * (hi - lo) if targets is None else [
                    f"{base[nm]},{csv_text(t)}" for t in targets(nm)[lo:hi]]
                row = [f"{head},{v},{m},{a},{s},{st}" for head, v, m, a, s, st in zip(heads,
                    _number_texts(value), [met_text.get(x, "") for x in met.tolist()], _number_texts(ach),
                    _number_texts(score), status_text[status].tolist())]
                if graded:
                    grade, coef = (c[lo:hi] for c in got[5:])
                    index = np.where(np.isnan(grade), 0, grade + 1).astype(np.int64)
                    row = [f"{x},{g},{c}" for x, g, c in zip(row, grade_names[index].tolist(), _number_texts(coef))]
                rows.append(row)
            for i in range(hi - lo):  # a scenario's rows at a time: the chunk's text is never whole
                yield "".join(f"{quoted[lo + i]},{row[i]}\n" for row in rows)

    with np.errstate(all="ignore"):
        for scenario_names, fields, targets in groups:
            yield from rows_of(scenario_names, fields, targets)


def _number_texts(x) -> list[str]:
    """Each value to 12 significant digits in its shortest round-trip form, "" for NaN (each distinct
    value formatted once)."""
    import numpy as np

    def text(v: float) -> str:
        return "" if not math.isfinite(v) else "0.0" if v == 0 else repr(float(f"{v:.12g}"))

    if len(x) >= 64:
        uniq, inverse = np.unique(x, return_inverse=True)  # merges 0.0 and -0.0: both are written as 0
        if len(uniq) * 4 <= len(x):
            texts = np.array([text(v) for v in uniq.tolist()], dtype=object)
            return texts[inverse.reshape(-1)].tolist()
    return [text(v) for v in x.tolist()]


_PLAIN = re.compile(r"[\w.\-%]+")


_BAD_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")


def _parse_cell(c: str, bad: list) -> float:
    s = c.strip()
    if not s:
        return math.nan
    if s.isascii():  # float() also reads the digits of other scripts, which the language refuses
        try:
            x = float(s)
            if math.isfinite(x) and not _BAD_DOT.search(s):
                return x
        except ValueError:
            pass
    x, problem = read_signed_number(s)
    if x is None:
        bad.append(problem)
        return math.nan
    return x


def _dots_ok(joined: str) -> bool:
    """Whether every ``.`` stands between two digits (``float`` also takes ``.5`` and ``5.``)."""
    import numpy as np

    if "." not in joined:
        return True
    try:
        b = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return not _BAD_DOT.search(joined)
    p = np.flatnonzero(b == 46)
    if p[0] == 0 or p[-1] == len(b) - 1:
        return False
    before, after = b[p - 1], b[p + 1]
    return bool(((before >= 48) & (before <= 57) & (after >= 48) & (after <= 57)).all())


def _parse_column(cells) -> "np.ndarray" | None:
    """The numbers of one column (NaN for empty cells), or None when a cell is not a number."""
    import numpy as np

    try:
        arr = np.array(list(map(float, cells)), dtype=np.float64)
    except ValueError:
        arr = None
    joined = "\x00".join(cells)
    if arr is not None and joined.isascii() and np.isfinite(arr).all() and _dots_ok(joined):
        return arr
    bad: list = []
    arr = np.array([_parse_cell(c, bad) for c in cells], dtype=np.float64)
    return None if bad else arr


def _from_scenarios(model, header: list[str], scenarios) -> tuple[list[str], dict[str, "np.ndarray"], int]:
    import numpy as np

    for ds in scenarios:
        check_names(model, ds.values, ds.where)
    n = len(scenarios)
    named = bool(header) and header[0] == "scenario"
    keys = [k for k in dict.fromkeys((header[1:] if named else header) + [k for ds in scenarios for k in ds.values])
            if (ind := model.indicators.get(k)) is not None and ind.formula is None]
    columns = {}
    for k in keys:
        columns[k] = np.array([ds.values.get(k, math.nan) for ds in scenarios], dtype=np.float64)
    return [ds.name for ds in scenarios], columns, n


def read_csv_columns(path: str, model) -> tuple[list[str], dict[str, "np.ndarray"], int]:
    """Read a CSV batch into ``(scenario names, columns, n)``, one row per scenario.

    Columns map names to float64 arrays (NaN where a cell is empty). Every problem is the
    ``DataError`` that ``kpidsl.data.read_data`` followed by ``check_names`` raises for the file. Rows
    keep their order; rows with the same name are not merged here (see ``select_batch``). Files of
    other formats are read with ``read_data``.
    """
    if Path(path).suffix.lower() != ".csv":
        scenarios = read_data(path)
        return _from_scenarios(model, [], scenarios)
    text = read_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    fast = _fast_columns(model, rows, path)
    if fast is not None:
        return fast
    scenarios = _read_csv(text, path)  # the reference reader: raises the exact error, or reads oddities
    header = [h.strip() for h in next(r for r in rows if any(c.strip() for c in r))]
    return _from_scenarios(model, header, scenarios)


def _fast_columns(model, rows, path):
    """The common case: a header, then rows of equal length, every cell a number or empty.

    None sends the file to the reference reader (blank rows, ragged rows, bad cells, …)."""
    import numpy as np

    if len(rows) < 2 or not rows[0] or not any(c.strip() for c in rows[0]):
        return None
    header = [h.strip() for h in rows[0]]
    if "" in header or len(set(header)) != len(header):
        return None
    width = len(header)
    body = rows[1:]
    if set(map(len, body)) != {width}:
        return None
    n = len(body)
    cols = list(zip(*body))
    named = header[0] == "scenario"
    if named:
        names = [c.strip() for c in cols[0]]
        if not all(names):
            return None
        cols = cols[1:]
        keys = header[1:]
    else:
        names = [f"row{i + 1}" for i in range(n)]
        keys = header
    columns = {}
    present = np.zeros(n, dtype=bool)
    for k, cells in zip(keys, cols):
        arr = _parse_column(cells)
        if arr is None:
            return None
        present |= ~np.isnan(arr)
        columns[k] = arr
    if not named and not present.all():
        return None  # a blank row: the reference reader skips it and numbers the rest
    bad = [k for k in keys if (ind := model.indicators.get(k)) is None or ind.formula is not None]
    if bad:
        used = np.zeros(n, dtype=bool)
        for k in bad:
            used |= ~np.isnan(columns[k])
        if used.any():
            r = int(np.flatnonzero(used)[0])
            first = next(k for k in keys if k in bad and not math.isnan(columns[k][r]))
            check_names(model, {first: float(columns[first][r])}, f"{path}:{r + 2}")
        for k in bad:  # a column that is always empty names nothing
            del columns[k]
    return names, columns, n


def select_batch(model, path: str, sets: tuple[str, ...] = ()) -> tuple[list[str], dict[str, "np.ndarray"], int]:
    """``kpidsl.data.select(model, (), (path,), sets)`` column-wise: the scenarios of one data file.

    Rows named like an in-file scenario start from its values; rows with the same name are one
    scenario (later cells override, first position kept); ``--set`` values overlay every row.
    """
    import numpy as np

    names, columns, n = read_csv_columns(path, model)
    overlay = dict(parse_set(s) for s in sets)
    check_names(model, overlay, "--set")
    inner = [nm for nm in dict.fromkeys(names) if nm in model.scenarios]
    if len(set(names)) != n or inner:
        order = list(dict.fromkeys(names))
        pos = {nm: i for i, nm in enumerate(order)}
        m = len(order)
        base = {nm: model.scenario_values(nm) for nm in inner}
        keys = list(dict.fromkeys(list(columns) + [k for vals in base.values() for k in vals]))
        merged = {}
        rows_pos = np.array([pos[nm] for nm in names], dtype=np.int64)
        for k in keys:
            out = np.full(m, math.nan)
            for nm, vals in base.items():
                if k in vals:
                    out[pos[nm]] = vals[k]
            col = columns.get(k)
            if col is not None:
                have = ~np.isnan(col)
                idx, vals_k = rows_pos[have].tolist(), col[have].tolist()
                for p, x in zip(idx, vals_k):  # in row order: later rows win
                    out[p] = x
            merged[k] = out
        names, columns, n = order, merged, m
    for k, x in overlay.items():
        columns[k] = np.full(n, float(x))
    return names, columns, n




# --------------------------------------------------------------------------------------------------
# CSV series, column-wise: one row per scenario, entity and period


def read_series_columns(path: str, model: Model):
    """A CSV with ``period`` (and ``entity``) columns read column-wise for
    ``kpidsl.evaluation.periods.evaluate_rows``: ``(series, ids, periods, columns)``, where
    ``series`` lists each series' ``(scenario, entity)`` in order of appearance, and the rows are
    sorted by series, then period (``ids``: each row's series number; ``periods``: its ``Period``;
    ``columns``: name -> float64 array, NaN for an empty cell).

    None when the file is not of the plain form (a row without a period, a ragged or blank row, a
    cell that is not a number, a name the model does not let data assign, a period that cannot be
    read, given twice or of another granularity in its series, a scenario the model declares):
    ``read_data`` reads those, and says what is wrong."""
    import numpy as np

    try:
        text = read_text(path)
    except DataError:
        return None
    header_line, _, body = text.partition("\n")
    if '"' in text or "\r" in text or not body.strip():  # quoted cells, CR line ends: the csv module's
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error:
            return None
        header, rows = rows[0], rows[1:]
        if set(map(len, rows)) != {len(header)}:
            return None
        cols = dict(zip([h.strip() for h in header], zip(*rows)))
        n = len(rows)
    else:  # no cell is quoted: a cell is what stands between commas
        header = header_line.split(",")
        lines = body.rstrip("\n").split("\n")
        n = len(lines)
        cols = _read_block(text, lines, [h.strip() for h in header])
        if cols is None:
            flat = ",".join(lines).split(",")
            if len(flat) != n * len(header):
                return None  # a ragged or blank row
            cols = {h.strip(): flat[i::len(header)] for i, h in enumerate(header)}
    width = len(header)
    if "period" not in cols or "" in cols or len(cols) != width:
        return None
    strip = (lambda cells: [c.strip() for c in cells]) if " " in text or "\t" in text else list
    texts = strip(cols.pop("period"))
    names = strip(cols.pop("scenario")) if "scenario" in cols else None
    entities = strip(cols.pop("entity")) if "entity" in cols else None
    if "" in texts or (names and "" in names) or (entities and "" in entities):
        return None
    if names and any(nm in model.scenarios for nm in set(names)):
        return None
    code_of = {t: i for i, t in enumerate(dict.fromkeys(texts))}  # distinct texts, in order of appearance
    code = np.fromiter(map(code_of.__getitem__, texts), dtype=np.int64, count=n)
    distinct = []
    for t in code_of:
        period, _ = read_period(t)
        if period is None:
            return None
        distinct.append(period)
    stem = Path(path).stem
    keys = list(zip(names, entities or [None] * n)) if names else entities or [None] * n
    ids_of = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    ids = np.fromiter(map(ids_of.__getitem__, keys), dtype=np.int64, count=n)
    if not names:
        ids_of = {(stem, k): i for k, i in ids_of.items()}
    key = np.array([p.year * 1000 + p.index for p in distinct], dtype=np.int64)[code]
    order = np.lexsort((key, ids))
    ids, key, code = ids[order], key[order], code[order]
    if n > 1 and bool(((ids[1:] == ids[:-1]) & (key[1:] == key[:-1])).any()):
        return None  # a period given twice
    kinds = np.array([_KIND_CODES[p.kind] for p in distinct], dtype=np.int8)[code]
    if n > 1 and bool(((ids[1:] == ids[:-1]) & (kinds[1:] != kinds[:-1])).any()):
        return None  # granularities mixed in a series
    columns = {}
    for k, cells in cols.items():
        ind = model.indicators.get(k)
        if ind is None or ind.formula is not None:
            return None
        arr = cells if isinstance(cells, np.ndarray) else _parse_column(cells)
        if arr is None:
            return None
        columns[k] = arr[order]
    return list(ids_of), ids, list(map(distinct.__getitem__, code.tolist())), columns


def _read_block(text: str, lines: list[str], header: list[str]) -> dict | None:
    """The columns of an unquoted CSV body's ``lines`` read in one pass by NumPy's C reader: the
    ``period``, ``scenario`` and ``entity`` columns as lists of strings, the others as float64
    arrays. None where a cell might not be read as ``_parse_column`` reads it (text beyond ASCII, a
    space, a ``.`` not between digits, an empty cell, a word, a number that is not finite) or a row
    is ragged or blank: the caller then splits the cells in Python and reads them one by one."""
    import numpy as np

    if len(set(header)) != len(header) or not text.isascii() or " " in text or "\t" in text or not _dots_ok(text):
        return None
    words = ("period", "scenario", "entity")
    dtype = [(f"c{i}", object if h in words else np.float64) for i, h in enumerate(header)]
    try:
        block = np.loadtxt(lines, delimiter=",", dtype=dtype, comments=None, ndmin=1)
    except ValueError:
        return None
    if len(block) != len(lines):
        return None  # loadtxt skips a blank line
    cols = {h: block[f"c{i}"].tolist() if h in words else block[f"c{i}"] for i, h in enumerate(header)}
    return cols if all(np.isfinite(x).all() for h, x in cols.items() if h not in words) else None



_KIND_CODES = {kind: i for i, kind in enumerate(PERIOD_KINDS)}
