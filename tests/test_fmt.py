"""The canonical formatter (``kpi fmt``): goldens, each style point, comments, literals, properties."""

from __future__ import annotations

import functools
import math
import sys
import time
from pathlib import Path

import lark
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import kpidsl
from kpidsl.render import formatter
from kpidsl.render.formatter import format_source
from kpidsl.parsing.grammar_gen import grammar_text
from kpidsl.parsing.syntax import iter_nodes

from helpers import ECOMMERCE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.kpi"))
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


def fmt(text: str) -> str:
    return format_source(text)


@functools.cache
def _lexer() -> lark.Lark:
    return lark.Lark(grammar_text(), parser="lalr", start="file")


def tokens(text: str) -> list[lark.Token]:
    """Every token of ``text``, comments included, whitespace left out (the grammar's own lexer)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    return [t for t in _lexer().lex(text, dont_ignore=True) if t.type != "__IGNORE_0"]


def comments(text: str) -> list[str]:
    """The comments of ``text`` in order, without trailing whitespace."""
    return [str(t).rstrip() for t in tokens(text) if t.type == "COMMENT"]


def results(text: str) -> dict:
    """Every in-file scenario's evaluation, reduced to what can be compared between two files."""
    model = kpidsl.load_text(text)
    assert not model.has_errors, [(f.code, f.message) for f in model.findings if f.is_error]
    out = {}
    for name in model.scenarios:
        ev = kpidsl.evaluate(model, model.scenario_values(name), name=name, allow_missing=True, expects=name)
        out[name] = (ev.results, ev.missing, ev.drags, [e.passed for e in ev.expects])
    return out


def same_results(a: dict, b: dict) -> bool:
    def norm(x):
        if isinstance(x, float) and math.isnan(x):
            return "nan"
        if isinstance(x, dict):
            return {k: norm(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [norm(v) for v in x]
        return x

    return norm(a) == norm(b)


def check_findings(text: str) -> list[tuple[str, tuple[int, int]]]:
    """What ``kpi check`` reports for ``text``: ``(code, (line, column))``, ``# noqa`` applied."""
    model, found = kpidsl.compile_text(text)
    if model is not None:
        found = kpidsl.check(model)
    return [(f.code, (f.span.line, f.span.column)) for f in found]


def same_findings(text: str, out: str) -> None:
    """``kpi check`` reports the same codes for ``out`` as for ``text``, each at the place the
    formatter moved its syntax node to (the first node of the source tree that starts there)."""
    moved: dict[tuple[int, int], tuple[int, int]] = {}
    for a, b in zip(iter_nodes(kpidsl.parse(text)), iter_nodes(kpidsl.parse(out))):
        if a.span is not None:
            moved.setdefault((a.span.line, a.span.column), (b.span.line, b.span.column))
    before = sorted((code, moved.get(at, at)) for code, at in check_findings(text))
    assert before == sorted(check_findings(out)), "fmt changed what kpi check reports"


def distinct_comments(text: str) -> list[str]:
    """The comments of ``text``, a comment repeated on the next comment dropped (the formatter
    repeats a ``# noqa`` comment on each line it splits its line into)."""
    found = comments(text)
    return [c for i, c in enumerate(found) if not i or c != found[i - 1]]


def assert_formats_faithfully(text: str, *, evaluate: bool = False) -> str:
    """The properties every formatting must have; returns the formatted text."""
    out = fmt(text)
    assert fmt(out) == out, "formatting is not idempotent"
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # comparing deep formula trees recurses
    try:
        assert kpidsl.parse(out) == kpidsl.parse(text)
        same_findings(text, out)
    finally:
        sys.setrecursionlimit(limit)
    assert distinct_comments(out) == distinct_comments(text)
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    assert all(line == line.rstrip() for line in out.split("\n"))
    assert "\t" not in "".join(line[: len(line) - len(line.lstrip())] for line in out.split("\n"))
    if evaluate:
        assert same_results(results(out), results(text))
    return out


# ---------------------------------------------------------------------------------------------
# Goldens

MESSY = '''\
\ufeff# a file written without care, every comment kept


# second header comment, after a blank line
model   "Messy"{owner:"Ops";period:monthly}   # one line stays one line
input total   "Total"   # inside the header: moved above it
  {source:"MES" ; unit : units}
input defects{source:"QA"}
input hours "Hours" { source: "Time clock"  unit: h  owner: "HR"  period: monthly  description: "paid hours" }
kgi good "Good output"{   # after the brace
  value:((total-defects))   # redundant parentheses go
  target:>=1.15万 ; unit:units


  # before a nested kpi, after two blank lines
  kpi rate "Rate" { value: (total - defects) / total  weight: 60%  target: >= 98%  owner: "QA" }
  kpi per_hour{
    value: total /   # a comment inside a formula
      hours
    weight:40%
    target:>=1_000
    owner:"Ops"
    ; # after a lone semicolon
  }
  veto safety { value : -(-defects) ^ 2  target: == 0 }
  # dangling at the end of a block
}   # after the closing brace
scenario jan "January"{total:1.2万;defects:120
  hours : 12e3 # scientific
  expect good.met and not (rate.met or per_hour.score < 50%)
  expect ( good.score ) >= 0.5}
scenario feb extends jan{ total: 1_300_0 }
# the end


# really the end
'''


def test_golden_spec_example(golden):
    golden("fmt_spec_example.kpi", assert_formats_faithfully(ECOMMERCE, evaluate=True))


def test_golden_messy(golden):
    golden("fmt_messy.kpi", assert_formats_faithfully(MESSY, evaluate=True))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_golden_examples(golden, path):
    text = path.read_text(encoding="utf-8")
    golden(f"fmt_{path.stem}.kpi", assert_formats_faithfully(text, evaluate=True))


# ---------------------------------------------------------------------------------------------
# Style points, one by one

STYLE = [
    # indentation: two spaces per level, `}` on its own line
    ("kgi g {\n\t\tvalue: 1\n\t\t\tkpi k {\n value: 2\n }\n}",
     "kgi g {\n  value: 1\n  kpi k {\n    value: 2\n  }\n}\n"),
    # `key: value`
    ("input a { unit : x }", "input a { unit: x }\n"),
    ("input a {\nunit:x}", "input a {\n  unit: x\n}\n"),
    # one entry per line in a multi-line block; `;` dropped
    ("input a {\n  unit: x; source: \"s\" ;\n}", "input a {\n  unit: x\n  source: \"s\"\n}\n"),
    # a one-line block stays on one line, two spaces between entries, one inside the braces
    ("input a {unit:x;source:\"s\"}", "input a { unit: x  source: \"s\" }\n"),
    # ... unless it is too long (more than 100 columns)
    ("input a { description: \"" + "x" * 80 + "\"  unit: x }",
     "input a {\n  description: \"" + "x" * 80 + "\"\n  unit: x\n}\n"),
    # ... counted on screen: a wide East Asian character takes two columns (100 fit, 102 do not)
    ('input a "' + "销" * 39 + '" { unit: x }', 'input a "' + "销" * 39 + '" { unit: x }\n'),
    ('input a "' + "销" * 40 + '" { unit: x }', 'input a "' + "销" * 40 + '" {\n  unit: x\n}\n'),
    # ... or holds a nested declaration or an expect
    ("kgi g { value: 1  kpi k { value: 2 } }", "kgi g {\n  value: 1\n  kpi k { value: 2 }\n}\n"),
    ("scenario s { x: 1  expect x > 0 }", "scenario s {\n  x: 1\n  expect x > 0\n}\n"),
    # an empty block
    ("input a {  }", "input a {}\n"),
    ("input a {\n\n}", "input a {}\n"),
    ("model {}", "model {}\n"),
    # headers
    ('scenario  s  "S"  extends  t  { }', 'scenario s "S" extends t {}\n'),
    ('model"M"{ }', 'model "M" {}\n'),
    # one blank line between top-level declarations ...
    ("kgi a {\n value: 1\n}\nkgi b {\n value: 2\n}", "kgi a {\n  value: 1\n}\n\nkgi b {\n  value: 2\n}\n"),
    ("input a {}\n\n\n\ninput b {}", "input a {}\n\ninput b {}\n"),
    ("input a {}\ninput b {}\nkgi c {\n value: a\n}\ninput d {}",
     "input a {}\ninput b {}\n\nkgi c {\n  value: a\n}\n\ninput d {}\n"),
    # ... but consecutive one-line declarations stay together
    ("input a {}\ninput b { unit: x }\n", "input a {}\ninput b { unit: x }\n"),
    ("input a {} input b {}", "input a {}\ninput b {}\n"),
    # inside a block: at most one blank line kept; none after `{` or before `}`
    ("kgi g {\n\n\n  value: 1\n\n\n\n  unit: x\n  owner: \"o\"\n\n}",
     "kgi g {\n  value: 1\n\n  unit: x\n  owner: \"o\"\n}\n"),
    # spacing in formulas
    ("metric m { value: a+b*c-d/e }", "metric m { value: a + b * c - d / e }\n"),
    ("metric m { value: - a }", "metric m { value: -a }\n"),
    ("metric m { value: a - - b }", "metric m { value: a - -b }\n"),
    ("metric m { value: min( a ,b,  c ) }", "metric m { value: min(a, b, c) }\n"),
    ("metric m { value: ( a + b ) * c }", "metric m { value: (a + b) * c }\n"),
    ("metric m { value: a^2 }", "metric m { value: a ^ 2 }\n"),
    ("metric m { value: 2^-1 }", "metric m { value: 2 ^ -1 }\n"),
    ("kpi k { target: >=5 }", "kpi k { target: >= 5 }\n"),
    ("kpi k { target: <=-5 }", "kpi k { target: <= -5 }\n"),
    ("kpi k { target: ==0 }", "kpi k { target: == 0 }\n"),
    ("kpi k { target: 1..2 }", "kpi k { target: 1 .. 2 }\n"),
    ("kpi k { target: 80%  ..  95% }", "kpi k { target: 80% .. 95% }\n"),
    ("scenario s { x: - 5 }", "scenario s { x: -5 }\n"),
    ("scenario s {\n expect a . met\n}", "scenario s {\n  expect a.met\n}\n"),
    ("scenario s {\n expect(a<b)and not(c)or d\n}", "scenario s {\n  expect a < b and not c or d\n}\n"),
    # trailing whitespace, final newline
    ("input a {}   \n\n\n", "input a {}\n"),
    ("", ""),
    ("\n\n  \n", ""),
]


@pytest.mark.parametrize("source, expected", STYLE, ids=[f"style{i}" for i in range(len(STYLE))])
def test_style(source, expected):
    assert fmt(source) == expected
    assert fmt(expected) == expected


PARENS = [
    # redundant parentheses are dropped ...
    ("((a))", "a"), ("(a * b) + c", "a * b + c"), ("(a + b) + c", "a + b + c"), ("a + (b * c)", "a + b * c"),
    ("(a * b) / c", "a * b / c"), ("-(a)", "-a"), ("(-a) * b", "-a * b"), ("-(a ^ 2)", "-a ^ 2"),
    ("a ^ (b ^ c)", "a ^ b ^ c"), ("(a.met) and (b)", "a.met and b"), ("not (a)", "not a"),
    ("(a < b) and (c > d)", "a < b and c > d"), ("(a and b) or c", "a and b or c"),
    ("(not a) and b", "not a and b"), ("min((a), (b + c))", "min(a, b + c)"), ("(min(a, b)).met", "min(a, b).met"),
    ("2 ^ (-1)", "2 ^ -1"), ("a - (-b)", "a - -b"), ("(a + b) < (c * d)", "a + b < c * d"),
    # ... the needed ones are kept
    ("a - (b - c)", "a - (b - c)"), ("a - (b + c)", "a - (b + c)"), ("a / (b * c)", "a / (b * c)"),
    ("(a + b) * c", "(a + b) * c"), ("(-a) ^ 2", "(-a) ^ 2"), ("(a ^ b) ^ c", "(a ^ b) ^ c"),
    ("-(a + b)", "-(a + b)"), ("-(a * b)", "-(a * b)"), ("not (a or b)", "not (a or b)"),
    ("a and (b or c)", "a and (b or c)"), ("(a < b) == c", "(a < b) == c"), ("a < (b < c)", "a < (b < c)"),
    ("(a + b).met", "(a + b).met"), ("(-a).met", "(-a).met"), ("(a ^ b).met", "(a ^ b).met"),
    ("-(not a)", "-(not a)"), ("(not a) < b", "(not a) < b"), ("(a or b) and c", "(a or b) and c"),
    ("a ^ (-b ^ c)", "a ^ -b ^ c"), ("(a * b) ^ c", "(a * b) ^ c"), ("a * (b / c)", "a * (b / c)"),
]


@pytest.mark.parametrize("source, expected", PARENS, ids=[p[0] for p in PARENS])
def test_minimal_parentheses(source, expected):
    text = f"scenario s {{\n  expect {source}\n}}\n"
    out = assert_formats_faithfully(text)
    assert out == f"scenario s {{\n  expect {expected}\n}}\n"


# ---------------------------------------------------------------------------------------------
# Comments of every kind stay in place


def test_own_line_comments_stay_before_their_item_at_its_indentation():
    src = "# file\nkgi g {\n      # before value\n  value: 1\n# before the kpi\n  kpi k {\n        # deep\n    value: 2\n  }\n}\n"
    assert fmt(src) == ("# file\nkgi g {\n  # before value\n  value: 1\n  # before the kpi\n  kpi k {\n"
                        "    # deep\n    value: 2\n  }\n}\n")


def test_trailing_comments_stay_on_their_line_after_two_spaces():
    src = "kgi g {   # open\n  value: 1      # value\n  kpi k { value: 2 }# one line\n}       # close\n"
    assert fmt(src) == "kgi g {  # open\n  value: 1  # value\n  kpi k { value: 2 }  # one line\n}  # close\n"


def test_comment_inside_a_formula_moves_before_its_entry():
    src = "metric m {\n  value: a +  # first\n    b *      # second\n    c\n}\n"
    assert fmt(src) == "metric m {\n  # first\n  # second\n  value: a + b * c\n}\n"


def test_comment_inside_a_header_moves_before_the_declaration():
    src = 'kgi g  # name\n  "label"  # label\n{  # brace\n  value: 1\n}\n'
    assert fmt(src) == '# name\n# label\nkgi g "label" {  # brace\n  value: 1\n}\n'
    src = "scenario s  # name\n extends t { x: 1 }\n"
    assert fmt(src) == "# name\nscenario s extends t { x: 1 }\n"


def test_dangling_comments_at_the_end_of_blocks_and_file():
    src = "kgi g {\n  value: 1\n\n\n  # end of block\n}\n# end of file\n"
    assert fmt(src) == "kgi g {\n  value: 1\n\n  # end of block\n}\n# end of file\n"
    assert fmt("kgi g {\n  # only a comment\n}\n") == "kgi g {\n  # only a comment\n}\n"
    assert fmt("# only a comment") == "# only a comment\n"
    assert fmt("# one\n\n\n# two\n") == "# one\n\n# two\n"


def test_comments_after_semicolons_and_several_on_one_item():
    src = "input a { # open\n ; # also open\n unit: x ; # after the entry\n ; # after a lone semicolon\n}\n"
    assert fmt(src) == ("input a {  # open\n  # also open\n  unit: x  # after the entry\n"
                        "  # after a lone semicolon\n}\n")
    src = "metric m {\n  value: (a  # after a\n  )  # after the parenthesis\n}\n"
    assert fmt(src) == "metric m {\n  value: a  # after a\n  # after the parenthesis\n}\n"


def test_comment_text_is_kept_verbatim():
    src = 'input a {}  #no space, "quotes" { braces } # twice 万 \t \n#\n'
    assert comments(fmt(src)) == ['#no space, "quotes" { braces } # twice 万', "#"]


def test_hash_inside_a_string_is_not_a_comment():
    src = 'input a { source: "C#  # not a comment" }\n'
    assert fmt(src) == src
    assert comments(src) == []


def test_blank_lines_around_comments_are_kept_at_most_one():
    src = "# licence\n\n\n\n# about the model\nmodel \"m\" {}\n\n\n# about a\n\ninput a {}\n"
    assert fmt(src) == "# licence\n\n# about the model\nmodel \"m\" {}\n\n# about a\n\ninput a {}\n"


# ---------------------------------------------------------------------------------------------
# `# noqa` silences what it silenced: check reports the same after formatting

LONG = "x" * 70
NOQA = [
    # a line of two declarations, split: each keeps the comment
    ('input a { source: "s" }  input b { source: "s" }  # noqa: W106\n',
     'input a { source: "s" }  # noqa: W106\ninput b { source: "s" }  # noqa: W106\n'),
    # a header's own noqa stays on the header's line, not above it
    ('input a "A"  # noqa: W106\n  { source: "s" }\n', 'input a "A" {  # noqa: W106\n  source: "s"\n}\n'),
    # a header and an entry on one line, one block over several
    ('kgi g { owner: "o"  # noqa: W101\n  kpi k { weight: 100%  source: "s" } }\n',
     'kgi g {  # noqa: W101\n  owner: "o"  # noqa: W101\n  kpi k { weight: 100%  source: "s" }\n}\n'),
    # a one-line block too long for one line
    (f'input a {{ source: "s"  description: "{LONG}" }}  # noqa: W106\n',
     f'input a {{  # noqa: W106\n  source: "s"  # noqa: W106\n  description: "{LONG}"  # noqa: W106\n}}  # noqa: W106\n'),
    # a formula over two lines, a noqa on one of them: as written (joined, the noqa would cover both)
    ("input x {}\nmetric m {\n  value: x +\n    1  # noqa: W106\n}\n",
     "input x {}\n\nmetric m {\n  value: x +\n      1  # noqa: W106\n}\n"),
    ("input x {}\nmetric m {\n  value: (x  # noqa: W106\n)\n}\n",
     "input x {}\n\nmetric m {\n  value: (x  # noqa: W106\n      )\n}\n"),
    # ... the same noqa on every line: joined
    ("input x {}\nmetric m {\n  value: x +  # noqa: W106\n    1  # noqa: W106\n}\n",
     "input x {}\n\nmetric m {\n  # noqa: W106\n  value: x + 1  # noqa: W106\n}\n"),
]


@pytest.mark.parametrize("source, expected", NOQA, ids=[f"noqa{i}" for i in range(len(NOQA))])
def test_noqa_keeps_silencing_what_it_silenced(source, expected):
    assert assert_formats_faithfully(source) == expected


def test_the_reported_case_two_inputs_and_one_noqa():
    src = 'model "M" { owner: "o"  period: monthly }\ninput a { source: "s" }  input b { source: "s" }  # noqa: W106\n'
    assert check_findings(src) == [] and check_findings(fmt(src)) == []


# ---------------------------------------------------------------------------------------------
# Literals keep their spelling


@pytest.mark.parametrize("literal", ["833万", "1.1亿", "1_150", "75%", "1e6", "2.5M", "3B", "5k", "1E+3", "0.000_1",
                                     "2.5e3k", "120%", "007"])
def test_number_spelling_is_kept(literal):
    assert fmt(f"scenario s {{ x: {literal} }}") == f"scenario s {{ x: {literal} }}\n"


@pytest.mark.parametrize("string", ['"a\\"b"', '"\\\\"', '"\\n\\t"', '"\\u4e07"', '"万"', '""', '"  spaced  "'])
def test_string_spelling_is_kept(string):
    src = f"input a {string} {{ description: {string} }}"
    assert fmt(src) == src + "\n"


def test_date_spelling_is_kept():
    assert fmt("kgi g{due:2024-02-29}") == "kgi g { due: 2024-02-29 }\n"


# ---------------------------------------------------------------------------------------------
# Errors, BOM and CRLF, size


@pytest.mark.parametrize("source", ["kgi g {", "kgi g { value: }", "kgi g { target: => 5 }", "input not {}",
                                    "kpi k { x: 1 } }", 'input a { source: "open }', "\x00"])
def test_syntax_errors_raise_with_e001(source):
    with pytest.raises(kpidsl.KpiError) as exc:
        fmt(source)
    assert [f.code for f in exc.value.findings][:1] == ["E001"]


@pytest.mark.parametrize("source", ["scenario s { x: 5kg }", "kgi g { due: 2025-02-30 }", 'input a "\\q" {}'])
def test_literal_errors_raise_with_e002(source):
    with pytest.raises(kpidsl.KpiError) as exc:
        fmt(source)
    assert {f.code for f in exc.value.findings} == {"E002"}


def test_findings_carry_the_path():
    with pytest.raises(kpidsl.KpiError) as exc:
        format_source("kgi {", "models/x.kpi")
    assert exc.value.findings[0].path == "models/x.kpi"
    assert exc.value.findings[0].span.line == 1


def test_bom_and_crlf_are_removed_for_the_caller_to_restore():
    src = "\ufeff# c\r\ninput a {\r\n  unit: x  # t\r\n}\r\n"
    assert fmt(src) == fmt(src.lstrip("\ufeff").replace("\r\n", "\n")) == "# c\ninput a {\n  unit: x  # t\n}\n"


# The line ends of each line of a three-line file, and what `kpi fmt` writes (docs/style.md: lone CR
# when most line ends are lone CRs, else CRLF when there are more CRLF than LF line ends, else LF).
LINE_ENDS = [
    (("\n", "\n", "\n"), "\n"), (("\r\n", "\r\n", "\r\n"), "\r\n"), (("\r", "\r", "\r"), "\r"),
    (("\r\n", "\n", "\r\n"), "\r\n"), (("\n", "\r\n", "\n"), "\n"), (("\r\n", "\n", ""), "\n"),
    (("\r", "\n", "\r"), "\r"), (("\r\n", "\r", "\r"), "\r"), (("\r", "\n", "\r\n"), "\n"),
    (("\r", "\r\n", "\r\n"), "\r\n"),
]


@pytest.mark.parametrize("bom", ["", "\ufeff"])
@pytest.mark.parametrize("ends,written", LINE_ENDS, ids=[repr("".join(e)) for e, _ in LINE_ENDS])
def test_fmt_writes_the_line_end_most_lines_use(tmp_path, ends, written, bom):
    from click.testing import CliRunner

    from kpidsl.cli.commands import cli

    lines = ['model "M" {owner:"o"   period:monthly}', 'input x{source:"s"}', "kgi g{value:x}  # c"]
    path = tmp_path / "m.kpi"
    path.write_bytes((bom + "".join(line + end for line, end in zip(lines, ends))).encode())
    assert CliRunner().invoke(cli, ["fmt", str(path)]).exit_code == 0
    assert path.read_bytes().decode() == bom + fmt("\n".join(lines)).replace("\n", written)
    assert CliRunner().invoke(cli, ["fmt", "--check", str(path)]).exit_code == 0  # and it stays so


def test_a_lone_cr_is_a_space_to_the_parser_and_fmt_keeps_the_meaning():
    src = 'input x {}  # c\rkgi g { value: x }\rinput y {}\r'  # the comment runs on to the end
    out = fmt(src)
    assert out == 'input x {}  # c\rkgi g { value: x }\rinput y {}\r' and kpidsl.parse(out) == kpidsl.parse(src)


def test_big_file_formats_quickly():
    parts = ['model "big" { owner: "x"  period: yearly }']
    for i in range(0, 9_999, 3):
        parts.append(f'input i{i} "in" {{ source: "s" }}  # c{i}')
        parts.append(f"# about k{i}\nkpi k{i} {{\n  value: i{i} * 2 + (i{i} - 1) / 3  # t\n  target: >= 5%\n}}")
        parts.append(f"scenario s{i} {{ i{i}: 1_000  expect k{i}.score >= 1 }}")
    text = "\n".join(parts) + "\n"
    start = time.perf_counter()
    out = fmt(text)
    assert time.perf_counter() - start < 20
    assert len(comments(out)) == len(comments(text))


@pytest.mark.parametrize("formula", [" + ".join(["x"] * 2001), "-" * 2000 + "x", " ^ ".join(["x"] * 2001),
                                     "not " * 2000 + "x", "(" * 400 + "x" + ")" * 400,
                                     " - ".join(f"(x - {i})" for i in range(1000)),
                                     "min(" * 200 + "x" + ", 1)" * 200])
def test_deep_formulas_do_not_hit_the_recursion_limit(formula):
    src = f"scenario s {{\n  expect {formula}\n}}\n"
    assert_formats_faithfully(src)


# ---------------------------------------------------------------------------------------------
# Properties: generated texts, generated models, and every shipped example


_names = st.sampled_from(["x", "g", "orders", "销售额", "value", "target", "weight", "expect", "score", "met",
                          "min", "if", "_a1"])
_numbers = st.sampled_from(["0", "1", "42", "3.5", "75%", "833万", "1.1亿", "1_000", "1e6", "2.5M", "5k", "1E-3"])
_strings = st.sampled_from(['"a"', '""', '"中文 # not a comment"', '"\\n\\t\\"\\\\"', '"\\u4e07"'])
_dates = st.sampled_from(["2025-12-31", "2024-02-29"])
_comments = st.sampled_from(["# c\n", "# 注释 { } \"\n", "#\n", "#x   \n", "# noqa\n", "# noqa: W106\n",
                             "# NOQA: E1, W10\n"])
_ignored = st.sampled_from([" ", "\n", "\r\n", "\t", "\n\n\n", "  ", "\x0c"])
_PADDED = dict(
    NAME=_names.map(lambda s: f" {s} "), NUMBER=_numbers.map(lambda s: f" {s} "),
    STRING=_strings.map(lambda s: f" {s} "), DATE=_dates.map(lambda s: f" {s} "),
    COMMENT=_comments, __IGNORE_0=_ignored,
    **{k: st.sampled_from([f" {w} ", f"\n{w} ", f"{w}\t"])
       for k, w in [("MODEL", "model"), ("SCENARIO", "scenario"), ("KGI", "kgi"), ("KPI", "kpi"), ("VETO", "veto"),
                    ("METRIC", "metric"), ("INPUT", "input"), ("TRUE", "true"), ("FALSE", "false"),
                    ("EXTENDS", "extends"), ("AND", "and"), ("OR", "or"), ("NOT", "not")]},
)


def _parses(text: str) -> bool:
    try:
        kpidsl.parse(text)
    except kpidsl.KpiError:
        return False
    return True


@settings(max_examples=150, **SETTINGS)
@given(st.deferred(lambda: from_lark(_lexer(), start="file", explicit=_PADDED)))
def test_grammar_generated_texts_format_faithfully(text):
    assume(_parses(text))
    assert_formats_faithfully(text)


# Small valid models built as text: formulas with random (often redundant) parentheses, literals of
# every spelling, and random whitespace, comments and `;` between the tokens.

_INPUTS = ["a", "b", "c"]
_SEPARATORS = [" ", " ", " ", "  ", "\n", "\n\n\n", "\t", "  # note\n", "\n# own line\n", "\n  # indented\n",
               "  # noqa\n", "  # noqa: W106\n", "  # noqa: W102, W103\n"]


@st.composite
def formula(draw, depth=0, boolean=False):
    """Tokens of a formula; numeric unless ``boolean``."""
    if boolean:
        kind = draw(st.sampled_from(["cmp", "cmp", "and", "or", "not", "met"]))
        if kind == "cmp" or depth > 2:
            return [*draw(formula(depth + 1)), draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="])),
                    *draw(formula(depth + 1))]
        if kind == "met":
            return [draw(st.sampled_from(["g", "k1", "k2"])), ".", draw(st.sampled_from(["met"]))]
        if kind == "not":
            inner = draw(formula(depth + 1, boolean=True))
            return ["not", "(", *inner, ")"] if draw(st.booleans()) or len(inner) > 1 else ["not", *inner]
        left, right = draw(formula(depth + 1, boolean=True)), draw(formula(depth + 1, boolean=True))
        return ["(", *left, ")", kind, "(", *right, ")"]
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        atom = draw(st.one_of(st.sampled_from(_INPUTS), _numbers))
        return ["(", atom, ")"] if draw(st.integers(0, 5)) == 0 else [atom]
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "neg", "call"]))
    if kind == "neg":
        return ["-", "(", *draw(formula(depth + 1)), ")"]
    if kind == "call":
        func = draw(st.sampled_from(["min", "max", "abs", "if"]))
        if func == "abs":
            args = [draw(formula(depth + 1))]
        elif func == "if":
            args = [draw(formula(depth + 1, boolean=True)), draw(formula(depth + 1)), draw(formula(depth + 1))]
        else:
            args = [draw(formula(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
        out = [func, "("]
        for i, arg in enumerate(args):
            out += ([","] if i else []) + arg
        return out + [")"]
    left, right = draw(formula(depth + 1)), draw(formula(depth + 1))
    if kind == "^":  # keep the numbers finite
        right = [draw(st.sampled_from(["2", "0.5", "1", "3"]))]
    return ["(", *left, ")", kind, "(", *right, ")"]


@st.composite
def model_text(draw):
    toks: list[str] = []

    def block(*entries):
        toks.append("{")
        for i, entry in enumerate(entries):
            if i and draw(st.integers(0, 4)) == 0:
                toks.append(";")
            toks.extend(entry)
        toks.append("}")

    if draw(st.booleans()):
        toks += ["model", '"m"']
        block(["owner", ":", '"o"'], ["period", ":", "monthly"])
    for name in _INPUTS:
        toks += ["input", name]
        block(["source", ":", draw(_strings)])
    n = draw(st.integers(1, 2))
    toks += ["kgi", "g", '"G"']
    kpis = []
    for i in range(1, n + 1):
        kpis.append(["kpi", f"k{i}", "{", "value", ":", *draw(formula()), "weight", ":", f"{100 // n}%" if n == 1
                     else "50%", "target", ":", *draw(st.sampled_from([[">=", "1"], ["<=", "10"], ["1", "..", "5"],
                                                                        ["==", "0"], [">=", "-", "2"]])), "}"])
    block(["value", ":", *draw(formula())], ["target", ":", ">=", draw(_numbers)], ["owner", ":", '"o"'],
          ["due", ":", "2025-12-31"], *kpis)
    toks += ["metric", "m"]
    block(["value", ":", *draw(formula())])
    for s in range(draw(st.integers(1, 2))):
        toks += ["scenario", f"s{s}"] + (["extends", "s0"] if s else [])
        entries = [[name, ":", *(["-"] if draw(st.booleans()) else []), draw(_numbers)] for name in _INPUTS]
        entries += [["expect", *draw(formula(boolean=True))] for _ in range(draw(st.integers(0, 2)))]
        block(*entries)
    seps = draw(st.lists(st.sampled_from(_SEPARATORS), min_size=1, max_size=30))
    out = []
    for i, tok in enumerate(toks):
        out.append(tok)
        out.append(seps[(i * 7) % len(seps)])
    return "".join(out)


@settings(max_examples=120, **SETTINGS)
@given(model_text())
def test_generated_models_format_faithfully(text):
    model, found = kpidsl.compile_text(text)
    assume(model is not None and not model.has_errors)
    assert_formats_faithfully(text, evaluate=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_formats_faithfully(path):
    assert_formats_faithfully(path.read_text(encoding="utf-8"), evaluate=True)


@st.composite
def respaced_example(draw):
    """A shipped example with its tokens rejoined by random whitespace, comments and blank lines."""
    text = draw(st.sampled_from([ECOMMERCE] + [p.read_text(encoding="utf-8") for p in EXAMPLES]))
    seps = draw(st.lists(st.sampled_from(_SEPARATORS), min_size=1, max_size=40))
    out = []
    for i, tok in enumerate(tokens(text)):
        out.append(str(tok))
        sep = seps[(i * 7) % len(seps)]
        out.append(sep if tok.type != "COMMENT" or sep.endswith("\n") else sep + "\n")
    return "".join(out)


@settings(max_examples=25, **SETTINGS)
@given(respaced_example())
def test_respaced_examples_format_faithfully(text):
    assert_formats_faithfully(text, evaluate=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_lines_joined_while_printing_give_the_same_text(path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    whole = format_source(text)
    monkeypatch.setattr(formatter, "_COMPACT_LINES", 3)
    assert format_source(text) == whole
