"""Shared pieces of the `kpi report` tests: the examples, a hostile model, running the command,
and what `kpi eval --format json` says each view's tree holds."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT
from kpidsl.cli.commands import cli

EX = ROOT / "examples"
#: name → the arguments of `kpi report` / `kpi eval` (the series shown to date, as the page shows them)
EXAMPLES = {
    "ecommerce": ([str(EX / "ecommerce.kpi")], []),
    "plant": ([str(EX / "manufacturing.kpi")], []),
    "monthly": ([str(EX / "sales_monthly.kpi"), "--data", str(EX / "sales_monthly.csv")], ["--to-date"]),
}
#: Kinds the page draws as nodes (the tree and the metrics).
NODE_KINDS = {"kgi", "kpi", "veto", "adjustment", "metric"}
EVIL = "<img src=x onerror=alert(1)>"
#: Every kind of user text a page shows, each hostile: model label and owner, labels, owners, units,
#: scenario names (labels), entity names and a data file's name.
HOSTILE_MODEL = f'''\
model "{EVIL} model" {{ owner: "<b onclick=alert(2)>boss</b>"  period: monthly }}
input sales "<script>alert(3)</script>" {{ unit: "<i>u</i>" }}
kgi goal "{EVIL}" {{
  value: sales
  target: >= 10
  unit: "<svg onload=alert(4)>"
  owner: "<a href=http://example.com>o</a>"
  kpi k "<iframe src=http://example.com>" {{ value: sales  weight: 100%  target: >= 5 }}
  veto v "\\"'><img src=x onerror=alert(5)>" {{ value: sales  target: <= 100 }}
}}
scenario s "<img src=y onerror=alert(6)>" {{ sales: 7 }}
'''
HOSTILE_CSV = "entity,period,sales\n<img src=z onerror=alert(7)>,2025-01,5\n<b>two</b>,2025-01,12\n"
HOSTILE_CSV_NAME = "d<img src=w onerror=alert(8)>.csv"


def hostile_files(folder: Path) -> tuple[Path, Path]:
    model = folder / "hostile.kpi"
    model.write_text(HOSTILE_MODEL, encoding="utf-8")
    data = folder / HOSTILE_CSV_NAME
    data.write_text(HOSTILE_CSV, encoding="utf-8")
    return model, data


def run(*args: str, env: dict | None = None) -> tuple[int, str]:
    """`kpi ARGS` in-process: (exit code, standard output and error)."""
    result = CliRunner().invoke(cli, list(args), prog_name="kpi",
                                env={"NO_COLOR": "1", "SOURCE_DATE_EPOCH": "1764547200", **(env or {})})
    assert "Traceback" not in result.output
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def report(name: str, out: Path) -> str:
    args, _ = EXAMPLES[name]
    code, text = run("report", *args, "-o", str(out))
    assert code == 0, text
    return out.read_text(encoding="utf-8")


def expected(name: str, args: list[str] | None = None) -> dict[str, list[tuple[str, str, float | None]]]:
    """Per view (by the scenario's name in `kpi eval --format json` of example ``name``, or of
    ``args``), ``(name, status, score)`` of each node, sorted."""
    args, extra = EXAMPLES[name] if args is None else (args, [])
    code, text = run("eval", *args, *extra, "--format", "json")
    assert code == 0, text
    return {sc["name"]: sorted((i["name"], i["status"] or "", i["score"]) for i in sc["indicators"]
                               if i["kind"] in NODE_KINDS) for sc in json.loads(text)["scenarios"]}


class Nodes(HTMLParser):
    """The ``data-node`` elements of a page per view (by its ``data-view``): ``(name, status, score)``;
    and every tag."""

    def __init__(self, html: str):
        super().__init__()
        self.views: dict[str, list[tuple[str, str, float | None]]] = {}
        self.view = ""
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "data-view" in a:
            self.view = a["data-view"]
            self.views[self.view] = []
        if "data-node" in a:
            score = a["data-score"]
            self.views[self.view].append((a["data-name"], a["data-status"], float(score) if score else None))


def same(got, want) -> bool:
    """Two views' nodes equal, scores to 1e-12."""
    if len(got) != len(want):
        return False
    for (n1, s1, x1), (n2, s2, x2) in zip(sorted(got), want):
        if (n1, s1) != (n2, s2) or (x1 is None) != (x2 is None) or (x1 is not None and abs(x1 - x2) > 1e-12):
            return False
    return True
