"""The SQL runtime: a plan as one SQL query over a table of scenarios, built as a sqlglot syntax tree.

The input table has one row per scenario and one column per supplied name; the query gives, per
row, the key columns asked for and every indicator's ``<name>_value``, ``_met``, ``_achievement``,
``_score``, ``_status`` and ``_drag`` (each that the plan computes for it). Only the plan's register
numbers, numbers written as typed string literals, the fixed status texts, and names turned into
quoted identifiers by sqlglot reach the query: no text from a model or a user is pasted into SQL.

Representation: numbers are DOUBLE with NULL for unknown (a NaN is made NULL where one can arise);
conditions are BOOLEAN, whose three-valued ``AND``/``OR``/``NOT`` are the plan's; status codes are
the numbers of ``plan.CODES``. The primitives are ``Sql.TRANSFORMS``, a table of the names of
``plan.PRIMITIVES`` to builders of expressions, in the style of sqlglot's dialect ``TRANSFORMS``; a
dialect whose SQL differs overrides entries in a subclass (``Spark``'s ``FLOOR`` gives a BIGINT), and
a new primitive is one entry.

The steps become a chain of CTEs, one per level of dependency: a register read once is inlined
into its reader, a tiny one (``-x``) into every reader, and anything else is a column of the CTE of
its level, named results always. Each inlined expression appears once or is at most ``SMALL`` nodes,
so the query grows linearly with the plan, however deep its chains.

sqlglot is imported here only; importing ``kpidsl`` or the other runtimes does not import it.
"""

from __future__ import annotations

import math
import re

from sqlglot import exp

from ..compiler.model import Model
from .plan import ACHIEVEMENT, CODES, DRAG, FIELDS, INLINE, MET, SCORE, STATUS, STATUSES, TOL, VALUE, Plan, plan_of

#: The prefix of the query's own column names: a key column may not start with it.
PREFIX = "_kpi_"
#: Inline a temporary into every reader when it has at most this many nodes (recomputed by each).
SMALL = 4
#: Operators whose result is a condition (BOOLEAN); ``pick`` and ``copy`` give what they are given.
CONDITIONS = frozenset(("ge", "le", "gt", "lt", "eq", "ne", "not", "and", "or", "if_cond", "known", "exceeds"))
#: The output columns of an indicator, by field: ``<name>_<field>``.
OUTPUT_FIELDS = (VALUE, MET, ACHIEVEMENT, SCORE, STATUS, DRAG)


class SqlError(Exception):
    """A query that cannot be written for a dialect: a name it cannot hold, an unknown dialect."""


def _meta(e: exp.Expression, **kw) -> exp.Expression:
    e.meta.update(kw)
    return e


def number(x: float) -> exp.Expression:
    """A DOUBLE literal: ``CAST('0.1' AS DOUBLE)`` (a string, read as the nearest double by every
    engine; a decimal literal would be DECIMAL in some), NULL for NaN."""
    if x != x:
        return _meta(exp.cast(exp.null(), "double"), kpi_const=x)
    text = repr(float(x)) if math.isfinite(x) else "Infinity" if x > 0 else "-Infinity"
    if math.isfinite(x) and x == int(x) and abs(x) < 2 ** 53:
        return _meta(exp.cast(exp.Literal.number(str(int(x))), "double"), kpi_const=float(x))
    return _meta(exp.cast(exp.Literal.string(text), "double"), kpi_const=float(x))


def _p(e: exp.Expression) -> exp.Expression:
    """``e`` in parentheses when it is an operator (sqlglot prints trees as built)."""
    if isinstance(e, (exp.Binary, exp.Unary, exp.Not, exp.Is)) and not isinstance(e, exp.Paren):
        return exp.Paren(this=e)
    return e


def _bin(cls, a, b):
    return cls(this=_p(a), expression=_p(b))


_NAN = exp.cast(exp.Literal.string("NaN"), "double")


def _compare(cls, sign: int):
    """``a >= b - tol(b)`` and the like: ``sign`` -1 shifts the bound down, 1 up."""
    return lambda self, a, b: _bin(cls, a, self.shifted(b, sign))


class Sql:
    """The primitives in standard SQL; ``TRANSFORMS[name](self, *args)`` builds ``name``'s expression
    from its operands' expressions. ``const(e)`` is an operand's number when it is one, ``finite(e)``
    whether it can be neither infinite nor NaN."""

    def const(self, e: exp.Expression) -> float | None:
        return e.meta.get("kpi_const") if e.meta else None

    def finite(self, e: exp.Expression) -> bool:
        c = self.const(e)
        return math.isfinite(c) if c is not None else bool(e.meta and e.meta.get("kpi_finite"))

    def maybe_zero(self, e: exp.Expression) -> bool:
        c = self.const(e)
        return c is None or c == 0.0

    def nan_free(self, e: exp.Expression) -> exp.Expression:
        """NaN as NULL (``NaN = NaN`` holds in the engines this targets)."""
        return exp.Nullif(this=e, expression=_NAN.copy())

    def is_finite(self, e: exp.Expression) -> exp.Expression:
        return _bin(exp.EQ, _bin(exp.Sub, e, e.copy()), number(0.0))  # false for inf and NaN, NULL for NULL

    def unknown(self, *args: exp.Expression) -> exp.Expression | None:
        """Whether any operand that is not a number is NULL (None when all are numbers)."""
        tests = [exp.Is(this=_p(a), expression=exp.null()) for a in args if self.const(a) is None]
        return exp.or_(*tests) if tests else None

    def guarded(self, value: exp.Expression, *args: exp.Expression) -> exp.Expression:
        """``value``, NULL where an operand is NULL (LEAST and GREATEST skip NULLs)."""
        test = self.unknown(*args)
        return value if test is None else exp.Case().when(test, exp.null()).else_(value)

    def tol(self, b: exp.Expression) -> exp.Expression:
        return _bin(exp.Mul, number(TOL), exp.Greatest(this=number(1.0), expressions=[exp.Abs(this=b.copy())]))

    def shifted(self, b: exp.Expression, sign: int) -> exp.Expression:
        """``b - tol(b)`` (``sign`` -1) or ``b + tol(b)``: folded when ``b`` is a number."""
        c = self.const(b)
        if c is not None:
            return number(c + sign * TOL * max(1.0, abs(c)))
        return _bin(exp.Sub if sign < 0 else exp.Add, b, self.tol(b))

    def floor(self, e: exp.Expression) -> exp.Expression:
        return exp.Floor(this=e)

    def status_text(self, code: exp.Expression) -> exp.Expression:
        case = exp.Case()
        for i, text in enumerate(STATUSES):
            if text is not None:
                case = case.when(_bin(exp.EQ, code.copy(), number(float(i))), exp.Literal.string(text))
        return case

    # the primitives ------------------------------------------------------------------------------

    def fin(self, x):
        if self.finite(x):
            return x
        return exp.Case().when(self.is_finite(x), x.copy())

    def div(self, a, b):
        q = _bin(exp.Div, a, b)
        if not (self.finite(a) or self.finite(b)):
            q = self.nan_free(q)  # inf / inf
        if self.const(b) is not None and self.const(b) != 0:
            return q
        return exp.Case().when(_bin(exp.NEQ, b.copy(), number(0.0)), q)

    def pow(self, a, b):
        """Python's ``a ** b``: 1 for ``x ** 0`` and ``1 ** x`` (even unknown x), unknown where
        finite operands overflow (or 0 is raised to a negative power) and for complex results."""
        p = exp.Pow(this=a, expression=b)
        case = exp.Case().when(_bin(exp.EQ, b.copy(), number(0.0)), number(1.0)).when(
            _bin(exp.EQ, a.copy(), number(1.0)), number(1.0))
        both = [self.is_finite(x.copy()) for x in (a, b) if not self.finite(x)]
        case = case.when(exp.and_(*both, exp.not_(self.is_finite(p.copy()))) if both else
                         exp.not_(self.is_finite(p.copy())), exp.null())
        return case.else_(self.nan_free(p))

    def eq(self, a, b):
        if self.kinds[0] == "c":
            return _bin(exp.EQ, a, b)
        return _bin(exp.LTE, exp.Abs(this=_bin(exp.Sub, a, b)), self.tol(b) if self.const(b) is None
                    else number(TOL * max(1.0, abs(self.const(b)))))

    def ne(self, a, b):
        return exp.not_(_p(self.eq(a, b)))

    def not_(self, a):
        return exp.not_(_p(a))

    def and_(self, a, b):
        return exp.and_(_p(a), _p(b))

    def or_(self, a, b):
        return exp.or_(_p(a), _p(b))

    def least(self, *args):
        return self.guarded(exp.Least(this=args[0], expressions=list(args[1:])) if len(args) > 1 else args[0],
                            *[a.copy() for a in args])

    def greatest(self, *args):
        return self.guarded(exp.Greatest(this=args[0], expressions=list(args[1:])) if len(args) > 1 else args[0],
                            *[a.copy() for a in args])

    def sum(self, *args):
        """``math.fsum``: the left-to-right sum plus the rounding error of each addition (Knuth's
        two-sum), unknown where finite operands overflow. Each partial sum is written out where it is
        used, so ``n`` operands take O(n²) nodes (formulas have a handful)."""
        if len(args) == 1:
            return args[0]

        def partial(k):  # x1 + … + xk
            e = args[0].copy()
            for a in args[1:k]:
                e = _bin(exp.Add, e, a.copy())
            return e

        errors = []
        for k in range(2, len(args) + 1):
            s, t, x = partial(k - 1), partial(k), args[k - 1]
            bv = _bin(exp.Sub, t, s)
            av = _bin(exp.Sub, t.copy(), bv.copy())
            errors.append(_bin(exp.Add, _bin(exp.Sub, s.copy(), av), _bin(exp.Sub, x.copy(), bv)))
        total = partial(len(args))
        err = errors[0]
        for e in errors[1:]:
            err = _bin(exp.Add, err, e)
        case = exp.Case().when(self.is_finite(total.copy()), _bin(exp.Add, total.copy(), err))
        inputs = [self.is_finite(a.copy()) for a in args if not self.finite(a)]
        if not inputs:  # finite operands: a sum that is not finite overflowed
            return case
        return case.when(exp.and_(*inputs), exp.null()).else_(self.nan_free(total))

    def avg(self, *args):
        return _bin(exp.Div, self.sum(*args), number(float(len(args))))

    def abs(self, x):
        return exp.Abs(this=x)

    def round(self, x, n=None):
        """Half away from zero: ``floor(|x| · 10^n + 0.5) / 10^n`` with ``x``'s sign, as the scalar
        runtime computes it (never the engine's ROUND, which rounds half to even in some)."""
        k = 0.0 if n is None else self.const(n)
        if k is not None:
            if not (math.isfinite(k) and k == int(k) and abs(k) <= 300):
                return exp.cast(exp.null(), "double")
            f: exp.Expression = number(10.0 ** int(k))
            valid = None
        else:
            f = exp.Pow(this=number(10.0), expression=n)
            valid = exp.and_(_bin(exp.EQ, n.copy(), self.floor(n.copy())),
                             _bin(exp.LTE, exp.Abs(this=n.copy()), number(300.0)))
        scaled = _bin(exp.Add, _bin(exp.Mul, exp.Abs(this=x), f), number(0.5))
        r = _bin(exp.Div, self.floor(scaled), f.copy())
        signed = exp.Case().when(_bin(exp.LT, x.copy(), number(0.0)), exp.Neg(this=_p(r))).else_(r.copy())
        case = exp.Case()
        if valid is not None:
            case = case.when(exp.not_(_p(valid)), exp.null())
        return case.when(self.is_finite(r.copy()), signed)

    def clamp(self, x, lo, hi):
        return self.guarded(exp.Least(this=exp.Greatest(this=x, expressions=[lo]), expressions=[hi]),
                            x.copy(), lo.copy(), hi.copy())

    def if_(self, c, a, b):
        return exp.Case().when(_p(c), a).when(exp.not_(_p(c.copy())), b)

    def pick(self, c, a, b):
        return exp.Case().when(_p(c), a).else_(b)

    def known(self, x):
        return exp.not_(exp.Is(this=_p(x), expression=exp.null()))

    def exceeds(self, a, b):
        return exp.Coalesce(this=_bin(exp.GT, a, b), expressions=[exp.false()])

    def pos(self, x):
        return exp.Case().when(_bin(exp.GT, x, number(0.0)), x.copy()).else_(number(0.0))

    TRANSFORMS = {
        "fin": fin, "div": div, "pow": pow,
        "ge": _compare(exp.GTE, -1), "le": _compare(exp.LTE, 1), "gt": _compare(exp.GT, 1), "lt": _compare(exp.LT, -1),
        "eq": eq, "ne": ne, "not": not_, "and": and_, "or": or_,
        "min": least, "max": greatest, "sum": sum, "avg": avg, "abs": abs, "round": round, "clamp": clamp,
        "if_num": if_, "if_cond": if_, "pick": pick, "known": known, "exceeds": exceeds, "pos": pos,
    }
    #: The plan's constants: the truth values, unknown (typed where it is used), the status codes.
    CONSTANTS = {"TRUE": exp.true(), "FALSE": exp.false(), "NAN": exp.null(),
                 **{k: number(v) for k, v in CODES.items()}}

    #: Identifiers: the longest (in UTF-8 bytes), and the pattern every identifier must match.
    MAX_NAME: int | None = None
    NAME: re.Pattern | None = None
    #: sqlglot's name of the dialect.
    DIALECT = ""

    def __init__(self):
        self.kinds: tuple[str, ...] = ()


class DuckDB(Sql):
    DIALECT = "duckdb"

    def is_finite(self, e):
        return exp.Anonymous(this="isfinite", expressions=[e])


class Spark(Sql):
    """Spark's ``FLOOR`` of a DOUBLE is a BIGINT (an overflow error past ±2^63): a number past ±2^52
    is whole already (and NaN, which Spark orders above every number, is kept as it is)."""

    DIALECT = "spark"

    def floor(self, e):
        return exp.Case().when(_bin(exp.GTE, exp.Abs(this=e), number(2.0 ** 52)), e.copy()).else_(
            exp.cast(exp.Floor(this=e.copy()), "double"))


class Postgres(Sql):
    DIALECT = "postgres"
    MAX_NAME = 63


class BigQuery(Sql):
    """In BigQuery NaN equals nothing, itself included: NULLIF cannot find it."""

    DIALECT = "bigquery"
    MAX_NAME = 300
    NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

    def nan_free(self, e):
        return exp.Case().when(exp.Anonymous(this="IS_NAN", expressions=[e]), exp.null()).else_(e.copy())


class Snowflake(Sql):
    DIALECT = "snowflake"
    MAX_NAME = 255


class Databricks(Spark):
    DIALECT = "databricks"
    MAX_NAME = 255


class Trino(Sql):
    DIALECT = "trino"


#: The dialects a query is written for, by name.
DIALECTS: dict[str, type[Sql]] = {c.DIALECT: c for c in (DuckDB, Postgres, Spark, BigQuery, Snowflake, Databricks,
                                                         Trino)}
PRIMITIVES = Sql.TRANSFORMS
CONSTANTS = Sql.CONSTANTS


def runtime(dialect: str) -> Sql:
    cls = DIALECTS.get(dialect)
    if cls is None:
        raise SqlError(f"unknown SQL dialect `{dialect}`; use one of " + ", ".join(DIALECTS))
    return cls()


# --------------------------------------------------------------------------------------------------
# the emitter


def output_name(name: str, field: int) -> str:
    """The output column of ``name``'s ``field`` (distinct for distinct pairs: no field has ``_``)."""
    return f"{name}_{FIELDS[field]}"


def supplied(model: Model) -> list[str]:
    """The names the query reads from the table: the inputs and the indicators without a formula."""
    return [n for n, ind in model.indicators.items() if ind.formula is None]


def outputs(model: Model) -> list[tuple[str, int]]:
    """``(indicator, field)`` of each output column, in order: the fields the plan computes for each
    indicator in output order (its value always)."""
    plan = plan_of(model)
    written = {s.out for s in plan.steps}
    return [(n, f) for n in model.order for f in OUTPUT_FIELDS
            if f == VALUE or plan.reg(f, n) in written]


def grade_outputs(model: Model) -> list[tuple[str, str, str | None]]:
    """``(indicator, grade column, coefficient column or None)`` of each graded indicator, in output order."""
    plan = plan_of(model)
    return [(n, f"{n}_grade", None if plan.grades[n][1] is None else f"{n}_coefficient")
            for n in model.order if n in plan.grades]


def _problems(sql: Sql, names: list[str], what: str) -> list[str]:
    out = []
    for n in names:
        if sql.MAX_NAME is not None and len(n.encode("utf-8")) > sql.MAX_NAME:
            out.append(f"{what} `{n}` is {len(n.encode('utf-8'))} bytes long; {sql.DIALECT} holds names of at "
                       f"most {sql.MAX_NAME}: shorten the name in the model")
        elif sql.NAME is not None and not sql.NAME.fullmatch(n):
            out.append(f"{what} `{n}` is not a name {sql.DIALECT} can hold (letters, digits and `_` in ASCII, not "
                       "starting with a digit): rename it in the model")
    return out


def table_of(path: str) -> exp.Table:
    """A table path ``catalog.schema.table`` (dots separate its parts), each part a quoted identifier."""
    parts = path.split(".")
    if not all(parts) or len(parts) > 3:
        raise SqlError(f"`{path}` is not a table name; write TABLE, SCHEMA.TABLE or CATALOG.SCHEMA.TABLE")
    ids = [exp.to_identifier(p, quoted=True) for p in parts]
    return exp.Table(this=ids[-1], db=ids[-2] if len(ids) > 1 else None, catalog=ids[-3] if len(ids) > 2 else None)


class _Emitter:
    """The steps of one plan as expressions, levels of CTEs and the final projection."""

    def __init__(self, sql: Sql, plan: Plan):
        self.sql, self.plan = sql, plan
        self.reads: dict[int, int] = {}
        for s in plan.steps:
            for a in s.args:
                if type(a) is int:
                    self.reads[a] = self.reads.get(a, 0) + 1
        self.kind: dict[int, str] = {}
        self.level: dict[int, int] = {}  # materialised register -> its CTE
        self.inline: dict[int, tuple[exp.Expression, int, int]] = {}  # register -> (expr, size, level)
        self.columns: list[list[tuple[int, exp.Expression]]] = [[]]  # per level: (register, expr)
        self.finite: set[int] = set()

    def column(self, reg: int) -> exp.Expression:
        e = exp.column(f"{PREFIX}{reg}", quoted=True)
        return _meta(e, kpi_finite=True) if reg in self.finite else e

    def null(self, kind: str) -> exp.Expression:
        return exp.cast(exp.null(), "boolean" if kind == "c" else "double")

    def reg_kind(self, reg: int) -> str:
        k = self.kind.get(reg)
        if k is None:  # never written: unknown
            k = "c" if reg // len(self.plan.slots) == MET and reg < len(FIELDS) * len(self.plan.slots) else "n"
        return k

    def operand(self, a, kind: str) -> tuple[exp.Expression, int, int]:
        """``(expression, size, level)`` of an operand; ``kind`` types an unknown constant."""
        if type(a) is float:
            return number(a), 1, 0
        if type(a) is str:
            if a == "NAN":
                return self.null(kind), 1, 0
            return self.sql.CONSTANTS[a].copy(), 1, 0
        if a in self.inline:
            e, size, level = self.inline[a]
            shared = self.reads.get(a, 0) > 1 or a in self.level
            return (e.copy() if shared else e), size, level
        if a in self.level:
            return self.column(a), 1, self.level[a]
        return self.null(self.reg_kind(a)), 1, 0

    def materialise(self, reg: int, e: exp.Expression, level: int) -> None:
        level += 1
        while len(self.columns) <= level:
            self.columns.append([])
        self.columns[level].append((reg, e))
        self.level[reg] = level

    def add_input(self, reg: int, e: exp.Expression) -> None:
        self.columns[0].append((reg, e))
        self.level[reg] = 0
        self.kind[reg] = "n"
        self.finite.add(reg)

    def step(self, s) -> None:
        sql = self.sql
        arg_kinds = tuple(self.reg_kind(a) if type(a) is int else "c" if a in ("TRUE", "FALSE") else "n"
                          for a in s.args)
        if s.op in CONDITIONS:
            kind = "c"
        elif s.op in ("pick", "copy"):
            kind = next((k for a, k in zip(s.args[1:] if s.op == "pick" else s.args,
                                           arg_kinds[1:] if s.op == "pick" else arg_kinds) if a != "NAN"), "n")
        else:
            kind = "n"
        self.kind[s.out] = kind
        ops = [self.operand(a, kind) for a in s.args]
        # the template over placeholders, then each placeholder replaced by its operand
        holders = []
        for i, (e, size, lvl) in enumerate(ops):
            if size == 1:  # a column or a constant: used as it is
                holders.append(e)
            else:
                h = exp.column(f"\x00{i}")
                if e.meta and e.meta.get("kpi_finite"):
                    _meta(h, kpi_finite=True)
                holders.append(h)
        sql.kinds = arg_kinds
        if s.op in INLINE:
            a = holders
            if s.op == "copy":
                template = a[0]
            elif s.op == "neg":
                template = exp.Neg(this=_p(a[0]))
            else:
                cls = {"add": exp.Add, "sub": exp.Sub, "mul": exp.Mul}[s.op]
                template = _bin(cls, a[0], a[1])
                nan = (not sql.finite(a[0]) and not sql.finite(a[1])) if s.op != "mul" else \
                    (not sql.finite(a[0]) and sql.maybe_zero(a[1])) or (not sql.finite(a[1]) and sql.maybe_zero(a[0]))
                if nan:
                    template = sql.nan_free(template)
        else:
            template = sql.TRANSFORMS[s.op](sql, *holders)
        found: dict[int, list[exp.Expression]] = {}
        for node in template.walk():
            if isinstance(node, exp.Column) and node.name.startswith("\x00"):
                found.setdefault(int(node.name[1:]), []).append(node)
        size = sum(1 for _ in template.walk())
        level = 0
        for i, (e, esize, lvl) in enumerate(ops):
            nodes = found.get(i, ())
            a = s.args[i]
            if len(nodes) > 1 and esize > SMALL and type(a) is int:  # read twice: a column, not a copy
                self.inline.pop(a, None)
                self.materialise(a, e, lvl)
                e, esize, lvl = self.column(a), 1, self.level[a]
            level = max(level, lvl)
            for node in nodes:
                repl = _p(e if len(nodes) == 1 else e.copy())
                if node is template:
                    template = repl
                else:
                    node.replace(repl)
            size += len(nodes) * (esize - 1)
        finite = s.op in ("fin", "round", "known", "exceeds") or (s.op == "clamp" and all(
            sql.finite(o[0]) for o in ops[1:])) or (s.op in ("copy", "pick", "if_num") and all(
                sql.finite(o[0]) or sql.const(o[0]) != sql.const(o[0]) for o in ops[-2:]))
        if finite:
            self.finite.add(s.out)
            _meta(template, kpi_finite=True)
        self.place(s.out, template, size, level)

    def read(self, reg: int, kind: str = "n") -> exp.Expression:
        """``reg`` as the final projection reads it: its column, its inlined expression, or unknown."""
        if reg in self.level:
            return self.column(reg)
        if reg in self.inline:
            return self.inline[reg][0].copy()
        return self.null(kind)

    def place(self, reg: int, e: exp.Expression, size: int, level: int) -> None:
        """Materialise ``reg`` as a column, or keep it to inline into its readers."""
        named_output = reg < self.plan.temps_from and reg < len(FIELDS) * len(self.plan.slots)
        if named_output:  # a column: its readers read it, never compute it again
            self.materialise(reg, e, level)
        elif self.reads.get(reg, 0) <= 1 or size <= SMALL:
            self.inline[reg] = (e, size, level)
        else:
            self.materialise(reg, e, level)


def query(model: Model, table: str, dialect: str = "duckdb", keys: tuple[str, ...] = (),
          columns: set[str] | None = None, overrides: dict[str, float] | None = None,
          exact: frozenset[str] = frozenset(), grades: bool = False, as_of=None) -> exp.Expression:
    """The query of ``model`` over ``table`` for ``dialect``: ``keys`` (columns carried through) and
    the outputs of ``outputs(model)`` per row. ``columns``: the supplied names the table has (None:
    every name of ``supplied(model)``; the others are unknown); ``overrides``: names given one value
    in every row (``--set``); ``exact``: names whose columns hold no NaN or infinity (integers,
    decimals), read without a check; ``grades``: also each graded indicator's ``<name>_grade`` (the
    grade's name) and ``<name>_coefficient`` (``grade_outputs``); ``as_of``: the day the numbers stand
    at (a ``datetime.date``; without it nothing is overdue). ``SqlError`` for a name the dialect cannot hold or a key column named
    like an output or with the query's prefix."""
    plan = plan_of(model)
    sql = runtime(dialect)
    names = supplied(model)
    outs = outputs(model)
    out_names = [output_name(n, f) for n, f in outs]
    problems = _problems(sql, [n for n in names if columns is None or n in columns], "the column")
    if grades:
        out_names = out_names + [c for _, g, k in grade_outputs(model) for c in (g, k) if c is not None]
    problems += _problems(sql, out_names, "the output column")
    problems += _problems(sql, list(keys), "the key column")
    taken = set(out_names)
    for k in keys:
        if k in taken or k.startswith(PREFIX):
            problems.append(f"the key column `{k}` " + ("is named like an output column" if k in taken else
                            f"starts with `{PREFIX}`, which the query keeps for its own columns") + ": rename it")
    if problems:
        raise SqlError("; ".join(problems))
    em = _Emitter(sql, plan)
    overrides = overrides or {}
    for n in names:
        reg = plan.slots[n]
        if n in overrides:
            em.add_input(reg, number(float(overrides[n])))
        elif columns is None or n in columns:  # a NaN or infinity in the table is unknown
            value = exp.cast(exp.column(n, quoted=True), "double")
            em.add_input(reg, value if n in exact else sql.fin(value))
    if as_of is not None and plan.as_of is not None:
        em.add_input(plan.as_of, number(float(as_of.toordinal())))
    for s in plan.steps:
        em.step(s)
    source = table_of(table)
    first = exp.select(*[exp.column(k, quoted=True) for k in keys],
                       *[exp.alias_(e, f"{PREFIX}{r}", quoted=True) for r, e in em.columns[0]]).from_(source)
    if not keys and not em.columns[0]:
        first = exp.select(exp.alias_(number(0.0), f"{PREFIX}row", quoted=True)).from_(source)
    ctes = [first]
    for i, level in enumerate(em.columns[1:]):
        ctes.append(exp.select(exp.Star(), *[exp.alias_(e, f"{PREFIX}{r}", quoted=True) for r, e in level])
                    .from_(_cte_name(i), copy=False))
    final = []
    k = len(plan.slots)
    for (n, f), alias in zip(outs, out_names[:len(outs)]):
        reg = f * k + plan.slots[n]
        e = em.column(reg) if reg in em.level else em.null("c" if f == MET else "n")
        if f == STATUS:
            e = sql.status_text(e)
        final.append(exp.alias_(e, alias, quoted=True))
    for n, grade, coef in grade_outputs(model) if grades else ():
        g, c = plan.grades[n]
        code = em.read(g)
        case = exp.Case()
        for i, gr in enumerate(model.grades):  # a grade's name is a string literal, quoted by sqlglot
            case = case.when(_bin(exp.EQ, code.copy(), number(float(i))), exp.Literal.string(gr.name))
        final.append(exp.alias_(case, grade, quoted=True))
        if coef is not None:
            final.append(exp.alias_(em.read(c), coef, quoted=True))
    result = exp.select(*[exp.column(kk, quoted=True) for kk in keys], *final).from_(
        _cte_name(len(ctes) - 1), copy=False)
    for i, cte in enumerate(ctes):
        result = result.with_(exp.to_identifier(f"{PREFIX}{i}", quoted=True), as_=cte, copy=False)
    return result


def staged(q: exp.Select, most: int) -> list[exp.Expression]:
    """``q`` (a ``query``) as statements: a temporary table after every ``most`` CTEs, each built from
    the one before, then ``q`` over the last. DuckDB plans a chain of hundreds of CTEs in time that
    grows with its cube; in stages it grows linearly."""
    with_ = q.args.get("with_")
    ctes = list(with_.expressions) if with_ is not None else []
    if len(ctes) <= most:
        return [q]
    out: list[exp.Expression] = []
    start = 0
    while len(ctes) - start > most:
        end = start + most - 1  # the CTE that becomes a table
        body = ctes[end].this.copy()
        for cte in ctes[start:end]:
            body = body.with_(cte.alias_or_name and exp.to_identifier(cte.alias, quoted=True), as_=cte.this.copy(),
                              copy=False)
        out.append(exp.Create(this=exp.Table(this=exp.to_identifier(ctes[end].alias, quoted=True)), kind="TABLE",
                              expression=body, properties=exp.Properties(expressions=[exp.TemporaryProperty()])))
        start = end + 1
    last = q.copy()
    last.set("with_", None)
    for cte in ctes[start:]:
        last = last.with_(exp.to_identifier(cte.alias, quoted=True), as_=cte.this.copy(), copy=False)
    return out + [last]


def _cte_name(i: int) -> exp.Table:
    return exp.Table(this=exp.to_identifier(f"{PREFIX}{i}", quoted=True))


def render(model: Model, table: str, dialect: str = "duckdb", keys: tuple[str, ...] = (), pretty: bool = True,
           **kw) -> str:
    """The text of ``query`` for ``dialect``, as sqlglot writes it."""
    return query(model, table, dialect, keys, **kw).sql(dialect=runtime(dialect).DIALECT, pretty=pretty)


__all__ = ["query", "staged", "render", "outputs", "supplied", "output_name", "DIALECTS", "PRIMITIVES", "CONSTANTS",
           "SqlError", "Sql", "number", "table_of", "PREFIX"]
