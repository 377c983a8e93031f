"""Numbers and data at their limits, one case table per class of input, every place a value is read.

The places: a `.kpi` literal, `--set`, a CSV cell, TOML, JSON and YAML data, and `kpi.toml`. The classes:
numbers too large for Python's `int`; nesting deeper than a reader can take (in linear time); digits of
other scripts, which Python's `float()` and `int()` accept; absurd caps and status bands; results that
are not finite numbers in JSON and CSV; and messages that must quote the input as it was written
(signs, control characters) and report duplicate keys.
"""

from __future__ import annotations

import json
import math
import time
import unicodedata

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpidsl
from kpidsl.parsing import documents
from kpidsl.checking import config as config_mod
from kpidsl.cli.commands import cli
from kpidsl.errors import FindingSink
from kpidsl.parsing import parser
from kpidsl.parsing.literals import read_date, read_number, read_signed_number
from kpidsl.render.evaluation import to_csv, to_json

HEADER = 'model "M" { owner: "o"  period: monthly }\n'
MODEL = HEADER + 'input x { source: "s" }\nkgi g { value: x  target: >= 1 }\n'


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="kpi", env={"NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with `m.kpi` (one input `x`), as the working directory; no configuration above it counts."""
    config_mod.for_directory.cache_clear()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.kpi").write_text(MODEL, encoding="utf-8")
    yield tmp_path
    config_mod.for_directory.cache_clear()


def data_file(project, name: str, text: str) -> str:
    (project / name).write_text(text, encoding="utf-8")
    return name


# The places a number is read, each a function of the number's spelling that runs `kpi` and returns
# (exit code, output, what the output must name: the place).

def _kpi_literal(project, spelling):
    (project / "n.kpi").write_text(HEADER + 'input x { source: "s" }\n'
                                   f"kgi g {{ value: x  target: >= 1 }}\nscenario s {{ x: {spelling} }}\n",
                                   encoding="utf-8")
    return (*run("check", "n.kpi"), "n.kpi:4:")


def _set(project, spelling):
    return (*run("eval", "--set", f"x={spelling}", "m.kpi"), "--set x=")


def _csv(project, spelling):
    return (*run("eval", "--data", data_file(project, "d.csv", f"x\n{spelling}\n"), "m.kpi"), "d.csv:2")


def _csv_batch(project, spelling):
    name = data_file(project, "d.csv", f"x\n1\n{spelling}\n")
    return (*run("eval", "--format", "csv", "--data", name, "m.kpi"), "d.csv:3")


def _toml(project, spelling):
    return (*run("eval", "--data", data_file(project, "d.toml", f"x = {spelling}\n"), "m.kpi"), "d.toml")


def _toml_string(project, spelling):
    return (*run("eval", "--data", data_file(project, "d.toml", f'x = "{spelling}"\n'), "m.kpi"), "d.toml")


def _json(project, spelling):
    return (*run("eval", "--data", data_file(project, "d.json", f'{{"x": {spelling}}}'), "m.kpi"), "d.json")


def _json_string(project, spelling):
    return (*run("eval", "--data", data_file(project, "d.json", f'{{"x": "{spelling}"}}'), "m.kpi"), "d.json")


def _yaml(project, spelling):
    return (*run("eval", "--data", data_file(project, "d.yaml", f"x: {spelling}\n"), "m.kpi"), "d.yaml")


def _max_children(project, spelling):
    (project / "kpi.toml").write_text(f"max-children = {spelling}\n", encoding="utf-8")
    return (*run("check", "m.kpi"), "kpi.toml")


# ---------------------------------------------------------------------------------------------
# Numbers too large for Python's int-string conversion (more than 4,300 digits), in every place

DIGITS = "9" * 5000
HUGE = {
    "exponent": f"1e{DIGITS}",
    "negative exponent sign": f"-1e{DIGITS}",
    "digits": DIGITS,
    "digits with a suffix": DIGITS + "%",
}
HUGE_PLACES = {"kpi literal": _kpi_literal, "--set": _set, "csv": _csv, "csv batch": _csv_batch,
               "toml": _toml, "toml string": _toml_string, "json": _json, "json string": _json_string,
               "yaml": _yaml}
_NOT_IN_TOML_JSON_YAML = {"exponent", "negative exponent sign", "digits with a suffix"}  # as bare values


@pytest.mark.parametrize("place", sorted(HUGE_PLACES))
@pytest.mark.parametrize("form", sorted(HUGE))
def test_huge_numbers_are_a_message_with_the_place(project, place, form):
    if place in ("toml", "json", "yaml") and form in _NOT_IN_TOML_JSON_YAML:
        pytest.skip("not a number in that format's own syntax (the string forms cover it)")
    code, out, where = HUGE_PLACES[place](project, HUGE[form])
    assert code == (1 if place == "kpi literal" else 2)
    assert where in out
    assert "too large" in out or "infinity" in out
    assert len(out) < 1000  # the number is not echoed in full


@pytest.mark.parametrize("place", [_toml, _yaml])
def test_huge_hexadecimal_whole_numbers(project, place):
    code, out, where = place(project, "0x" + "f" * 5000)  # int() reads these; repr() of them fails
    assert code == 2 and where in out and "too large" in out


@pytest.mark.parametrize("spelling", [DIGITS, "0x" + "f" * 4000, "1001", "0", "-3", "2.5", '"ten"', "true"])
def test_max_children_out_of_range_is_refused_with_the_range(project, spelling):
    code, out, where = _max_children(project, spelling)
    assert code == 2 and where in out
    assert "from 1 to 1,000" in out or "4,300 digits" in out


def test_max_children_at_the_ends_of_its_range(project):
    for spelling in ("1", "1000"):
        assert _max_children(project, spelling)[0] in (0, 1)


@pytest.mark.parametrize("spelling,value", [("0e99999", 0.0), (f"1e-{DIGITS}", 0.0), ("1e-999", 0.0),
                                            (f"0.{'0' * 5000}1e5000", 0.1), ("1.1亿", 110000000.0)])
def test_long_exponents_read_exactly(spelling, value):
    assert read_number(spelling) == (value, None)


# ---------------------------------------------------------------------------------------------
# Nesting: refused at a limit, with the line, in time linear in the text

N = 100_000
DEEP = {
    "json array": ("d.json", "[" * N + "]" * N),
    "json object": ("d.json", '{"a": ' * N + "1" + "}" * N),
    "json after a line": ("d.json", '{\n"x": ' + "[" * N + "]" * N + "}"),
    "toml array": ("d.toml", "x = " + "[" * N + "]" * N + "\n"),
    "toml inline table": ("d.toml", "x = " + "{a = " * N + "1" + "}" * N + "\n"),
    "toml dotted key": ("d.toml", "x = 1\n" + "a." * N + "a = 1\n"),
    "toml table header": ("d.toml", "[" + "a." * N + "a]\nx = 1\n"),
    "yaml flow": ("d.yaml", "x: " + "[" * N + "]" * N + "\n"),
    "yaml block sequence": ("d.yaml", "x:\n" + "- " * N + "1\n"),
    "yaml flow mapping": ("d.yaml", "x: " + "{a: " * N + "1" + "}" * N + "\n"),
}


@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_data_is_one_message_with_the_line_in_linear_time(project, case):
    name, text = DEEP[case]
    start = time.perf_counter()
    code, out = run("eval", "--data", data_file(project, name, text), "m.kpi")
    assert time.perf_counter() - start < 5
    line = 2 if case in ("json after a line", "toml dotted key", "yaml block sequence") else 1
    assert code == 2 and f"{name}:{line}: nested more than 64 levels deep" in out


@pytest.mark.parametrize("case", ["toml array", "toml inline table", "toml dotted key", "toml table header"])
def test_deep_configuration_is_refused_with_the_line(project, case):
    (project / "kpi.toml").write_text(DEEP[case][1].replace("x = ", "y = "), encoding="utf-8")
    code, out = run("check", "m.kpi")
    assert code == 2 and "kpi.toml:" in out and "nested more than 64 levels deep" in out


def test_brackets_in_strings_and_comments_are_not_nesting(project):
    text = ("# " + "[{." * 100 + '\n[q3]\nx = "1"  # ' + "[" * 100 + '\n[q4]\nx = 2\n"' + "{." * 100 + '" = 3\n'
            + "'" + "[." * 100 + "' = 4\n")
    code, out = run("eval", "--data", data_file(project, "d.toml", text), "m.kpi")
    assert code == 2 and "nested" not in out and "is not declared" in out  # the quoted keys are read
    text = json.dumps({"q3": {"x": 1}, "[" * 100: {"x": 2}})
    assert run("eval", "--data", data_file(project, "d.json", text), "m.kpi")[0] == 0


@pytest.mark.parametrize("cell", ["1" * 200_000, "a" * 200_000, '"' + "1" * 200_000 + '"'])
def test_csv_cells_of_any_length_are_read_with_the_line(project, cell):
    for fmt in ("table", "csv"):
        code, out = run("eval", "--format", fmt, "--data", data_file(project, "d.csv", f"x\n1\n{cell}\n"), "m.kpi")
        assert code == 2 and "d.csv:3" in out


# ---------------------------------------------------------------------------------------------
# Whatever a data file holds, its reader answers with its value or a DocumentError

_PIECES = list('{}[]:,"\'#-.!&*?|>\n x1aeE0_+=\\') + [
    "!!int ", "!!float ", "!!timestamp ", "!!binary ", "!!set ", "!!omap ", "!!pairs ", "!!str ", "!!null ",
    "!!bool ", "!!map ", "!!seq ", "!!python/object:os.system ", "2025-02-30", "0x", "0o", "0b", "<<: ", "- ",
    "  ", "\\u0000", "\x00", "\t", "nan", ".inf", "1e999", "9" * 400, "&a ", "*a", "%YAML 1.1\n", "---\n",
    '"""', "'''", "[[", "]]", "a.b", "1979-05-27T07:32:00Z", "inf", "true", "null", "\\U0010ffff", "\\ud800",
    "\ufeff", "\r\n", "\r", "\u2028", "\x85", "\x7f"]


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join), st.sampled_from(["toml", "json", "yaml"]))
def test_documents_give_a_value_or_a_document_error(text, fmt):
    try:
        documents.load(text, fmt)
    except documents.DocumentError as exc:
        assert exc.message and (exc.line is None or exc.line >= 1)


@pytest.mark.parametrize("text", ["x: 2025-02-30\n", "x: !!int abc\n", "x: !!float \n", "x: !!timestamp nope\n",
                                  "x: !!set a.b\n", "q:\n  x: !!int 0x\n"])
def test_values_a_yaml_tag_cannot_read_are_messages(project, text):
    code, out = run("eval", "--data", data_file(project, "d.yaml", text), "m.kpi")
    assert code == 2 and "d.yaml" in out and "not valid YAML" in out


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_the_number_reader_never_raises_and_quotes_safely(text):
    value, problem = read_signed_number(text)
    assert (value is None) != (problem is None)
    assert value is None or math.isfinite(value)
    assert problem is None or not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in problem)


# ---------------------------------------------------------------------------------------------
# Digits: 0–9 only. Python's float() and int() accept every Unicode decimal digit.

FOREIGN = [chr(c) for c in range(0x110000) if chr(c).isdecimal() and not chr(c).isascii()]


def test_every_other_decimal_digit_is_refused_by_name():
    assert len(FOREIGN) > 600
    for c in FOREIGN:
        for reader, text in ((read_number, c), (read_number, "1" + c), (read_signed_number, "-" + c),
                             (read_number, "1.5e1" + c), (read_date, f"2025-0{c}-01")):
            value, problem = reader(text)
            assert value is None and unicodedata.name(c) in problem, (text, problem)


SCRIPTS = {"bengali": "৪", "arabic-indic": "٥", "devanagari": "४", "fullwidth": "５", "thai": "๔",
           "mathematical bold": "𝟒"}
DIGIT_PLACES = {"kpi literal": _kpi_literal, "--set": _set, "csv": _csv, "csv batch": _csv_batch,
                "toml string": _toml_string, "json string": _json_string, "yaml": _yaml}


@pytest.mark.parametrize("place", sorted(DIGIT_PLACES))
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_digits_of_other_scripts_are_refused_everywhere(project, place, script):
    digit = SCRIPTS[script]
    code, out, where = DIGIT_PLACES[place](project, "1" + digit)
    assert code == (1 if place == "kpi literal" else 2)
    assert where in out and f"`{digit}` ({unicodedata.name(digit)}) is not an ASCII digit" in out


@pytest.mark.parametrize("source", [
    "kgi g { target: >= ৪ }", "kgi g { target: >= 1٥ }", "kgi g { value: ৪ + 1 }", "kgi g { weight: -৪% }",
    "scenario s { x: ৪ }", "scenario s { x: -1٥  expect x > ৪ }", "kgi g { due: ২০২৫-০১-০১ }",
    "kgi g { due: 2০25-01-01 }", "kgi g { value: ২০২৫-০১-০১ }", "kgi g { target: ৪ .. ５ }",
    "kgi x৪ { target: >= 4 }",  # a name may hold any script's digits
])
def test_fast_parser_and_lark_agree_on_foreign_digits(source):
    fast, plain = FindingSink("f"), FindingSink("f")
    assert parser.parse_text(source, fast) == parser.parse_text(source, plain, fast=False)
    assert fast.items == plain.items
    assert all("ASCII digit" in f.message for f in fast.items)
    assert bool(fast.items) == ("x৪" not in source)


# ---------------------------------------------------------------------------------------------
# Caps and status bands (E404, E405), and results that JSON and CSV cannot hold

@pytest.mark.parametrize("settings,expected", [
    ("cap: 50%", ["E404"]), ("cap: -100%", ["E404"]), ("cap: 1.7976931348623157e308", ["E404"]),
    ("cap: 501%", ["E404"]), ("cap: 99.99%", ["E404"]), ("cap: 100%", []), ("cap: 500%", []),
    ("green: 10%  amber: 90%", ["E405"]), ("amber: 100%", ["E405"]), ("amber: 0%", ["E405"]),
    ("amber: -5%", ["E405"]), ("green: -5%", ["E405"]), ("green: 130%", ["E405"]),
    ("cap: 150%  green: 130%", []), ("cap: 100%  green: 100%  amber: 99%", []),
    ("cap: 50%  green: 10%  amber: 90%", ["E404", "E405"]), ("cap: 600%  green: 550%", ["E404"]),
])
def test_cap_and_bands_have_sensible_ranges(settings, expected):
    model, found = kpidsl.compile_text(f'model "M" {{ owner: "o"  period: monthly  {settings} }}\n')
    assert sorted(f.code for f in found) == expected
    for f in found:  # each quotes a setting as written, sign included
        assert any(f"`{part}`" in f.message for part in settings.split("  ")), f.message


def test_an_absurd_cap_is_refused_before_any_score(project):
    (project / "c.kpi").write_text(
        'model "M" { owner: "o"  period: monthly  cap: 1.7976931348623157e308 }\nkgi g { target: >= 1\n'
        + "".join(f'  kpi k{w} {{ weight: {w}%  target: >= 1  stretch: 2  source: "s" }}\n' for w in (2, 81, 17))
        + "}\nscenario s { g: 1  k2: 3  k81: 3  k17: 3 }\n", encoding="utf-8")
    code, out = run("eval", "--format", "json", "c.kpi")
    assert code == 1 and "E404" in out and "Infinity" not in out


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_json_and_csv_output_never_hold_a_non_finite_number(bad):
    model = kpidsl.load_text(MODEL + "scenario s { x: 2 }\n")
    ev = kpidsl.evaluate(model, {"x": 2.0}, name="s")
    ev = attrs.evolve(ev, results={name: attrs.evolve(r, **{a: bad for a in ("value", "score", "achievement")
                                                            if getattr(r, a) is not None})
                                   for name, r in ev.results.items()})
    text = to_json(model, [ev])
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
    assert "inf" not in to_csv(model, [ev]).lower() and "nan" not in to_csv(model, [ev]).lower()


# ---------------------------------------------------------------------------------------------
# Messages quote the input as written: signs, brackets, control characters

@pytest.mark.parametrize("entry,code,quoted", [
    ("weight: -50%", "E203", "`-50%`"), ("weight: - 50%", "E203", "`- 50%`"), ("weight: -(5%)", "E203", "`-(5%)`"),
    ("weight: (-2) + 3", "E001", "`(-2) + 3`"), ("weight: not -x", "E001", "`not -x`"),
    ("target: -5", "E001", "`>= -5`"), ("target: -1% .. -5%", "E403", "`-1% .. -5%`"),
    ("target: (-1%) .. -5%", "E403", "`(-1%) .. -5%`"), ("target: >= -10  baseline: - 5", "E401", "baseline - 5"),
    ("target: <= -1  stretch: -0.5", "E401", "stretch -0.5"),
])
def test_messages_quote_numbers_with_their_signs(entry, code, quoted):
    src = HEADER + f'kgi g {{ target: >= 1\n  kpi a {{ {entry}  source: "s" }}\n}}\n'
    if "weight" not in entry:
        src = HEADER + f'kgi a {{ {entry}  source: "s" }}\n'
    model, found = kpidsl.compile_text(src)
    messages = [f.message for f in found if f.code == code]
    assert messages and quoted in messages[0], [f.message for f in found]


def test_bands_that_differ_in_sign_are_different_targets():
    model = kpidsl.load_text(HEADER + 'kgi a { target: -5% .. 10%  source: "s" }\n'
                             'kgi b { target: 5% .. 10%  source: "s" }\nkgi c { target: -5% .. 10%  source: "s" }\n')
    assert [(model.indicators[n].target.low, model.indicators[n].target.text) for n in "abc"] == [
        (-0.05, "-5% .. 10%"), (0.05, "5% .. 10%"), (-0.05, "-5% .. 10%")]


@pytest.mark.parametrize("text,quoted", [("-inf", "`-inf`"), ("+-1", "`+-1`"), ("- -1", "`- -1`"), ("+", "`+`"),
                                         ("-5kg", "`-5kg`"), ("-1٥", "`-1٥`")])
def test_data_values_are_quoted_as_written(text, quoted):
    value, problem = read_signed_number(text)
    assert value is None and quoted in problem


HIDDEN = {"NUL": "\x00", "escape": "\x1b", "bell": "\x07", "delete": "\x7f", "right-to-left override": "\u202e",
          "line separator": "\u2028", "zero width space": "\u200b", "C1 control": "\x9b"}


@pytest.mark.parametrize("place", ["csv cell", "csv column", "json key", "toml string", "yaml key", "--set"])
@pytest.mark.parametrize("char", sorted(HIDDEN))
def test_control_and_invisible_characters_are_escaped_in_messages(project, place, char):
    c = HIDDEN[char]
    if place == "csv cell":
        code, out = run("eval", "--data", data_file(project, "d.csv", f"x\n1{c}2\n"), "m.kpi")
    elif place == "csv column":
        code, out = run("eval", "--data", data_file(project, "d.csv", f"x{c}y\n1\n"), "m.kpi")
    elif place == "json key":
        code, out = run("eval", "--data", data_file(project, "d.json", json.dumps({f"x{c}": 1})), "m.kpi")
    elif place == "toml string":
        code, out = run("eval", "--data", data_file(project, "d.toml", f'x = "1\\u{ord(c):04x}2"\n'), "m.kpi")
    elif place == "yaml key":
        code, out = run("eval", "--data", data_file(project, "d.yaml", f'"x\\u{ord(c):04x}": 1\n'), "m.kpi")
    else:
        code, out = run("eval", "--set", f"x=1{c}2", "m.kpi")
    assert code == 2
    assert c not in out and ascii(c)[1:-1] in out


@pytest.mark.parametrize("name,text,line", [
    ("d.json", '{"x": 1, "x": 2}', None),
    ("d.json", '{"q1": {"x": 1}, "q2": {"x": 1, "x": 2}}', None),
    ("d.yaml", "x: 1\nx: 2\n", 2),
    ("d.yaml", "q1:\n  x: 1\nq2:\n  x: 1\n  y: 2\n  x: 3\n", 6),
    ("d.yaml", "q1:\n  x: 1\nq1:\n  x: 2\n", 3),
    ("d.yaml", "{x: 1, x: 2}\n", 1),
])
def test_duplicate_keys_are_reported(project, name, text, line):
    code, out = run("eval", "--data", data_file(project, name, text), "m.kpi")
    assert code == 2 and "is given twice" in out
    assert (f"{name}:{line}:" if line else f"{name}: ") in out


def test_the_same_key_in_different_scenarios_and_yaml_merge_keys_are_not_duplicates(project):
    assert run("eval", "--data", data_file(project, "d.json", '{"q1": {"x": 1}, "q2": {"x": 2}}'), "m.kpi")[0] == 0
    text = "base: &b\n  x: 1\nq2:\n  <<: *b\n  x: 2\n"
    assert run("eval", "--scenario", "q2", "--data", data_file(project, "d.yaml", text), "m.kpi")[0] == 0
