"""The compiler's shortcuts give what the plain rules give: shared targets, tables of entry keys,
merged child lists, formula order without Tarjan, and tree order without a set of placed names."""

from __future__ import annotations

import datetime
import math

import pytest

import kpidsl
from kpidsl.compiler import passes as compiler
from kpidsl.errors import FindingSink


def load(src: str):
    return kpidsl.load_text(src)


def test_targets_keep_their_own_spelling_and_value():
    # one-line targets are shared by their text; whitespace and line breaks still tell them apart
    model = load("kgi g {\n  kpi a { target: >= 5 }\n  kpi b { target: >=\t5 }\n  kpi c { target: >= 5 }\n"
                 "  kpi d { target: >=\n 0 }\n  kpi e { target: >=\n -0 }\n  kpi f { target: 1 .. 2 }\n}\n")
    t = {n: i.target for n, i in model.indicators.items() if i.target is not None}
    assert (t["a"].text, t["b"].text, t["c"].text) == (">= 5", ">=\t5", ">= 5")
    assert t["a"] == t["c"] and t["a"] != t["b"]
    assert t["d"].text == t["e"].text == ">= …"
    assert math.copysign(1, t["d"].value) == 1 and math.copysign(1, t["e"].value) == -1
    assert (t["f"].op, t["f"].low, t["f"].high, t["f"].text) == ("..", 1.0, 2.0, "1 .. 2")


@pytest.mark.parametrize("kind", sorted(compiler.ALLOWED))
def test_every_key_outside_the_plain_table_is_reported(kind):
    # _read_block keeps exactly the keys of _PLAIN[kind]; _report_entry must report every other one
    owner = None if kind == "model" else load("kgi x { }").indicators["x"]
    for key in sorted(compiler.KNOWN_KEYS | {"parent", "bogus"}):
        if key in compiler._PLAIN[kind]:
            assert compiler._PLAIN[kind][key] is key  # kept under the module's own string
            continue
        entry = kpidsl.api.parse(f"kgi y {{ {key}: 1 }}").decls[0].body.items[0]
        sink = FindingSink("t")
        compiler._report_entry(sink, kind, owner, entry, {})
        assert [f.span for f in sink.items] == [entry.key_span], (kind, key)


def test_entry_keys_and_readers_cover_every_known_key():
    assert set(compiler._READERS) == compiler.KNOWN_KEYS
    assert all(plain <= compiler.KNOWN_KEYS for plain in map(set, compiler._PLAIN.values()))


def test_entries_and_nested_declarations_read_in_one_walk():
    src = ('kgi g {\n  kpi a { weight: 50% }\n  owner: 5\n  kpi b { weight: 50%  weight: 1 }\n'
           '  target: >= 1\n}\nkgi g { kpi c { } }\nmetric m { }\n')
    model = load(src)
    assert list(model.indicators) == ["g", "a", "b", "c", "m"]
    assert [i.span.line for i in model.indicators.values()] == [1, 2, 4, 7, 8]  # in file order
    assert list(model.indicators["g"].entries) == ["owner", "target"]  # a wrong form is still given
    assert model.indicators["c"].nested_in is None  # nested in a duplicate: collected on its own
    assert [(f.code, f.span.line) for f in model.findings] == [
        ("E001", 3), ("E003", 4), ("E102", 7), ("E205", 7), ("E004", 8)]


def test_children_and_vetoes_merge_by_place_in_the_file():
    src = ("kgi g {\n  veto v { target: == 0 }\n  kpi a { }\n  veto w { target: == 0 }\n  kpi b { }\n}\n"
           "kgi h {\n  kpi c { }\n  veto u { target: == 0 }\n}\n")
    model = load(src)
    assert model.order == ["g", "v", "a", "w", "b", "h", "c", "u"]
    assert model.indicators["g"].children == ["a", "b"] and model.indicators["g"].vetoes == ["v", "w"]


def test_order_places_orphans_next_to_nested_metrics_and_a_nested_kgi_once():
    model = load("kgi g { kpi k { metric m { value: 1 } } }\nkpi orphan { }\ninput i { }\n")
    assert model.order == ["g", "k", "m", "orphan", "m", "i"]
    model = load("kgi g { kpi k { kgi inner { kpi x { } } } }\nkgi h { }\n")
    assert model.order == ["g", "k", "inner", "x", "h"]


def test_parent_entries_link_and_cycle():
    model = load("kgi g { }\nkpi a { parent: b }\nkpi b { parent: c }\nkpi c { parent: a }\n"
                 "kpi d { parent: a }\nkpi e { parent: g }\n")
    assert [f.code for f in model.findings if f.is_error] == ["E206"]
    assert model.indicators["g"].children == ["e"] and model.indicators["a"].children == ["d"]
    assert model.order == ["g", "e", "a", "b", "c", "d"]


def test_formula_order_with_and_without_formulas_that_read_formulas():
    model = load("input i { }\nmetric a { value: i }\nmetric b { value: i * 2 }\n")
    assert model.formula_order == ["a", "b"] and model.uses == {"a": {"i"}, "b": {"i"}}
    model = load("input i { }\nmetric a { value: b + 1 }\nmetric b { value: 2 }\nmetric d { value: i + a + b }\n")
    assert model.formula_order == ["b", "a", "d"]
    assert model.uses == {"a": {"b"}, "b": set(), "d": {"i", "a", "b"}}


def test_names_a_formula_reads_are_the_declarations_own_strings():
    model = load("input i { }\nmetric a { value: i + i }\n")
    (used,) = model.uses["a"]
    assert used is model.indicators["i"].name


def test_operands_at_the_depth_limit_are_reported_by_infer():
    from kpidsl.compiler.formulas import MAX_FORMULA_DEPTH

    for leaf in ("1", "x", "(1 + 1)"):
        formula = "1 + (" * MAX_FORMULA_DEPTH + leaf + ")" * MAX_FORMULA_DEPTH
        model, findings = kpidsl.api.compile_text(f"input x {{ }}\nmetric m {{ value: {formula} }}\n")
        if model is None:  # the parser's own limit came first
            continue
        assert [f.code for f in findings if f.is_error] == ["E001"]


def test_declared_indicators_are_what_the_constructor_makes():
    import attrs

    from kpidsl.compiler.model import Indicator

    made = Indicator("n", "kpi", None)
    declared = Indicator.declared("n", "kpi", None)
    rare = [n for n, v in vars(Indicator).items() if type(v) is property and n not in ("span", "own_score", "scored")]
    assert {"owner", "unit", "cap", "adjustments", "baseline_formula"} <= set(rare)
    for name in [f.name for f in attrs.fields(Indicator)] + rare:  # every attribute set, to the same default
        assert getattr(declared, name) == getattr(made, name), name
    assert repr(declared) == repr(made)
    other = Indicator.declared("m", "kgi", None)
    assert len(other.entries) == 0 and list(declared.entries) == []  # none kept yet
    assert other.children == other.vetoes == () and type(made.children) is tuple  # immutable until linked


def test_the_model_reads_the_lines_kpi_check_shows():
    from kpidsl.parsing import sources

    text = "kgi a { value: 1\n  target: >= 1 }\r\n\n"
    data = text.encode()
    shown = sources.display_lines(data)
    model, _ = kpidsl.api.compile_text(sources.decode(data, FindingSink("f")))
    assert model.lines is shown  # one object: the text and where its lines start
    other, _ = kpidsl.api.compile_text("kgi b { value: 2  target: >= 2 }")
    assert list(model.lines) == text.split("\n") and list(other.lines) == ["kgi b { value: 2  target: >= 2 }"]


def test_entries_are_a_mapping_of_the_first_entry_of_each_kept_key():
    model = load("kgi g { owner: \"a\"  bogus: 1  target: >= 1  owner: \"b\" }\nkgi h { owner: \"c\"  target: >= 2 }\n")
    g, h = model.indicators["g"].entries, model.indicators["h"].entries
    assert list(g) == list(g.keys()) == ["owner", "target"] and len(g) == 2 and "bogus" not in g
    assert g["owner"].value.value == "a" and g.get("owner") is g["owner"] and g.get("cap") is None
    assert [k for k, _ in g.items()] == ["owner", "target"] and list(g.values()) == [g["owner"], g["target"]]
    assert dict(g) == dict(g.items()) and list(h.items()) == [("owner", h["owner"]), ("target", h["target"])]
    with pytest.raises(KeyError):
        g["cap"]


@pytest.mark.parametrize("key, written, meaning", [
    ("unit", "JPY", "JPY"), ("unit", '"%"', "%"), ("unit", "5", None),
    ("owner", '"Sales"', "Sales"), ("owner", "sales", None), ("source", '"ERP"', "ERP"), ("source", "1", None),
    ("description", '"d"', "d"), ("description", "2025-01-01", None),
    ("due", "2025-12-31", datetime.date(2025, 12, 31)), ("due", '"2025-12-31"', None),
    ("period", "monthly", "monthly"), ("period", "fortnightly", None), ("period", '"monthly"', None),
    ("perspective", "customer", "customer"), ("perspective", "x", None), ("type", "process", "process"),
    ("type", "3", None), ("cap", "150%", 1.5), ("cap", "x", None), ("score", "own", "own"), ("score", "mine", None),
    ("accumulate", "avg", "avg"), ("accumulate", "1", None), ("baseline", "5", 5.0), ("baseline_formula", "5", None),
])
def test_each_entry_reads_as_its_attribute(key, written, meaning):
    entry = key.removesuffix("_formula")
    model = load(f"kgi g {{ value: 1  target: >= 1  {entry}: {written} }}\n")
    ind = model.indicators["g"]
    assert getattr(ind, key) == meaning and entry in ind.entries
    assert ind.unit is None or key == "unit"
    ind.owner, ind.unit, ind.cap, ind.adjustments = "o", "u", 2.0, ["a"]  # assigned, each reads as assigned
    assert (ind.owner, ind.unit, ind.cap, ind.adjustments, ind.stretch_formula) == ("o", "u", 2.0, ["a"], None)


def test_formula_levels_and_an_adjustments_points():
    model = load("input i { }\nkgi g { value: i  target: >= 1  baseline: i * 2  adjustments: -5% .. 5%\n"
                 "  adjustment a { value: i }\n}\n")
    g, a = model.indicators["g"], model.indicators["a"]
    assert g.baseline is None and g.baseline_formula is not None and g.adjust_limit == (-0.05, 0.05)
    assert g.adjustments == ["a"] and a.unit == "%" and g.unit is None and a.adjustments == ()


def test_nested_in_is_the_block_a_declaration_is_written_in():
    model = load("kgi g { kpi a { }  kpi b { parent: g }  kpi c { parent: h }  kpi d { parent: 5 } }\nkgi h { }\n"
                 "kpi e { parent: g }\nkpi f { parent: zz }\nkgi k { kgi m { parent: k } }\n")
    got = {n: (i.parent, i.nested_in) for n, i in model.indicators.items()}
    assert got == {"g": (None, None), "a": ("g", "g"), "b": ("g", "g"), "c": ("g", "g"), "d": ("g", "g"),
                   "h": (None, None), "e": ("g", None), "f": (None, None), "k": (None, None), "m": ("k", "k")}


def test_the_repeats_of_an_entry_say_the_same():
    model = load('kgi g { value: 1  target: >= 1 ' + 'owner: "o" ' * 4 + 'bogus: 1 ' * 3 + '}\n')
    twice = [f.message for f in model.findings if f.code == "E003"]
    unknown = [f.message for f in model.findings if f.code == "E004"]
    assert len(twice) == 3 and len(unknown) == 3 and len(set(twice)) == len(set(unknown)) == 1
    assert twice[0] == "`owner` is given twice in kgi `g` (first on line 1); keep one"
