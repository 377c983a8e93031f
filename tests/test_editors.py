"""The VS Code extension's files: the TextMate grammar is what its generator writes from the
language's facts (so its keyword lists cannot drift from grammar/kpi.lark and the compiler), and
the manifest ties the language id, the file extension, the grammar and the client together.
The grammar's token tests run with npm (`.ci/run`: `npm test` in editors/vscode)."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from conftest import ROOT
from kpidsl import api
from kpidsl.parsing import grammar, literals

VSCODE = ROOT / "editors" / "vscode"


def _generator():
    spec = importlib.util.spec_from_file_location("vscode_grammar", VSCODE / "grammar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()
GRAMMAR = json.loads((VSCODE / "syntaxes" / "kpi.tmLanguage.json").read_text(encoding="utf-8"))


def test_the_committed_grammar_is_what_the_generator_writes():
    committed = (VSCODE / "syntaxes" / "kpi.tmLanguage.json").read_text(encoding="utf-8")
    assert committed == GENERATOR.text(), "run `python editors/vscode/grammar.py` and commit the grammar"


def _rules(node):
    if isinstance(node, dict):
        if "match" in node:
            yield node
        for value in node.values():
            yield from _rules(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rules(value)


def _scope_of(word: str) -> set[str]:
    """The rules whose pattern matches ``word`` as a whole (Python's reading of their regex)."""
    out = set()
    for rule in _rules(GRAMMAR["repository"]):
        try:
            m = re.fullmatch(rule["match"], word)
        except re.error:
            continue
        if m:
            out.add(rule.get("name") or json.dumps(rule.get("captures")))
    return out


@pytest.mark.parametrize("word", sorted(grammar.RESERVED | {"expect"}))
def test_every_keyword_has_a_scope(word):
    assert _scope_of(word) - {"variable.other.kpi"}, f"`{word}` is coloured as a plain name"


@pytest.mark.parametrize("word", sorted(set().union(*api.vocabulary()["keys"].values())))
def test_every_entry_key_is_coloured_as_a_key(word):
    assert any("support.type.property-name.kpi" in s for s in _scope_of(f"{word}:"))


@pytest.mark.parametrize("suffix", [s for s in literals.SHIFTS if s])
def test_every_number_suffix_is_coloured(suffix):
    assert "constant.numeric.kpi" in _scope_of(f"12{suffix}")


def test_the_manifest_ties_language_grammar_and_client_together():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    [language] = manifest["contributes"]["languages"]
    assert language["id"] == "kpi" and language["extensions"] == [".kpi"]
    [tm] = manifest["contributes"]["grammars"]
    assert tm["language"] == "kpi" and tm["scopeName"] == GRAMMAR["scopeName"] == "source.kpi"
    assert (VSCODE / tm["path"]).exists() and (VSCODE / manifest["main"]).exists()
    config = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in config["autoClosingPairs"]
    assert manifest["contributes"]["configuration"]["properties"]["kpi.server.path"]["default"] == "kpi"
    assert (VSCODE / "package-lock.json").exists()
    assert "vscode-languageclient" in manifest["dependencies"]
