"""``kpi report``: evaluate the chosen scenarios (each with periods as a series) and write the page
(``kpidsl.render.report``)."""

from __future__ import annotations

import datetime
import os

import attrs

from .. import api
from ..api import KpiError, MissingValues
from ..data import DataError, select
from .periods import periods_of, stop_if_missing


def made_at() -> datetime.datetime:
    """Now, or the time ``SOURCE_DATE_EPOCH`` gives (seconds since 1970, UTC), for reproducible pages."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    return datetime.datetime.now(datetime.timezone.utc)


def page(model, model_path: str, scenarios, data_files, sets, allow_missing: bool, period: str | None, as_of,
         say, fail) -> str:
    """The HTML page of the chosen scenarios; ``fail`` exits with a message for what cannot be shown."""
    from ..render.report import to_html

    try:
        chosen = select(model, scenarios, data_files, sets)
    except DataError as exc:
        fail(str(exc))
    if not chosen:
        fail(f"{model_path} has no scenarios to report: add a `scenario` block, or pass --data or --set", 1)
    items, missing = [], []
    for sc, periods in zip(chosen, periods_of(model, chosen, sets)):
        try:
            if periods:
                items.append(api.evaluate_series(model, sc.name, sc.values, periods, label=sc.label,
                                                 entity=sc.entity, expects=sc.expects, allow_missing=allow_missing,
                                                 source=tuple(sc.source), as_of=as_of or sc.as_of))
            else:
                ev = api.evaluate(model, sc.values, name=sc.name, label=sc.label, allow_missing=allow_missing,
                                  as_of=as_of or sc.as_of)
                items.append(attrs.evolve(ev, source=tuple(sc.source)))
        except MissingValues as exc:
            missing.append(exc)
        except KpiError as exc:
            fail(str(exc))
    stop_if_missing(missing, say, fail)
    if period is not None:
        have = sorted({pe.period.text for it in items for pe in getattr(it, "periods", ())})
        if period not in have:
            fail(f"no scenario has the period `{period}`"
                 + (f" (they have: {', '.join(have[:12])}{', …' if len(have) > 12 else ''})" if have else
                    " (none has periods)"))
        items = [it for it in items if not hasattr(it, "periods") or it.at(period) is not None]
    return to_html(model, items, made_at(), period)
