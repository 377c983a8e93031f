"""What an engine run shows: a progress bar on standard error while it runs, and a summary after.

sqlglot is imported by the functions that build queries, once an engine runs. The summary is
computed in the engine from the results: rows evaluated, the count of each status of
every top indicator (a KGI or a top-level metric), and the rows with the lowest scores of the first.
"""

from __future__ import annotations

import time

import attrs

from ..compiler.model import Model
from ..evaluation.plan import SCORE, STATUS, STATUSES

#: How many of the lowest-scoring rows the summary lists.
WORST = 5
#: The bar shows once a run has taken this long (seconds).
AFTER = 1.0


class Progress:
    """A bar on ``stream`` (a terminal), drawn once a run has taken ``AFTER`` seconds."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width = stream, width
        self.start = time.perf_counter()
        self.shown = False

    @classmethod
    def for_stream(cls, stream) -> "Progress | None":
        """A bar for ``stream`` when it is a terminal, else None (no bar in pipes, files and CI logs)."""
        try:
            return cls(stream) if stream.isatty() else None
        except (AttributeError, ValueError):
            return None

    def update(self, percent: float) -> None:
        if time.perf_counter() - self.start < AFTER or percent is None or percent < 0:
            return
        done = int(self.width * min(percent, 100.0) / 100)
        self.stream.write(f"\r[{'#' * done}{'.' * (self.width - done)}] {percent:5.1f}%")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * (self.width + 10) + "\r")
            self.stream.flush()
            self.shown = False


def tops(model: Model) -> list[str]:
    """The top indicators with a status, in output order."""
    from ..evaluation.sqlplan import outputs

    statuses = {n for n, f in outputs(model) if f == STATUS}
    return [n for n in model.order if model.indicators[n].parent is None and n in statuses]


def summary_columns(model: Model) -> list[str]:
    """The output columns the summary reads."""
    from ..evaluation.sqlplan import output_name

    top = tops(model)
    cols = [output_name(n, STATUS) for n in top]
    if top:
        cols.append(output_name(top[0], SCORE))
    return cols


def summary_queries(model: Model, results, keys: list[str]):
    """``(per top indicator: its status counts query, the lowest-scores query or None, the row count
    query)`` over the relation ``results`` (a sqlglot table or subquery)."""
    from sqlglot import exp

    from ..evaluation.sqlplan import output_name

    def src():
        return results.copy()

    counts = []
    for n in tops(model):
        col = exp.column(output_name(n, STATUS), quoted=True)
        counts.append((n, exp.select(col, exp.Count(this=exp.Star())).from_(src()).group_by(col.copy())))
    worst = None
    top = tops(model)
    if top:
        score = exp.column(output_name(top[0], SCORE), quoted=True)
        status = exp.column(output_name(top[0], STATUS), quoted=True)
        worst = (exp.select(*[exp.column(k, quoted=True) for k in keys], score, status).from_(src())
                 .where(exp.not_(exp.Is(this=score.copy(), expression=exp.null())))
                 .order_by(score.copy(), *[exp.column(k, quoted=True) for k in keys]).limit(WORST))
    return counts, worst, exp.select(exp.Count(this=exp.Star())).from_(src())


@attrs.frozen
class Summary:
    """The outcome of an engine run."""

    model: Model
    source: str
    engine: str
    rows: int
    #: Per top indicator: ``[(status or None, count)]``.
    counts: list
    #: The lowest-scoring rows: ``(*keys, score, status)``.
    worst: list
    keys: list
    seconds: float
    output: str | None = None

    def text(self) -> str:
        from ..render.text import clean

        lines = [f"{self.rows:,} row{'s' if self.rows != 1 else ''} of {self.source} evaluated by {self.engine} in "
                 f"{self.seconds:.1f} s" + (f"; results in {self.output}" if self.output else "")]
        order = {s: i for i, s in enumerate(STATUSES)}
        for name, found in self.counts:
            found = sorted(found, key=lambda sc: order.get(sc[0], 0))
            lines.append(f"{name}: " + ", ".join(f"{c:,} {s or 'no status'}" for s, c in found))
        top = tops(self.model)
        if self.worst:
            lines.append(f"lowest {top[0]} scores:")
            for row in self.worst:
                where = ", ".join(f"{k}={v}" for k, v in zip(self.keys, row)) or "a row"
                lines.append(f"  {where}: {row[-2]:.6g} {row[-1] or ''}".rstrip())
        return "".join(clean(line) + "\n" for line in lines)


__all__ = ["Progress", "Summary", "summary_queries", "summary_columns", "tops", "WORST"]
