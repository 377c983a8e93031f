"""The fast paths give exactly what the plain ones give.

* Parsing: ``kpidsl.parsing.descent`` (one regex scan, recursive descent) against lark's own contextual
  lexer and LALR parser (``parse_text(..., fast=False)``): the same tree (equality and the span of
  every node, literal values and problems) and the same findings in the same order, for every
  example and test file, for hand-picked corner cases of the grammar's overlapping terminals, and for
  hypothesis-generated and mutated sources.
* Compiling: the evaluation program, generated on first use, is the one built eagerly.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import hashlib
import re

from kpidsl import api
from kpidsl.parsing import descent
from kpidsl.parsing import parser
from kpidsl.parsing.grammar import RESERVED
from kpidsl.parsing.grammar_gen import grammar_text
from kpidsl.parsing import syntax
from kpidsl.errors import FindingSink, Span

from helpers import ECOMMERCE, mutants

ROOT = Path(__file__).resolve().parent.parent
def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:  # E000 comes before parsing
        return False
    return True


FILES = sorted(p for p in list((ROOT / "examples").glob("*.kpi")) + list((ROOT / "tests").rglob("*.kpi"))
               if _is_utf8(p))
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


def _shape(tree):
    """Everything about a tree that equality leaves out: node types, spans, literal readings."""
    if tree is None:
        return None
    out = []
    for n in syntax.iter_nodes(tree):
        out.append((type(n).__name__, type(n.span).__name__, n.span, getattr(n, "value", None) if isinstance(
            n, (syntax.Number, syntax.String, syntax.Date)) else None, getattr(n, "problem", None)))
    return out


def both(text: str):
    """(tree, findings) from the fast path and from the plain path."""
    fast_sink, plain_sink = FindingSink("x.kpi"), FindingSink("x.kpi")
    fast = parser.parse_text(text, fast_sink)
    plain = parser.parse_text(text, plain_sink, fast=False)
    return (fast, fast_sink.items), (plain, plain_sink.items)


def assert_same(text: str) -> None:
    (fast, fast_found), (plain, plain_found) = both(text)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # equality of deep formulas recurses
    try:
        assert fast == plain
    finally:
        sys.setrecursionlimit(limit)
    assert _shape(fast) == _shape(plain)
    assert fast_found == plain_found
    assert all(type(f.span) is Span for f in fast_found)  # not a bare tuple, which would compare equal


def fast_only(text: str):
    """The fast path alone: (tree, findings), or Fallback."""
    found = []
    tree = descent.parse(text.lstrip("\ufeff"), lambda *f: found.append(f))
    return tree, found


def test_the_fast_parser_implements_this_grammar():
    digest = hashlib.sha256(grammar_text().encode("utf-8")).hexdigest()
    assert digest == descent.GRAMMAR_SHA256, (
        "grammar/kpi.lark changed: regenerate its facts (python -m kpidsl.parsing.grammar_gen), make "
        "kpidsl/parsing/descent.py parse the new grammar (the tests here compare it with lark's parser), "
        f"then set GRAMMAR_SHA256 = {digest!r}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_parses_the_same(path):
    assert_same(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.kpi")), ids=lambda p: p.name)
def test_valid_files_take_the_fast_path(path):
    tree, found = fast_only(path.read_text(encoding="utf-8"))
    assert tree == api.parse(path.read_text(encoding="utf-8"))


CASES = [
    "",
    "   \n# only a comment",
    "\ufeffkgi a { }",
    "kgi a {}\r\nkpi b { parent: a }\r\n",
    "kgi a { target: >= 5 }",
    "kgi a { target: <= -5% }",
    "kgi a { target: == 0 }",
    "kgi a { target: 1 .. 2 }",
    "kgi a { target: 1..2 }",
    "kgi a { value: 1 >= 2 }",
    "kgi a { value: x >= 2 and not y < 3 or z != 4 }",
    "kgi a { value: -x - -1 - - 2 }",
    "kgi a { value: 2 ^ -3 ^ 4 * 5 / 6 + 7 }",
    "kgi a { value: min(a, b, (c)) + if(x > 1, 2, 3) }",
    "kgi a { value: 2.5e-3 + 1E+6 + 1_000 + 833万 + 1.1亿 + 75% + 3k + 2M + 1B }",
    "kgi a { value: 5kg + 1__0 + 1e999 }",
    "kgi a { due: 2025-12-31 }",
    "kgi a { due: 2025-02-30 }",
    "kgi a { value: 2025-01-01 }",
    "kgi a { value: 1 + 2025-01-01 }",
    "kgi a { due: 2025-12-31x }",
    "kgi a { due: 2025-12-31.5 }",
    'kgi a "标签 \\"q\\" \\n \\t \\\\ \\u4e07" { owner: "x"; source: "y" ; }',
    'kgi a { owner: "\\q" }',
    'kgi a { owner: "\\u12" }',
    'kgi a { owner: "unterminated }',
    "kgi 销售额 { value: 月売上 * ٣ }",
    "kgi a { value: ٣٤ + ٢٠٢٥-٠١-٠١ }",
    "kgi kpi { }",
    "kgi a { model: 1 }",
    "kgi a { value: true and false }",
    "kgi a { value: true_x + false1 + notx + andy + ory }",
    "kgi a { value: x.score }",
    "kgisales { }",
    "kpix b { }",
    "scenario s extends t { x: 1  expect a.met  expect b.score >= 95% }",
    "scenario s extendsx t { }",
    "scenario s \"l\" extends t { x: -1 }",
    "scenario s { expect a..b }",
    "scenario s { value 5 }",
    "scenario s { foo a + 1 }",
    "model \"m\" { owner: \"o\" } model { }",
    "kgi a { value: (1 + 2 }",
    "kgi a { value: 1 + }",
    "kgi a { target: => 5 }",
    "kgi a { target: < 5 }",
    "kgi a { target: 5 }",
    "kgi a { value: a < b < c }",
    "kgi a { weight: 40%% }",
    "kgi a { x: 1 } }",
    "kgi a { x: 1 ",
    "kgi a { x: 1 } # trailing",
    "kgi a { x: 1 } \x0b",
    "kgi a { x: 1 \u00a0 }",
    "kgi a { x: “quoted” }",
    "kgi a { x: ≥ 5 }",
    "kgi a { x: 1 } kgi b",
    "kgi\ta\f{\tvalue:\tx\t}",
    "kgi a { value: " + "(" * 499 + "1" + ")" * 499 + " }",
    "kgi a { value: " + "(" * 501 + "1" + ")" * 501 + " }",
    "kgi a { value: " + "-" * 3000 + "1 }",
    "kgi a { value: " + " + ".join(["x"] * 2000) + " }",
    "kgi a { " + "kpi b { " * 600 + "}" * 600 + " }",
    # an entry's key and its colon are one token of the fast scan
    "kgi a { value : 1  weight\t:2  due\n: 2025-01-01  owner # c\n : \"o\" }",
    "kgi a { kpi: 1 }", "kgi a { not : 1 }", "kgi a { 销售额: 1  ٣: 2 }", "kgi a { x:: 1 }",
    "kgi a { value: b: 1 }", "kgi a: { }", "scenario s extends t: { }", "kgi a { value: x.y: 1 }",
    "kgi a { expect: 1 }", "kgi a { value: f(x: 1) }", "kgi a { x\f: 1 }", "kgi a { : 1 }",
    # grades, adjustments, as-of dates
    'grade A "top" { score: >= 90%  coefficient: 1.2 }', 'model "m" { grade A { score: >= 1 } grade B { } }',
    "kgi a { adjustment b { value: x * 2% }  adjustments: -1 .. 1 }", "scenario s { as_of: 2025-06-30 }",
    'scenario s { expect a.grade == "A"  expect a.grade != "B" and b.overdue }',
    'scenario s { expect a.grade == "open }', 'scenario s { expect "A" == a.grade }',
    'scenario s { expect a.grade.grade }', 'kgi a { value: x == "A" + 1 }', "kgi grade { }",
    'scenario s { expect a.grade == "A" == "B" }', "scenario s { expect a.grade }",
    'scenario s { expect a . grade == "\\q" }',
    # period blocks: `NAME "text" { … }`, the word checked as `expect`'s is
    'scenario s { period "2025-07" { x: 1  expect a.met } }', 'scenario s { owner "me" }',
    'scenario s { owner "me" x: 1 }', 'scenario s { period "2025" }', 'scenario s { period "a { x: 1 }',
    'kgi a { foo "x" { } }', 'scenario s { period "\\q" { period "2025" { } } }', 'scenario s { period 2025 { } }',
]


@pytest.mark.parametrize("text", CASES)
def test_corner_cases_parse_the_same(text):
    assert_same(text)


def test_valid_corner_cases_take_the_fast_path():
    for text in ["", "kgi a { value: 2.5e-3 }", "kgi 销售额 { value: 月売上 * ٣ }", "kgi a { due: 2025-01-01 }",
                 "scenario s extends t { x: -1  expect a.met }", "kgi a { target: 1..2 }",
                 "kgi a { value: 1e999  owner: \"\\q\" }", "scenario s { foo a + 1 }",
                 "kgi a { value: not x < 1 and (y or true) }", "kgi a { value: -2 ^ -3 ^ 4 * 5 / 6 + 7 }",
                 "kgi a { value : 1  weight\t:2  owner\n: \"o\" }",
                 'grade A { score: >= 90% }  kgi a { adjustment b { value: x } }',
                 'scenario s { as_of: 2025-06-30  expect a.grade == "A" or a.grade != "B" }',
                 'scenario s { period "2025-07" { x: 1 } }', 'scenario s { foo "2025-07" { x: 1 } }']:
        tree, found = fast_only(text)  # raises descent.Fallback if the plain path had to decide
        plain_sink = FindingSink("x.kpi")
        assert tree == parser.parse_text(text, plain_sink, fast=False)
        assert [f[0] for f in found] == [f.code for f in plain_sink.items]


@pytest.mark.parametrize("batch", [1, 2, 3, 7])
def test_files_read_in_small_batches_parse_the_same(batch, monkeypatch):
    # declarations cut by the end of a batch are read again with the next one, findings and all
    monkeypatch.setattr(descent, "BATCH_LINES", batch)
    for text in [p.read_text(encoding="utf-8") for p in FILES] + CASES:
        assert_same(text)


def test_a_batch_may_end_anywhere_in_a_declaration(monkeypatch):
    text = ('model "M" { owner: "o" }\nkgi g\n{\n  value: a\n    + 1万 * 1e999\n  kpi k { weight: 100%\n'
            '    target: >= 1 } }\ninput a { source: "s" }\nscenario s\n  extends t { a: 1\n expect g.met }\n')
    whole = fast_only(text)
    for batch in range(1, 12):
        monkeypatch.setattr(descent, "BATCH_LINES", batch)
        tree, found = fast_only(text)
        assert tree == whole[0] and _shape(tree) == _shape(whole[0])
        assert found == whole[1] and [f[0] for f in found] == ["E002"]  # reported once


def test_a_syntax_error_after_many_batches_falls_back(monkeypatch):
    monkeypatch.setattr(descent, "BATCH_LINES", 2)
    text = "kgi a { value: 1 }\n" * 20 + "kgi b { value: ( }\n" + "kgi c { value: 1 }\n" * 5
    with pytest.raises(descent.Fallback):
        fast_only(text)
    assert_same(text)


def test_a_long_declaration_is_read_again_only_a_few_times(monkeypatch):
    # each time a declaration runs past its batch, the next one is twice as long
    calls = []
    scanner = descent.scanner

    def counting(text):
        more = scanner(text)
        return lambda *args: calls.append(args[-1]) or more(*args)

    monkeypatch.setattr(descent, "scanner", counting)
    monkeypatch.setattr(descent, "BATCH_LINES", 1)
    text = "kgi g {\n" + "  kpi k%d { weight: 1%% }\n" * 1000 % tuple(range(1000)) + "}\nkgi h { }\nkgi i { }\n"
    tree, found = fast_only(text)
    assert len(tree.decls) == 3 and len(tree.decls[0].body.items) == 1000
    assert len(calls) < 20, calls


def test_scanning_in_batches_gives_the_tokens_of_one_scan():
    text = "\n".join(p.read_text(encoding="utf-8") for p in FILES)
    toks, lines, cols = [], [], []
    more = descent.scanner(text)
    while more(toks, lines, cols, 3):
        pass
    assert (toks, lines, cols) == descent.scan(text)


def test_kinds_and_threshold_operators_share_one_string_each():
    # a node keeps the one string of its kind or operator, not the token it was read from
    tree, _ = fast_only(ECOMMERCE + "\nkpi extra { target: >= 1 }\n"
                        "kpi extra2 { target: <= 2 + 1 }\n")
    kinds = [n for n in syntax.iter_nodes(tree) if type(n) is syntax.IndicatorDecl]
    ops = [n for n in syntax.iter_nodes(tree) if type(n) is syntax.Threshold]
    assert len(kinds) > 5 and len(ops) > 5
    assert all(n.kind is descent.KINDS[n.kind] for n in kinds)
    assert all(n.op is descent.THRESHOLD_OPS[n.op] for n in ops)


def test_fast_findings_are_not_reported_twice_after_a_fallback():
    # a reserved word (reported while shifting) and then a syntax error: the fast attempt's finding
    # is dropped and the plain path reports everything once
    text = "kgi a { model: 1 }\nkgi b { x: ( }"
    (_, fast_found), (_, plain_found) = both(text)
    assert fast_found == plain_found
    assert [f.code for f in fast_found].count("E001") == len([f for f in plain_found if f.code == "E001"])


# ---------------------------------------------------------------------------------------------
# generated sources


@functools.cache
def grammar() -> lark.Lark:
    return lark.Lark(grammar_text(), parser="lalr", start="file")


_names = st.sampled_from(["x", "g", "k", "orders", "销售额", "value", "target", "weight", "parent", "owner",
                          "period", "monthly", "min", "if", "expect", "score", "met", "due", "_a1", "baseline",
                          "model", "kpi", "and", "not", "true", "extends", "e", "E", "x1"])
_numbers = st.sampled_from(["0", "1", "42", "3.5", "75%", "833万", "1.1亿", "1_000", "1e6", "2.5e-3", "2.5M",
                            "3B", "5k", "1e999", "5kg", "1__0", "100", "120%", "40", "٣"])
_strings = st.sampled_from(['"a"', '""', '"中文"', '"\\n\\t\\"\\\\"', '"\\u4e07"', '"\\q"', '"\\u12"'])
_dates = st.sampled_from(["2025-12-31", "2024-02-29", "2025-02-30", "2025-13-01"])
_comments = st.sampled_from(["# c\n", "# 注释 { } \"\n", "#\n"])
_ignored = st.sampled_from([" ", "\n", "\r\n", "\t", "\ufeff", "\x0c", ""])
RAW = dict(NAME=_names, NUMBER=_numbers, STRING=_strings, DATE=_dates, COMMENT=_comments, __IGNORE_0=_ignored)
PADDED = {k: v.map(lambda s: f" {s} ") for k, v in RAW.items() if k not in ("COMMENT", "__IGNORE_0")}
PADDED.update(COMMENT=_comments, __IGNORE_0=_ignored)


@settings(max_examples=300, **SETTINGS)
@given(st.deferred(lambda: from_lark(grammar(), start="file", explicit=RAW)))
def test_grammar_generated_text_parses_the_same(text):
    assert_same(text)


@settings(max_examples=300, **SETTINGS)
@given(st.deferred(lambda: from_lark(grammar(), start="file", explicit=PADDED)))
def test_grammar_generated_spaced_text_parses_the_same(text):
    assert_same(text)


def _spaced_sentences():
    """Sentences of the grammar with every token set apart by spaces and no reserved word as a name."""
    from lark.lexer import PatternStr

    explicit = {t.name: st.just(f" {t.pattern.value} ") for t in grammar().terminals
                if isinstance(t.pattern, PatternStr)}
    explicit.update(PADDED, NAME=_names.filter(lambda n: n not in RESERVED).map(lambda s: f" {s} "))
    return from_lark(grammar(), start="file", explicit=explicit)


@settings(max_examples=300, **SETTINGS)
@given(st.deferred(_spaced_sentences))
def test_grammar_generated_text_takes_the_fast_path(text):
    # without reserved words as names, every sentence of the grammar is the fast parser's to decide
    (fast, fast_found), (plain, plain_found) = both(text)
    assert plain is not None, plain_found
    tree, found = fast_only(text)  # raises descent.Fallback if the plain path had to decide
    assert tree == plain and _shape(tree) == _shape(plain)
    assert [(c, s, m) for c, s, m in found] == [(f.code, f.span, f.message) for f in plain_found]


_TOKENS = ["{", "}", ":", '"', "#", "%", "..", ".", ">=", "<", "==", "亿", "\r", "\ufeff", "\n", "(", ")",
           "-", "+", "*", "^", "expect ", "kpi ", "kgi", "model", "parent: ", "weight: 40 ", "1e999", "\\",
           "万", ";", ",", "=>", "=", "!", "extends ", "and", "not ", "true", "veto v { } ", ".score", "\t",
           "2025-02-30", "2025-01-01", "e-3", "\x0b", "\u00a0", "٣", "x"]
_BASES = [ECOMMERCE] + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.kpi"))]


def mutated():
    return mutants(_BASES, _TOKENS)


@settings(max_examples=400, **SETTINGS)
@given(mutated())
def test_mutated_examples_parse_the_same(text):
    assert_same(text)


@settings(max_examples=200, **SETTINGS)
@given(st.lists(st.sampled_from(_TOKENS + [" ", " x ", " 1 ", ": ", "kgi a {", "}"]), max_size=40).map("".join))
def test_token_soup_parses_the_same(text):
    assert_same(text)


@settings(max_examples=150, **SETTINGS)
@given(mutated(), st.integers(1, 5))
def test_mutated_examples_in_small_batches_parse_the_same(text, batch):
    old, descent.BATCH_LINES = descent.BATCH_LINES, batch
    try:
        assert_same(text)
    finally:
        descent.BATCH_LINES = old


# ---------------------------------------------------------------------------------------------
# the evaluation plan, lowered on first use


def test_plan_is_built_once_and_only_for_a_model_without_errors():
    from kpidsl.errors import KpiError
    from kpidsl.evaluation.plan import plan_of
    from kpidsl.evaluation import plan as plan_mod

    model, found = api.compile_text(ECOMMERCE)
    assert model is not None and model.evaluable
    assert model not in plan_mod._PLANS  # lowered on first use: `kpi check` never builds it
    assert plan_of(model) is plan_of(model)  # built once
    bad, _ = api.compile_text("kgi a { value: b }")
    assert not bad.evaluable
    with pytest.raises(KpiError, match="has errors"):
        plan_of(bad)


def _scan_by_regex(text: str):
    """``descent.scan`` as ``TOKENS`` defines it: every line through the regex (a quote that opens no
    string, which takes the rest of its line, is read as a lone quote)."""
    toks, lines, cols = [], [], []
    for number, line in enumerate(text.split("\n"), 1):
        col = 1
        for ws, tok in descent.TOKENS.findall(line)[:-1]:
            col += len(ws)
            if tok[:1] == '"' and descent._open(tok):
                tok = '"'
            if tok:
                toks.append(tok), lines.append(number), cols.append(col)
            col += len(tok)
    return toks, lines, cols


#: Pieces of lines where reading space-separated chunks could go wrong: quotes (alone, escaped,
#: around spaces), comments, whitespace other than spaces, chunks of several tokens.
_CHUNKS = ['"', " ", "  ", "\t", "\r", "\\", "#", "a", "b1", "1", "1.5", "%", "value:", ":", "{", "}",
           "\ufeff", "\f", "\xa0", "\x0b", "2024-01-01", "..", ".", "万", "٣", "(", ",", ">=", '"a b"', '\\"',
           '# "x', '""', 'x"', '"1 2', "1e5", "_", "é", ";", "max(a,", "1..2",
           # names and keys that the scan takes as one token without the regex, and their near misses
           "x_1:", "_:", "kpi", "a:b", "é:", "a::", ":a", "a-b", "1a"]


@settings(max_examples=2000, **SETTINGS)
@given(st.lists(st.sampled_from(_CHUNKS), max_size=30).map("".join).map(lambda s: s + "\n" + s[::-1]))
def test_scan_reads_lines_as_the_regex_does(text):
    # lines of plain chunks and of simple strings skip the regex; the tokens are the same
    toks, lines, cols = descent.scan(text)
    assert (toks[:-3], lines[:-3], cols[:-3]) == _scan_by_regex(text)


@pytest.mark.parametrize("text", _BASES + ['kgi a "x y" { owner: "a  b"  source: "c" }', '" "', '"a" # "b c"',
                                           "kgi a {\r\n  value: 1\r\n}\r\n", "\tkpi b { value: 1 }\t"])
def test_scan_reads_files_as_the_regex_does(text):
    toks, lines, cols = descent.scan(text)
    assert (toks[:-3], lines[:-3], cols[:-3]) == _scan_by_regex(text)


@pytest.mark.parametrize("text", _BASES + ["kgi a {\n\n   value: 1\n}\n\n\n", "kgi a {}\r\n# c\n# d",
                                  "\n\n", "kgi  销售额\t{ x: \"中\" }  # 注释", ""])
def test_scan_places_every_token(text):
    # each token stands at its line and column, and only whitespace and comments lie between them
    toks, lines, cols = descent.scan(text)
    assert toks[-3:] == [descent.END] * 3
    starts = [0]
    for source_line in text.split("\n"):
        starts.append(starts[-1] + len(source_line) + 1)
    ignored = re.compile(descent.TOKENS.pattern[: descent.TOKENS.pattern.index(")(") + 1])
    end = 0
    for tok, line, col in zip(toks[:-3], lines, cols):
        at = starts[line - 1] + col - 1
        assert text[at : at + len(tok)] == tok
        assert ignored.fullmatch(text, end, at), (text[end:at], tok)
        end = at + len(tok)
    assert ignored.fullmatch(text, end)
