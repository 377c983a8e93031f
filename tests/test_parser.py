"""Parser tests: every construct of docs/language.md and every E000–E002 finding."""

from __future__ import annotations

import datetime

import pytest

import kpidsl
from kpidsl.parsing import syntax
from kpidsl.api import read_source
from kpidsl.errors import FindingSink, Span
from kpidsl.parsing.parser import decode

from helpers import ECOMMERCE, codes, codes_cols, error_cols, findings, number, parse_expr


def parse_error(src: str):
    """The findings of a text that must not parse."""
    with pytest.raises(kpidsl.KpiError) as info:
        kpidsl.parse(src)
    assert info.value.findings, "a KpiError must carry findings"
    return info.value.findings


def one_error(src: str) -> tuple[str, int, int]:
    found = parse_error(src)
    assert len(found) == 1, [(f.code, f.message) for f in found]
    f = found[0]
    return f.code, f.span.line, f.span.column


def entries(decl) -> dict:
    return {i.key: i.value for i in decl.body.items if isinstance(i, syntax.Entry)}


# ---------------------------------------------------------------------------------------------
# Declarations


def test_spec_example_parses_into_its_declarations():
    tree = kpidsl.parse(ECOMMERCE)
    kinds = [(type(d).__name__, getattr(d, "kind", None),
              d.name.text if getattr(d, "name", None) else None) for d in tree.decls]
    assert kinds == [
        ("ModelDecl", None, None),
        ("IndicatorDecl", "input", "orders"),
        ("IndicatorDecl", "input", "avg_order_value"),
        ("IndicatorDecl", "input", "violations"),
        ("IndicatorDecl", "kgi", "annual_sales"),
        ("IndicatorDecl", "kpi", "cart_abandonment"),
        ("ScenarioDecl", None, "q3"),
        ("ScenarioDecl", None, "q3_push"),
    ]


def test_model_header_has_a_label_and_no_name():
    tree = kpidsl.parse('model "FY2025" { owner: "Strategy"  period: yearly  cap: 150%  green: 95%  amber: 70% }')
    (m,) = tree.decls
    assert isinstance(m, syntax.ModelDecl)
    assert m.label.value == "FY2025"
    e = entries(m)
    assert e["owner"].value == "Strategy"
    assert e["cap"].value == 1.5
    assert e["green"].value == 0.95 and e["amber"].value == 0.7
    assert isinstance(e["period"], syntax.Ref) and e["period"].name.text == "yearly"


def test_model_without_label_parses():
    (m,) = kpidsl.parse("model { }").decls
    assert isinstance(m, syntax.ModelDecl) and m.label is None


def test_model_with_a_name_is_a_syntax_error():
    assert one_error("model foo { }") == ("E001", 1, 7)


@pytest.mark.parametrize("kind", ["kgi", "kpi", "veto", "metric", "input"])
def test_each_indicator_kind_with_and_without_label(kind):
    tree = kpidsl.parse(f'{kind} a "标签 A" {{ }}\n{kind} b {{}}')
    a, b = tree.decls
    assert (a.kind, a.name.text, a.label.value) == (kind, "a", "标签 A")
    assert (b.kind, b.name.text, b.label) == (kind, "b", None)
    assert a.name.span == Span(1, len(kind) + 2, 1, len(kind) + 3)
    assert b.name.span.line == 2


def test_every_entry_form():
    src = """kpi k "K" {
  parent: g
  weight: 40%
  value: a * b
  target: >= 833万
  baseline: 700万
  stretch: 950万
  unit: JPY
  owner: "Sales"
  due: 2025-12-31
  period: monthly
  perspective: financial
  type: result
  source: "CRM"
  description: "monthly sales"
}"""
    (k,) = kpidsl.parse(src).decls
    e = entries(k)
    assert list(e) == ["parent", "weight", "value", "target", "baseline", "stretch", "unit", "owner", "due",
                       "period", "perspective", "type", "source", "description"]
    assert e["parent"] == syntax.Ref(syntax.Ident("g", span=None), span=None)
    assert e["weight"].value == 0.4 and e["weight"].raw == "40%"
    assert isinstance(e["value"], syntax.Binary) and e["value"].op == "*"
    assert isinstance(e["target"], syntax.Threshold)
    assert e["target"].op == ">=" and e["target"].value.value == 8330000.0
    assert e["baseline"].value == 7000000.0 and e["stretch"].value == 9500000.0
    assert isinstance(e["unit"], syntax.Ref) and e["unit"].name.text == "JPY"
    assert isinstance(e["owner"], syntax.String) and e["owner"].value == "Sales"
    assert isinstance(e["due"], syntax.Date) and e["due"].value == datetime.date(2025, 12, 31)
    assert e["period"].name.text == "monthly"
    assert e["perspective"].name.text == "financial"
    assert e["type"].name.text == "result"
    assert e["source"].value == "CRM" and e["description"].value == "monthly sales"


@pytest.mark.parametrize("op", [">=", "<=", "=="])
def test_threshold_targets(op):
    (k,) = kpidsl.parse(f"kgi g {{ target: {op} -5 }}").decls
    t = entries(k)["target"]
    assert isinstance(t, syntax.Threshold) and t.op == op
    assert isinstance(t.value, syntax.Neg) and t.value.operand.value == 5.0


def test_band_target():
    (k,) = kpidsl.parse("kgi g { target: 30% .. 40% }").decls
    t = entries(k)["target"]
    assert isinstance(t, syntax.Band)
    assert (t.low.value, t.high.value) == (0.3, 0.4)


def test_band_with_negative_ends():
    (k,) = kpidsl.parse("kgi g { target: -2 .. -1 }").decls
    t = entries(k)["target"]
    assert isinstance(t.low, syntax.Neg) and isinstance(t.high, syntax.Neg)


def test_unit_may_be_a_string():
    (k,) = kpidsl.parse('kpi k { unit: "%" }').decls
    assert entries(k)["unit"].value == "%"


def test_nested_kpi_and_veto():
    src = """kgi g {
  target: >= 1
  kpi a { weight: 100%
    kpi a1 { target: >= 1 }
    veto v1 { target: == 0 }
  }
  veto v { target: <= 0 }
}"""
    (g,) = kpidsl.parse(src).decls
    nested = [i for i in g.body.items if isinstance(i, syntax.IndicatorDecl)]
    assert [(n.kind, n.name.text) for n in nested] == [("kpi", "a"), ("veto", "v")]
    inner = [i for i in nested[0].body.items if isinstance(i, syntax.IndicatorDecl)]
    assert [(n.kind, n.name.text, n.name.span.line) for n in inner] == [("kpi", "a1", 4), ("veto", "v1", 5)]


def test_flat_parent_declaration():
    tree = kpidsl.parse("kgi g { target: >= 1 }\nkpi k { parent: g  target: >= 1 }")
    k = tree.decls[1]
    parent = entries(k)["parent"]
    assert isinstance(parent, syntax.Ref) and parent.name.text == "g"
    assert parent.name.span == Span(2, 17, 2, 18)


def test_scenario_with_label_extends_values_and_expects():
    src = """scenario base "Base" { x: 1_150  y: -3  z: 71% }
scenario push "Push" extends base {
  x: 1_300
  expect g.met
  expect g.score >= 95%
}
scenario bare extends base { }"""
    base, push, bare = kpidsl.parse(src).decls
    assert (base.name.text, base.label.value, base.extends) == ("base", "Base", None)
    vals = {e.key: e.value for e in base.body.items}
    assert vals["x"].value == 1150.0
    assert isinstance(vals["y"], syntax.Neg) and vals["y"].operand.value == 3.0
    assert vals["z"].value == 0.71
    assert (push.label.value, push.extends.text) == ("Push", "base")
    assert push.extends.span == Span(2, 30, 2, 34)
    expects = [i for i in push.body.items if isinstance(i, syntax.Expect)]
    assert len(expects) == 2
    assert expects[0].condition == syntax.Attribute(
        syntax.Ref(syntax.Ident("g", span=None), span=None), syntax.Ident("met", span=None), span=None)
    assert isinstance(expects[1].condition, syntax.Compare) and expects[1].condition.op == ">="
    assert (bare.label, bare.extends.text, bare.body.items) == (None, "base", ())


def test_expect_keyword_is_required():
    """Inside a scenario only `NAME: N` and `expect EXPR` are entries: `check x > 1` is not."""
    src = "input x {}\nscenario s { x: 1\n  check x > 1\n}"
    assert [c for c, *_ in error_cols(src)] == ["E001"]
    assert error_cols(src)[0][1] == 3


@pytest.mark.parametrize("word", ["and", "or", "not", "true", "false", "model", "kgi", "kpi", "veto",
                                  "metric", "input", "scenario", "extends"])
def test_reserved_words_are_not_names(word):
    assert [c for c, *_ in codes_cols(f"input {word} {{ }}")] == ["E001"]


def test_attribute_keys_are_not_reserved():
    tree = kpidsl.parse("input value { }\ninput target { }\ninput weight { }")
    assert [d.name.text for d in tree.decls] == ["value", "target", "weight"]


def test_empty_file_and_comment_only_file():
    assert kpidsl.parse("").decls == ()
    assert kpidsl.parse("# nothing here\n   \n# still nothing").decls == ()


# ---------------------------------------------------------------------------------------------
# Lexical structure


def test_semicolons_separate_entries():
    a = kpidsl.parse('input x { unit: "u"; source: "s"; ; owner: "o" }')
    b = kpidsl.parse('input x {\n  unit: "u"\n  source: "s"\n  owner: "o"\n}')
    assert a == b
    assert len(a.decls[0].body.items) == 3


def test_spaces_separate_entries_on_one_line():
    (d,) = kpidsl.parse('input x { unit: "u"  source: "s" }').decls
    assert list(entries(d)) == ["unit", "source"]


def test_comments_run_to_end_of_line():
    src = '# head\ninput x { # after the brace\n  unit: "u#not a comment"  # trailing\n}\n# tail'
    (d,) = kpidsl.parse(src).decls
    assert entries(d)["unit"].value == "u#not a comment"


def test_comment_swallows_rest_of_line():
    # the closing brace is inside the comment, so the block never closes
    assert parse_error("input x { # }")[0].code == "E001"


def test_leading_bom_is_skipped_and_columns_do_not_count_it():
    plain = 'kgi g { target: >= 5kg }'
    assert codes_cols("\ufeff" + plain) == codes_cols(plain) == [("E002", 1, 20)]
    assert kpidsl.parse("\ufeffinput x {}") == kpidsl.parse("input x {}")


def test_crlf_line_ends_are_accepted():
    lf = 'input x {\n  unit: "u"\n}\nmetric m {\n  value: x + y\n}\n'
    crlf = lf.replace("\n", "\r\n")
    assert kpidsl.parse(crlf) == kpidsl.parse(lf)
    assert error_cols(crlf) == error_cols(lf) == [("E101", 5, 14)]


def test_finding_spans_end_after_the_name():
    (f,) = [f for f in findings("input x {}\nmetric m {\n  value: 销售额 + x\n}") if f.code == "E101"]
    assert (f.span.line, f.span.column, f.span.end_line, f.span.end_column) == (3, 10, 3, 13)


def test_unicode_names_and_code_point_columns():
    src = "input 销售额 {}\nmetric 月売上 { value: 销售额 * 2 + 未知の値 }"
    tree = kpidsl.parse(src)
    assert [d.name.text for d in tree.decls] == ["销售额", "月売上"]
    assert tree.decls[1].name.span == Span(2, 8, 2, 11)
    # columns are in code points, not bytes: `未知の値` starts at column 31
    assert error_cols(src) == [("E101", 2, 31)]


def test_names_are_case_sensitive():
    src = "input Sales {}\ninput sales {}\nmetric m { value: Sales + sales }"
    assert [c for c, _ in codes(src) if c.startswith("E")] == []
    assert [c for c, _ in codes("input Sales {}\nmetric m { value: SALES }") if c.startswith("E")] == ["E101"]


def test_underscore_names():
    tree = kpidsl.parse("input _x1 {}\ninput 売上_2 {}")
    assert [d.name.text for d in tree.decls] == ["_x1", "売上_2"]


# ---------------------------------------------------------------------------------------------
# Numbers


@pytest.mark.parametrize("text, value", [
    ("0", 0.0),
    ("42", 42.0),
    ("3.5", 3.5),
    ("1_000", 1000.0),
    ("1_150", 1150.0),
    ("1_000_000.000_1", 1000000.0001),
    ("1e6", 1e6),
    ("1E3", 1000.0),
    ("2.5e-3", 0.0025),
    ("1e+2", 100.0),
    ("35%", 0.35),
    ("75%", 0.75),
    ("7%", 0.07),
    ("0.1%", 0.001),
    ("120%", 1.2),
    ("5k", 5000.0),
    ("1.5k", 1500.0),
    ("2M", 2e6),
    ("2.5M", 2500000.0),
    ("3B", 3e9),
    ("833万", 8330000.0),
    ("2.31万", 23100.0),
    ("1亿", 100000000.0),
    ("1.1亿", 110000000.0),
    ("1e2%", 1.0),
    ("1_0k", 10000.0),
])
def test_number_values_are_exact(text, value):
    got = number(text)
    assert type(got) is float
    assert got == value  # exact, not approximate


def test_number_keeps_its_spelling():
    n = parse_expr("1_150")
    assert isinstance(n, syntax.Number) and n.raw == "1_150" and n.value == 1150.0
    assert parse_expr("833万").raw == "833万"


@pytest.mark.parametrize("text", ["5kg", "5K", "5m", "5b", "1.5x", "10万元", "5_", "1__0"])
def test_bad_number_suffix_is_e002(text):
    src = f"kgi g {{ target: >= {text} }}"
    assert codes_cols(src) == [("E002", 1, 20)]
    assert kpidsl.compile_text(src)[0] is None


def test_bad_suffix_message_names_the_literal():
    (msg,) = [f.message for f in findings("kgi g { target: >= 5kg }")]
    assert "5kg" in msg


def test_number_too_large_is_e002():
    assert codes_cols("kgi g {\n  target: >= 1e999\n}") == [("E002", 2, 14)]
    assert codes_cols("kgi g {\n  target: >= 1e301亿\n}") == [("E002", 2, 14)]
    assert [c for c, *_ in codes_cols("kgi g {\n  target: >= 1e300\n}") if c.startswith("E")] == []


def test_suffix_after_space_is_a_syntax_error():
    assert one_error("kgi g { target: >= 5 % }")[0] == "E001"


def test_percent_alone_hints_at_a_number():
    code, line, col = one_error("kgi g {\n  target: >= %\n}")
    assert (code, line, col) == ("E001", 2, 14)


def test_number_in_formula_uses_suffix():
    e = parse_expr("monthly * 12 + 1.1亿")
    assert e.right.value == 110000000.0


# ---------------------------------------------------------------------------------------------
# Dates and strings


@pytest.mark.parametrize("text, value", [("2025-12-31", datetime.date(2025, 12, 31)),
                                         ("2024-02-29", datetime.date(2024, 2, 29)),
                                         ("2000-01-01", datetime.date(2000, 1, 1))])
def test_dates(text, value):
    (d,) = kpidsl.parse(f"kgi g {{ due: {text} }}").decls
    assert entries(d)["due"].value == value


@pytest.mark.parametrize("text", ["2025-02-30", "2025-02-29", "2025-13-01", "2025-00-10", "2025-04-31",
                                  "1900-02-29"])
def test_impossible_date_is_e002(text):
    assert codes_cols(f"kgi g {{\n  due: {text}\n}}") == [("E002", 2, 8)]


@pytest.mark.parametrize("raw, value", [
    (r'"plain"', "plain"),
    (r'""', ""),
    (r'"say \"hi\""', 'say "hi"'),
    (r'"back\\slash"', "back\\slash"),
    (r'"two\nlines"', "two\nlines"),
    (r'"a\tb"', "a\tb"),
    (r'"\u4e07\u0041"', "万A"),
    (r'"\u00E9"', "é"),
    (r'"\\n"', "\\n"),
    (r'"中文 ✓"', "中文 ✓"),
])
def test_string_escapes(raw, value):
    (d,) = kpidsl.parse(f"input x {{ owner: {raw} }}").decls
    s = entries(d)["owner"]
    assert s.value == value and s.raw == raw


@pytest.mark.parametrize("raw", [r'"\q"', r'"\x41"', r'"\u12"', r'"\u12g4"', r'"\r"', r'"ok \a"'])
def test_bad_escape_is_e002(raw):
    src = f'input x {{\n  owner: {raw}\n}}'
    assert codes_cols(src) == [("E002", 2, 10)]


def test_bad_escape_in_label_is_e002():
    assert codes_cols('kgi g "a\\qb" { }') == [("E002", 1, 7)]


def test_unterminated_string_is_e001():
    assert one_error('input x {\n  owner: "abc\n}') == ("E001", 2, 10)


def test_string_does_not_span_lines():
    assert parse_error('input x { owner: "a\nb" }')[0].code == "E001"


# ---------------------------------------------------------------------------------------------
# Expressions


def same(a: str, b: str) -> bool:
    return parse_expr(a) == parse_expr(b)


def test_parentheses_make_no_node():
    assert same("(a)", "a") and same("((a + b))", "a + b")


def test_unary_minus_is_looser_than_power():
    assert same("-x^2", "-(x^2)")
    assert not same("-x^2", "(-x)^2")
    e = parse_expr("-x^2")
    assert isinstance(e, syntax.Neg) and isinstance(e.operand, syntax.Binary) and e.operand.op == "^"


def test_power_is_right_associative():
    assert same("2^3^2", "2^(3^2)")
    assert not same("2^3^2", "(2^3)^2")


def test_power_accepts_a_negative_exponent():
    assert same("2^-1", "2^(-1)")


def test_subtraction_and_division_are_left_associative():
    assert same("a - b - c", "(a - b) - c")
    assert not same("a - b - c", "a - (b - c)")
    assert same("a / b / c", "(a / b) / c")
    assert not same("a / b / c", "a / (b / c)")
    assert same("a - b + c", "(a - b) + c")


@pytest.mark.parametrize("a, b", [
    ("a + b * c", "a + (b * c)"),
    ("a * b + c", "(a * b) + c"),
    ("-a * b", "(-a) * b"),
    ("a * b ^ c", "a * (b ^ c)"),
    ("a + b >= c * d", "(a + b) >= (c * d)"),
    ("not a > b", "not (a > b)"),
    ("not a and b", "(not a) and b"),
    ("a or b and c", "a or (b and c)"),
    ("a and b or c", "(a and b) or c"),
    ("not not a", "not (not a)"),
    ("a or b or c", "(a or b) or c"),
    ("- - a", "-(-a)"),
])
def test_precedence(a, b):
    assert same(a, b)


@pytest.mark.parametrize("text, second", [("a < b < c", 6), ("a == b == c", 7), ("a >= b <= c", 7),
                                          ("a != b != c", 7), ("1 > 2 == true", 6)])
def test_comparisons_do_not_chain(text, second):
    code, line, col = one_error(f"metric m {{\n  value: if({text}, 1, 0)\n}}")
    # the finding starts at the second comparison operator
    assert (code, line, col) == ("E001", 2, 13 + second)


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_each_comparison_operator(op):
    e = parse_expr(f"if(a {op} b, 1, 0)")
    cond = e.args.items[0]
    assert isinstance(cond, syntax.Compare) and cond.op == op


def test_function_calls_and_literals():
    e = parse_expr("clamp(min(a, b, 3), 0, max(1))")
    assert isinstance(e, syntax.Call) and e.func.text == "clamp"
    assert len(e.args.items) == 3
    assert e.args.items[0].func.text == "min" and len(e.args.items[0].args.items) == 3
    t = parse_expr("if(true, 1, 0)").args.items[0]
    f = parse_expr("if(false, 1, 0)").args.items[0]
    assert isinstance(t, syntax.Boolean) and t.value is True
    assert isinstance(f, syntax.Boolean) and f.value is False


def test_attribute_in_expect():
    tree = kpidsl.parse("scenario s { expect a.score >= 95% and not b.met }")
    cond = tree.decls[0].body.items[0].condition
    assert isinstance(cond, syntax.AndOp)
    assert cond.left.left == syntax.Attribute(syntax.Ref(syntax.Ident("a", span=None), span=None),
                                              syntax.Ident("score", span=None), span=None)
    assert isinstance(cond.right, syntax.NotOp)


def test_call_without_arguments_is_a_syntax_error():
    assert parse_error("metric m { value: min() }")[0].code == "E001"


def test_deep_nesting_is_a_finding_not_a_crash():
    deep = "(" * 5000 + "1" + ")" * 5000
    found = parse_error(f"metric m {{ value: {deep} }}")
    assert found[0].code == "E001" and found[0].span.line == 1


_DEEP = "(" * 501 + "1" + ")" * 501


@pytest.mark.parametrize("source, line, column", [
    ("kgi a { value: " + _DEEP + " }", 1, 15 + 500),  # the block's `{` is the first level
    ('kgi a { owner: "((((" # ((((\n  value: ' + _DEEP + " }", 2, 9 + 500),  # not in strings or comments
    ('kgi a { owner: "\\"(((\\\\" value: ' + _DEEP + " }", 1, 32 + 500),  # escaped quotes and backslashes
    ('kgi a { owner: "((( # (((\n  value: ' + _DEEP + " }", 2, 9 + 500),  # an open string ends with its line
])
def test_deep_nesting_is_reported_where_it_goes_too_deep(source, line, column):
    (f,) = parse_error(source)
    assert (f.code, f.span.line, f.span.column) == ("E001", line, column)
    assert f.message.startswith("brackets nest deeper than 500 levels here")


def test_long_flat_formula_parses():
    src = "input x {}\nmetric m { value: " + " + ".join(["x"] * 1500) + " }"
    model, found = kpidsl.compile_text(src)
    assert model is not None and [f.code for f in found if f.is_error] == []
    assert kpidsl.evaluate(model, {"x": 2})["m"].value == 3000


# ---------------------------------------------------------------------------------------------
# E000


def test_e000_from_decode_at_line_of_first_bad_byte():
    sink = FindingSink("f.kpi")
    assert decode(b'input x {}\n# ok\nkgi g "\xff\xfe" {}\n', sink) is None
    (f,) = sink.items
    assert (f.code, f.span.line, f.span.column) == ("E000", 3, 8)


def test_e000_from_read_source(tmp_path):
    p = tmp_path / "latin1.kpi"
    p.write_bytes('input x {}\n\ninput y "caf\u00e9" {}\n'.encode("latin-1"))
    text, found = read_source(str(p))
    assert text is None
    assert [(f.code, f.span.line) for f in found] == [("E000", 3)]
    assert found[0].path == str(p)


def test_e000_from_load(tmp_path):
    p = tmp_path / "gbk.kpi"
    p.write_bytes("input x {}\ninput y \"销售\" {}\n".encode("gbk"))
    with pytest.raises(kpidsl.KpiError) as info:
        kpidsl.load(p)
    assert [(f.code, f.span.line) for f in info.value.findings] == [("E000", 2)]


def test_valid_utf8_file_with_bom_and_crlf_loads(tmp_path):
    p = tmp_path / "ok.kpi"
    p.write_bytes("\ufeffinput 销售 {}\r\nmetric m { value: 销售 }\r\n".encode("utf-8"))
    text, found = read_source(str(p))
    assert found == [] and text is not None
    model = kpidsl.load(p)
    assert list(model.indicators) == ["销售", "m"]


def test_decode_accepts_utf8():
    sink = FindingSink("f")
    assert decode("kgi 売上 {}".encode(), sink) is not None and sink.items == []


# ---------------------------------------------------------------------------------------------
# E001


def test_arrow_instead_of_ge():
    src = "kgi g {\n  target: => 100\n}"
    (f,) = parse_error(src)
    assert (f.code, f.span.line, f.span.column) == ("E001", 2, 11)
    assert "found" in f.message and "expected" in f.message
    assert ">=" in f.message


def test_missing_colon_after_key():
    assert one_error('input x {\n  owner "me"\n}') == ("E001", 2, 9)


def test_missing_name():
    assert one_error("kgi { }") == ("E001", 1, 5)


def test_stray_closing_brace():
    assert one_error("input x { }\n}") == ("E001", 2, 1)


def test_missing_close_brace_before_next_declaration():
    found = parse_error('input x {\n  unit: "u"\nscenario s {}')
    assert (found[0].code, found[0].span.line, found[0].span.column) == ("E001", 3, 1)


def test_nul_character():
    assert one_error("input x {}\n  \x00") == ("E001", 2, 3)


@pytest.mark.parametrize("src, line", [
    ("kgi g {", 1),
    ("kgi g {\n  target: >= 100\n", 2),
    ("kgi g {\n  target: >= 100", 2),
    ("kgi g {\n  owner: \"x\"\n  target: >=", 3),
    ("input x {}\nmetric m { value: (x + 1", 2),
    ("input x {}\nmetric m {\n  value: x +\n\n", 3),
    ("kgi", 1),
    ("scenario s extends", 1),
])
def test_error_at_end_of_file_points_at_the_last_line(src, line):
    (f,) = parse_error(src)
    assert f.code == "E001"
    assert f.span.line == line
    assert f.span.column >= 1


def test_e001_returns_no_model():
    model, found = kpidsl.compile_text("kgi g { target: => 1 }")
    assert model is None and [f.code for f in found] == ["E001"]


def test_parse_error_carries_path():
    with pytest.raises(kpidsl.KpiError) as info:
        kpidsl.parse("kgi {", path="my.kpi")
    assert info.value.findings[0].path == "my.kpi"


def test_compiler_level_form_errors_are_e001():
    # a target that is a bare number: E001 that suggests the `>=` form
    found = findings("kgi g {\n  target: 100\n}")
    assert [(f.code, f.span.line, f.span.column) for f in found] == [("E001", 2, 11)]
    assert ">= 100" in found[0].message


def test_all_e002_findings_in_one_run():
    src = 'kgi g "\\q" {\n  target: >= 5kg\n  due: 2025-02-30\n}'
    assert codes(src) == [("E002", 1), ("E002", 2), ("E002", 3)]
    found = parse_error(src)
    assert [(f.code, f.span.line) for f in found] == [("E002", 1), ("E002", 2), ("E002", 3)]


@pytest.mark.parametrize("src", ["x", "{", "}", ":", "42", '"label"', "orders: 5", "target: >= 1\nkgi g {}",
                                 "{ kgi g {} }"])
def test_unexpected_first_token_is_e001_at_line_one(src):
    found = parse_error(src)
    assert (found[0].code, found[0].span.line, found[0].span.column) == ("E001", 1, 1)
    model, found2 = kpidsl.compile_text(src)
    assert model is None and found2[0].code == "E001"


def test_unexpected_token_after_a_comment_line():
    assert one_error("# header\n\n  oops {}") == ("E001", 3, 3)


# ---------------------------------------------------------------------------------------------
# syntax nodes: named tuples that keep their span as their last four items (or two: where they start)


def test_nodes_keep_their_span_as_their_last_items():
    tree = kpidsl.parse("kpi a { weight: 40%  target: >= a + 1 }\n")
    entry, target = tree.decls[0].body.items
    formula = target.value.value
    assert formula.span == Span(1, 33, 1, 38) and tuple(formula[-4:]) == tuple(formula.span)
    assert type(formula.span) is Span and formula._fields == ("left", "op", "right", *syntax.POSITIONS)
    # an entry ends where its value ends, a threshold too, and a number len(raw) columns on
    assert entry.key == "weight" and entry.span == Span(1, 9, 1, 20) and tuple(entry[-2:]) == (1, 9)
    assert target.span == Span(1, 22, 1, 38) and target.value.span == Span(1, 30, 1, 38)
    assert entry.key_span == Span(1, 9, 1, 15) and tree.decls[0].span == Span(1, 1, 1, 40)
    assert entry._fields == ("key", "value", "line", "column")
    assert repr(entry.value) == "Number(raw='40%', value=0.4)" and tuple(entry.value[-2:]) == (1, 17)
    body = tree.decls[0].body  # a block's items stand in the node itself, before its positions
    assert tuple(body) == (*body.items, *body.span) and body.items == (entry, target)
    assert repr(syntax.Block((), span=None)) == "Block(items=())" and body.end_column == 40


def test_nodes_are_built_with_a_span_or_without_one():
    a = syntax.Ident("x", span=Span(1, 2, 1, 3))
    assert a == syntax.Ident("x", Span(1, 2, 1, 3)) == syntax.Ident("x")  # spans take no part in equality
    assert hash(a) == hash(syntax.Ident("x")) and a != syntax.Ident("y")
    assert a.span == Span(1, 2, 1, 3) and syntax.Ident("x").span is None
    ref = syntax.Ref(a, span=a.span)
    assert ref.name == a and ref.name.span == a.span == ref.span and ref != a and ref.text == "x"
    assert syntax.Number("1万").value == 10000 and syntax.Boolean("true", Span(1, 1, 1, 5)).value is True
    assert syntax.Entry(a, ref).key == "x"
    # a node of one token keeps only where it starts: it ends len(text) columns on
    assert tuple(a) == ("x", 1, 2) and a._fields == ("text", "line", "column") and tuple(ref) == ("x", 1, 2)
    assert tuple(syntax.String('"é"', span=Span(4, 9, 4, 12))) == ('"é"', "é", None, 4, 9)


@pytest.mark.parametrize("fast", [True, False])
def test_literals_of_one_spelling_share_their_strings(fast):
    from kpidsl.parsing.parser import parse_text

    tree = parse_text('kpi a { owner: "Planning team" }\nkpi b { owner: "Planning team" }\n', FindingSink("x"), fast)
    one, two = (decl.body.items[0].value for decl in tree.decls)
    assert one.raw is two.raw and one.value is two.value and one.value == "Planning team"


def test_nodes_copy_and_pickle_whole():
    import copy
    import pickle

    tree = kpidsl.parse('kgi a "A" { value: -b ^ 2  due: 2025-01-01 }\nscenario s { b: 1  expect a.met }\n')
    for other in (copy.deepcopy(tree), pickle.loads(pickle.dumps(tree)), copy.copy(tree)):
        assert other == tree
        assert [tuple(n) for n in syntax.iter_nodes(other)] == [tuple(n) for n in syntax.iter_nodes(tree)]


def test_a_node_class_declares_span_last():
    with pytest.raises(TypeError):
        @syntax.node
        class Bad:
            """No span."""

            x: int
    with pytest.raises(TypeError):
        @syntax.node
        class Worse:
            """Span first."""

            span: Span
            x: int
