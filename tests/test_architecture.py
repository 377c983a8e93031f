"""The architecture as tests: the import graph of ``kpidsl`` follows the pipeline's layers, without
cycles, and every finding code the source reports is in the rule registry.

Every import statement of a module counts, wherever it stands (at the top, inside a function, under
``if TYPE_CHECKING``): an import made late is still a dependency.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

from conftest import ROOT
from kpidsl.checking.practice import CHECKS
from kpidsl.checking.rules import RULES
from kpidsl.errors import UNKNOWN_SPAN, Finding

#: The layers, lowest first. A module may import modules of its own layer and of lower ones; a name
#: stands for that module and everything under it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("kpidsl.errors", "kpidsl.gcpause"),
    ("kpidsl.parsing",),
    ("kpidsl.compiler",),
    ("kpidsl.checking", "kpidsl.evaluation"),
    ("kpidsl.data", "kpidsl.render", "kpidsl.warehouse"),
    ("kpidsl.api",),
    ("kpidsl.cli", "kpidsl.lsp"),
    ("kpidsl.__main__",),
)
#: Modules that import nothing from kpidsl.
LEAVES = ("kpidsl.errors", "kpidsl.gcpause")
#: Pairs in one layer that stay apart: neither imports the other.
APART = (("kpidsl.checking", "kpidsl.evaluation"), ("kpidsl.cli", "kpidsl.lsp"))
#: Front ends call the public API, nothing deeper: all they may import besides their own modules
#: (``x.*`` is ``x`` and everything under it). ``kpidsl.parsing.sources`` is the one function every
#: path is read through (and its errors): a front end reads files with it, and a check served from
#: the cache must not load the compiler to do so.
FRONT_ENDS = {
    "kpidsl.cli": ("kpidsl", "kpidsl.api", "kpidsl.errors", "kpidsl.render.*", "kpidsl.data",
                   "kpidsl.checking.config", "kpidsl.checking.rules", "kpidsl.parsing.sources", "kpidsl.warehouse.*"),
    "kpidsl.lsp": ("kpidsl", "kpidsl.api", "kpidsl.errors", "kpidsl.gcpause", "kpidsl.render.*",
                   "kpidsl.checking.config", "kpidsl.checking.rules"),
}
#: The package root names the API lazily (strings in ``_EXPORTS``, not imports): it stands outside
#: the layers, and only the front ends import it (for ``__version__``).
ROOT_MODULE = "kpidsl"

PACKAGE = ROOT / "kpidsl"


def module_name(path: Path) -> str:
    """``kpidsl/parsing/parser.py`` → ``kpidsl.parsing.parser``; a package's ``__init__.py`` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _called(node: ast.AST) -> str | None:
    """The name a call calls (``f`` of ``f(…)`` and of ``x.f(…)``), or None."""
    if not isinstance(node, ast.Call):
        return None
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def imports_of(source: str, module: str, is_package: bool, known) -> list[tuple[int, str]]:
    """``(line, module imported)`` for every import statement of ``source`` (the text of ``module``)
    that names a kpidsl module, relative ones resolved; ``from X import name`` is the module
    ``X.name`` when ``known`` holds one, else ``X``. Also ``(line, "<dynamic>")`` for each call of
    ``importlib.import_module`` or ``__import__``, which this graph cannot follow."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((node.lineno, sub if sub in known else base))
        elif _called(node) in ("import_module", "__import__"):
            found.append((node.lineno, "<dynamic>"))
    return sorted({(line, m) for line, m in found if m == "<dynamic>" or m.split(".")[0] == "kpidsl"})


def _graph() -> dict[str, list[tuple[int, str]]]:
    return {m: imports_of(p.read_text(encoding="utf-8"), m, p.name == "__init__.py", MODULES)
            for m, p in MODULES.items()}


GRAPH = _graph()


def _within(module: str, name: str) -> bool:
    return module == name or module.startswith(name + ".")


def _layer(module: str) -> tuple[int, str] | None:
    """(index in LAYERS, the entry that holds ``module``), or None."""
    return next(((i, name) for i, layer in enumerate(LAYERS) for name in layer if _within(module, name)), None)


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}: {module}"


def layer_problems(graph) -> list[str]:
    """One message per import that breaks a rule of the tables above."""
    out = []
    for importer, edges in graph.items():
        for line, target in edges:
            where = _where(importer, line)
            if target == "<dynamic>":
                if importer != ROOT_MODULE:
                    out.append(f"{where} imports by name at run time, which hides the dependency from this "
                               "test; import the module with an import statement")
                continue
            if importer == ROOT_MODULE or target == importer:
                continue
            if target not in graph:
                out.append(f"{where} imports {target}, which is not a module of kpidsl")
                continue
            mine, theirs = _layer(importer), _layer(target)
            front = next((f for f in FRONT_ENDS if _within(importer, f)), None)
            if any(_within(importer, leaf) for leaf in LEAVES):
                out.append(f"{where} imports {target}, but {mine[1]} is a leaf: it imports nothing from kpidsl")
            elif target == ROOT_MODULE:
                if front is None:
                    out.append(f"{where} imports the package root {ROOT_MODULE}, whose lazy exports reach the "
                               "API; only a front end imports it: import the module that holds the name")
            elif mine is None or theirs is None:
                out.append(f"{where} imports {target}; {importer if mine is None else target} is in no layer: "
                           "place it in LAYERS of tests/test_architecture.py")
            elif front is not None:
                allowed = FRONT_ENDS[front]
                if not _within(target, front) and not any(
                        fnmatch.fnmatchcase(target, p) or p.endswith(".*") and target == p[:-2] for p in allowed):
                    out.append(f"{where} imports {target}, but the front end {front} calls the public API, nothing "
                               f"deeper: it may import only {', '.join(allowed)} and its own modules")
            elif theirs[0] > mine[0]:
                out.append(f"{where} imports {target}, a higher layer ({theirs[1]} is above {mine[1]}): a module "
                           "imports only its own layer and lower ones")
            elif theirs[0] == mine[0] and (mine[1], theirs[1]) in APART + tuple((b, a) for a, b in APART):
                out.append(f"{where} imports {target}, but {mine[1]} and {theirs[1]} are siblings that stay "
                           "apart: neither imports the other")
    return out


def cycles(graph) -> list[list[str]]:
    """The import cycles: for each module in one, the shortest cycle through it (``[a, b, …, a]``,
    starting at its first module in ``graph``'s order), each cycle once."""
    edges = {m: sorted({t for _, t in e if t in graph and t != m}) for m, e in graph.items()}
    order = {m: i for i, m in enumerate(graph)}

    def reach(start: str) -> dict[str, str | None]:
        """Every module reachable from ``start``, with the one it is first reached from (breadth first)."""
        came: dict[str, str | None] = {start: None}
        todo = [start]
        for cur in todo:
            for t in edges[cur]:
                if t not in came:
                    came[t] = cur
                    todo.append(t)
        return came

    out: list[list[str]] = []
    for m in graph:
        came = reach(m)
        back = [n for n in came if m in edges[n]]  # in breadth-first order: the first is the nearest
        if not back:
            continue
        path = [back[0]]
        while came[path[-1]] is not None:
            path.append(came[path[-1]])
        ring = path[::-1]
        first = min(range(len(ring)), key=lambda k: order[ring[k]])
        cycle = ring[first:] + ring[:first]
        if cycle + cycle[:1] not in out:
            out.append(cycle + cycle[:1])
    return out


def _line(importer: str, target: str) -> int:
    return min(line for line, t in GRAPH[importer] if t == target)


def test_no_import_cycles():
    found = [" → ".join(f"{m} (line {_line(m, cycle[i + 1])})" for i, m in enumerate(cycle[:-1])) + f" → {cycle[-1]}"
             for cycle in cycles(GRAPH)]
    assert not found, "kpidsl modules that import each other (at the lines given):\n  " + "\n  ".join(found)


def test_imports_follow_the_layers():
    problems = layer_problems(GRAPH)
    assert not problems, f"{len(problems)} imports break the layers:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------------------------------------
# The walker and the rules, on small made-up modules (so that they cannot silently see nothing)

SYNTHETIC = '''\
from __future__ import annotations
import os
from typing import TYPE_CHECKING
from . import sources, not_a_module
from ..errors import Span

if TYPE_CHECKING:
    from ..compiler.model import Model

def late():
    from .lark_backend import parse_plain
    import kpidsl.render.tree
    try:
        from kpidsl import api
    except ImportError:
        pass

class K:
    def m(self):
        return __import__("kpidsl.data")
'''


def test_the_walker_sees_every_import_statement():
    found = imports_of(SYNTHETIC, "kpidsl.parsing.parser", False, MODULES)
    assert found == [
        (4, "kpidsl.parsing"), (4, "kpidsl.parsing.sources"), (5, "kpidsl.errors"),
        (8, "kpidsl.compiler.model"), (11, "kpidsl.parsing.lark_backend"), (12, "kpidsl.render.tree"),
        (14, "kpidsl.api"), (20, "<dynamic>"),
    ]
    assert imports_of("from . import model", "kpidsl.compiler", True, MODULES) == [(1, "kpidsl.compiler.model")]
    assert imports_of("from .. import __version__", "kpidsl.cli.commands", False, MODULES) == [(1, "kpidsl")]


def test_the_rules_catch_each_kind_of_break():
    graph = {m: [] for m in MODULES}
    graph.update({
        "kpidsl.errors": [(3, "kpidsl.checking.rules")],
        "kpidsl.compiler.passes": [(9, "kpidsl.evaluation.plan")],
        "kpidsl.checking.lint": [(7, "kpidsl.evaluation.scalar")],
        "kpidsl.cli.commands": [(5, "kpidsl.parsing.syntax"), (6, "kpidsl.render.tree"), (7, "kpidsl"),
                                (8, "kpidsl.cli.cache"), (9, "kpidsl.parsing.sources")],
        "kpidsl.render.tree": [(4, "kpidsl"), (5, "kpidsl.data")],
        "kpidsl.data": [(2, "<dynamic>")],
        "kpidsl.api": [(1, "kpidsl.nowhere")],
    })
    expected = {
        "kpidsl/errors.py:3": "a leaf", "kpidsl/compiler/passes.py:9": "a higher layer",
        "kpidsl/checking/lint.py:7": "siblings", "kpidsl/data.py:2": "at run time",
        "kpidsl/render/tree.py:4": "package root", "kpidsl/api.py:1": "not a module of kpidsl",
        "kpidsl/cli/commands.py:5": "the public API",
    }
    problems = layer_problems(graph)
    assert sorted(p.split(": ")[0] for p in problems) == sorted(expected)
    assert all(expected[p.split(": ")[0]] in p for p in problems), problems
    loop = {"kpidsl.a": [(1, "kpidsl.b")], "kpidsl.b": [(2, "kpidsl.c"), (3, "kpidsl.a")],
            "kpidsl.c": [(4, "kpidsl.a")], "kpidsl.d": [(5, "kpidsl.d")]}
    assert cycles(loop) == [["kpidsl.a", "kpidsl.b", "kpidsl.a"], ["kpidsl.a", "kpidsl.b", "kpidsl.c", "kpidsl.a"]]


def test_every_module_is_in_a_layer():
    assert [m for m in MODULES if m != ROOT_MODULE and _layer(m) is None] == []


# ---------------------------------------------------------------------------------------------
# Finding codes: the registry holds every code reported, and the letter gives the severity


def _reported_codes() -> dict[str, list[str]]:
    """Each code literal passed to ``….add(code, …)``, ``report(code, …)`` or ``@rule(code)`` in kpidsl,
    with where."""
    out: dict[str, list[str]] = {}
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _called(node) in ("add", "report", "rule") and node.args and isinstance(node.args[0], ast.Constant):
                code = node.args[0].value
                if isinstance(code, str) and code[:1] in ("E", "W"):
                    out.setdefault(code, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return out


def test_every_reported_code_is_registered():
    reported = _reported_codes()
    assert {c: w for c, w in reported.items() if c not in RULES} == {}, "codes missing from checking/rules.py"
    assert set(CHECKS) <= set(RULES)  # the codes lint passes to sink.add
    assert len(reported) >= 30 and set(CHECKS) <= set(reported), "the scan no longer finds the calls"


@pytest.mark.parametrize("code", sorted(RULES))
def test_the_code_letter_is_the_registry_severity(code):

    assert code[0] in "EW"
    assert Finding("f", UNKNOWN_SPAN, code, "m").severity == RULES[code].severity
