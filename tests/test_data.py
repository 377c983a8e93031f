"""Data files and scenario selection (`kpi eval --data/--scenario/--set`, docs/data.md)."""

from __future__ import annotations

import json

import pytest

from kpidsl.data import DataError, read_data, select

from helpers import ECOMMERCE, load

Q3 = {"orders": 1150.0, "avg_order_value": 6900.0, "repeat_rate": 0.71, "new_customers": 214.0,
      "violations": 0.0, "cart_abandonment": 0.23}


@pytest.fixture(scope="module")
def model():
    return load(ECOMMERCE)


def write(tmp_path, name: str, text: str | bytes):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return str(p)


def as_dict(scenarios):
    return {s.name: s.values for s in scenarios}


# ---------------------------------------------------------------------------------------------
# Formats


FLAT = {
    "toml": 'orders = 1150\nrepeat_rate = "71%"\navg_order_value = 6_900\nnew_customers = "-5"\nviolations = 0.5\n',
    "json": '{"orders": 1150, "repeat_rate": "71%", "avg_order_value": 6900, "new_customers": "-5", "violations": 0.5}',
    "yaml": 'orders: 1150\nrepeat_rate: "71%"\navg_order_value: 6900\nnew_customers: "-5"\nviolations: 0.5\n',
    "yml": 'orders: 1150\nrepeat_rate: 71%\navg_order_value: 6_900\nnew_customers: -5\nviolations: 0.5\n',
}
FLAT_VALUES = {"orders": 1150.0, "repeat_rate": 0.71, "avg_order_value": 6900.0, "new_customers": -5.0,
               "violations": 0.5}


@pytest.mark.parametrize("ext", sorted(FLAT))
def test_flat_mapping_is_one_scenario_named_after_the_stem(tmp_path, ext):
    path = write(tmp_path, f"actuals_q3.{ext}", FLAT[ext])
    (sc,) = read_data(path)
    assert sc.name == "actuals_q3"
    assert sc.values == FLAT_VALUES


NESTED = {
    "toml": '[q3]\norders = 1150\nrepeat_rate = "71%"\n\n[plan]\norders = "1.3k"\nmonthly_target = "833万"\n',
    "json": json.dumps({"q3": {"orders": 1150, "repeat_rate": "71%"},
                        "plan": {"orders": "1.3k", "monthly_target": "833万"}}),
    "yaml": 'q3:\n  orders: 1150\n  repeat_rate: "71%"\nplan:\n  orders: "1.3k"\n  monthly_target: "833万"\n',
}


@pytest.mark.parametrize("ext", sorted(NESTED))
def test_nested_mapping_is_one_scenario_per_key(tmp_path, ext):
    path = write(tmp_path, f"batch.{ext}", NESTED[ext])
    got = read_data(path)
    assert [s.name for s in got] == ["q3", "plan"]
    assert as_dict(got) == {"q3": {"orders": 1150.0, "repeat_rate": 0.71},
                            "plan": {"orders": 1300.0, "monthly_target": 8330000.0}}


@pytest.mark.parametrize("raw, value", [
    ("75%", 0.75), ("833万", 8330000.0), ("1.1亿", 110000000.0), ("1_150", 1150.0), ("2.5M", 2500000.0),
    ("1e3", 1000.0), ("-3.5", -3.5), (" 42 ", 42.0), ("3B", 3e9), ("5k", 5000.0),
])
def test_string_values_use_the_number_syntax(tmp_path, raw, value):
    path = write(tmp_path, "v.json", json.dumps({"orders": raw}))
    assert read_data(path)[0].values == {"orders": value}


def test_csv_with_scenario_column(tmp_path):
    path = write(tmp_path, "batch.csv", "scenario,orders,repeat_rate\nq3,1150,71%\nq4,1_400,833万\n")
    got = read_data(path)
    assert as_dict(got) == {"q3": {"orders": 1150.0, "repeat_rate": 0.71},
                            "q4": {"orders": 1400.0, "repeat_rate": 8330000.0}}


def test_csv_without_scenario_column_is_one_scenario_a_row(tmp_path):
    path = write(tmp_path, "rows.csv", "orders,repeat_rate\n1150,71%\n1300,75%\n1400,\"80%\"\n")
    got = read_data(path)
    assert len(got) == 3
    assert len({s.name for s in got}) == 3
    assert [s.values for s in got] == [{"orders": 1150.0, "repeat_rate": 0.71},
                                       {"orders": 1300.0, "repeat_rate": 0.75},
                                       {"orders": 1400.0, "repeat_rate": 0.8}]


def test_csv_with_bom_and_crlf(tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeffscenario,orders\r\nq3,1150\r\n".encode("utf-8"))
    assert as_dict(read_data(path)) == {"q3": {"orders": 1150.0}}


def test_extension_is_case_insensitive(tmp_path):
    path = write(tmp_path, "UPPER.JSON", '{"orders": 1}')
    assert read_data(path)[0].values == {"orders": 1.0}


# ---------------------------------------------------------------------------------------------
# Bad data: always DataError, naming the file


BAD = [
    ("non-number string", "v.json", '{"orders": "lots"}'),
    ("bad suffix", "v.json", '{"orders": "5kg"}'),
    ("empty string", "v.json", '{"orders": ""}'),
    ("boolean", "v.json", '{"orders": true}'),
    ("yaml boolean", "v.yaml", "orders: yes\n"),
    ("toml boolean", "v.toml", "orders = false\n"),
    ("null", "v.json", '{"orders": null}'),
    ("yaml null", "v.yaml", "orders:\n"),
    ("list", "v.json", '{"orders": [1, 2]}'),
    ("toml list", "v.toml", "orders = [1, 2]\n"),
    ("nested mapping where a value belongs", "v.json", '{"q3": {"orders": {"n": 1}}}'),
    ("yaml nested too deep", "v.yaml", "q3:\n  orders:\n    n: 1\n"),
    ("mixed flat and nested", "v.json", '{"orders": 1, "q3": {"orders": 2}}'),
    ("mixed flat and nested toml", "v.toml", 'orders = 1\n[q3]\norders = 2\n'),
    ("infinite json", "v.json", '{"orders": 1e999}'),
    ("infinite yaml", "v.yaml", "orders: .inf\n"),
    ("nan yaml", "v.yaml", "orders: .nan\n"),
    ("huge int", "v.json", '{"orders": 1' + "0" * 400 + "}"),
    ("yaml date", "v.yaml", "orders: 2025-01-01\n"),
    ("toml date", "v.toml", "orders = 2025-01-01\n"),
    ("json list at top", "v.json", "[1, 2]"),
    ("json scalar at top", "v.json", "42"),
    ("yaml scalar at top", "v.yaml", "just text\n"),
    ("empty json", "v.json", ""),
    ("empty json object", "v.json", "{}"),
    ("empty toml", "v.toml", ""),
    ("empty yaml", "v.yaml", ""),
    ("empty yml comment only", "v.yml", "# nothing\n"),
    ("empty csv", "v.csv", ""),
    ("blank csv", "v.csv", "\n\n"),
    ("csv header only", "v.csv", "scenario,orders\n"),
    ("csv ragged row long", "v.csv", "scenario,orders\nq3,1,2\n"),
    ("csv ragged row short", "v.csv", "scenario,orders,violations\nq3,1\n"),
    ("csv duplicate columns", "v.csv", "scenario,orders,orders\nq3,1,2\n"),
    ("csv empty column name", "v.csv", "scenario,,orders\nq3,1,2\n"),
    ("csv bad value", "v.csv", "scenario,orders\nq3,many\n"),
    ("csv empty scenario cell", "v.csv", "scenario,orders\n,1\n"),
    ("toml syntax", "v.toml", "orders = = 1\n"),
    ("json syntax", "v.json", '{"orders": 1,}'),
    ("yaml syntax", "v.yaml", "orders: [1, 2\n"),
    ("yaml tabs", "v.yaml", "q3:\n\torders: 1\n"),
    ("not utf-8", "v.json", b'{"orders": "\xff"}'),
    ("unknown extension", "v.txt", "orders = 1\n"),
    ("no extension", "data", "orders = 1\n"),
    ("xlsx", "v.xlsx", "orders = 1\n"),
]


@pytest.mark.parametrize("why, name, text", BAD, ids=[b[0] for b in BAD])
def test_bad_data_is_a_data_error_naming_the_file(tmp_path, why, name, text):
    path = write(tmp_path, name, text)
    with pytest.raises(DataError) as info:
        read_data(path)
    assert path in str(info.value)


@pytest.mark.parametrize("text,line", [
    ('scenario,orders\nq1,"1\n"\nq2,many\n', 4),  # a quoted cell over two lines: q2 starts on line 4
    ('scenario,orders\n\n\nq2,many\n', 4),
    ('scenario,orders\r\nq1,1\r\nq2,many\r\n', 3),
])
def test_csv_errors_name_the_line_the_row_starts_on(tmp_path, text, line):
    path = write(tmp_path, "v.csv", text)
    with pytest.raises(DataError, match=f"v.csv:{line}: column `orders`"):
        read_data(path)


def test_a_folder_is_a_data_error(tmp_path):
    folder = tmp_path / "data.json"
    folder.mkdir()
    with pytest.raises(DataError) as info:
        read_data(str(folder))
    assert str(folder) in str(info.value)


def test_a_missing_file_is_a_data_error(tmp_path):
    path = str(tmp_path / "absent.toml")
    with pytest.raises(DataError) as info:
        read_data(path)
    assert path in str(info.value)


def test_deeply_nested_yaml_is_a_data_error(tmp_path):
    deep = "[" * 5000 + "]" * 5000
    path = write(tmp_path, "deep.yaml", f"orders: {deep}\n")
    with pytest.raises(DataError):
        read_data(path)


@pytest.mark.parametrize("name, text", [
    ("v.json", '{"nosuch": 1}'),
    ("v.toml", "[q3]\nordres = 1\n"),
    ("v.csv", "scenario,orders,nosuch\nq3,1,2\n"),
    ("v.yaml", "monthly_sales: 1\n"),          # a name with a formula
    ("v.json", '{"q3": {"annual_sales": 1}}'),  # a name with a formula
])
def test_unknown_or_computed_name_is_a_data_error(tmp_path, model, name, text):
    path = write(tmp_path, name, text)
    with pytest.raises(DataError) as info:
        select(model, data_files=(path,))
    assert path in str(info.value)


def test_unknown_name_suggests_the_closest(tmp_path, model):
    path = write(tmp_path, "v.json", '{"ordres": 1}')
    with pytest.raises(DataError) as info:
        select(model, data_files=(path,))
    assert "orders" in str(info.value)


# ---------------------------------------------------------------------------------------------
# Selection and overlay


def test_no_options_selects_every_in_file_scenario(model):
    got = select(model)
    assert [s.name for s in got] == ["q3", "q3_push"]
    assert got[0].values == Q3
    assert got[1].values == {**Q3, "orders": 1300.0}
    assert [s.expects for s in got] == ["q3", "q3_push"]
    assert got[0].label == "Q3 actual"


def test_scenario_names_select_those_in_order(model):
    got = select(model, names=("q3_push", "q3"))
    assert [s.name for s in got] == ["q3_push", "q3"]


def test_unknown_scenario_name_is_a_data_error(model):
    with pytest.raises(DataError) as info:
        select(model, names=("q4",))
    assert "q4" in str(info.value)


def test_data_selects_the_data_scenarios(tmp_path, model):
    path = write(tmp_path, "plan.json", json.dumps({"orders": 1400}))
    got = select(model, data_files=(path,))
    assert [s.name for s in got] == ["plan"]
    assert got[0].values == {"orders": 1400.0}
    assert got[0].expects is None


def test_data_scenario_named_like_in_file_starts_from_its_values(tmp_path, model):
    path = write(tmp_path, "b.toml", '[q3_push]\nrepeat_rate = "80%"\n\n[fresh]\norders = 1\n')
    got = select(model, data_files=(path,))
    assert [s.name for s in got] == ["q3_push", "fresh"]
    assert got[0].values == {**Q3, "orders": 1300.0, "repeat_rate": 0.8}
    assert got[0].expects == "q3_push"
    assert got[1].values == {"orders": 1.0}


def test_flat_data_named_after_stem_matching_in_file_scenario(tmp_path, model):
    path = write(tmp_path, "q3.yaml", "orders: 2000\n")
    (sc,) = select(model, data_files=(path,))
    assert sc.name == "q3" and sc.values == {**Q3, "orders": 2000.0}


def test_later_data_files_override_earlier(tmp_path, model):
    a = write(tmp_path, "a.json", json.dumps({"s": {"orders": 1, "violations": 0}}))
    b = write(tmp_path, "b.csv", "scenario,orders\ns,2\nt,3\n")
    got = select(model, data_files=(a, b))
    assert as_dict(got) == {"s": {"orders": 2.0, "violations": 0.0}, "t": {"orders": 3.0}}


def test_names_choose_among_in_file_and_data_scenarios(tmp_path, model):
    path = write(tmp_path, "b.json", json.dumps({"x1": {"orders": 1}, "x2": {"orders": 2}}))
    got = select(model, names=("x2", "q3"), data_files=(path,))
    assert [s.name for s in got] == ["x2", "q3"]
    assert got[0].values == {"orders": 2.0}


def test_set_overlays_every_scenario(tmp_path, model):
    got = select(model, sets=("orders=1_500", "repeat_rate=90%"))
    assert [s.name for s in got] == ["q3", "q3_push"]
    assert all(s.values["orders"] == 1500.0 and s.values["repeat_rate"] == 0.9 for s in got)
    path = write(tmp_path, "d.json", json.dumps({"orders": 7}))
    (d,) = select(model, data_files=(path,), sets=("orders=8",))
    assert d.values == {"orders": 8.0}


def test_set_alone_makes_a_cli_scenario():
    bare = load("input x {}\ninput y {}\nmetric m { value: x + y }")
    (sc,) = select(bare, sets=("x=1", "y=-2.5万"))
    assert sc.name == "cli" and sc.values == {"x": 1.0, "y": -25000.0}
    assert select(bare) == []


@pytest.mark.parametrize("bad", ["orders", "=5", "orders=", "orders=lots", "nosuch=1", "monthly_sales=1",
                                 "orders=5kg"])
def test_bad_set_is_a_data_error(model, bad):
    with pytest.raises(DataError):
        select(model, sets=(bad,))


def test_selection_does_not_change_the_model(tmp_path, model):
    path = write(tmp_path, "q3.json", json.dumps({"orders": 1}))
    select(model, data_files=(path,), sets=("violations=3",))
    assert model.scenario_values("q3") == Q3
