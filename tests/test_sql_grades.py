"""The SQL runtime gives grades, coefficients and overdue statuses as the scalar runtime does."""
import datetime
import pathlib

import pytest

from kpidsl import api
from kpidsl.evaluation import sqlplan

duckdb = pytest.importorskip("duckdb")
REVIEW = pathlib.Path(__file__).parent / "data" / "review.kpi"


@pytest.mark.parametrize("scenario", ["h1", "fy"])
@pytest.mark.parametrize("as_of", [None, datetime.date(2025, 7, 15), datetime.date(2026, 1, 10)])
def test_grades_and_deadlines_agree_with_the_scalar_runtime(scenario, as_of):
    model = api.load(str(REVIEW))
    values = model.scenarios[scenario].values | ({} if scenario == "h1" else model.scenarios["h1"].values
                                                  | model.scenarios[scenario].values)
    names = sqlplan.supplied(model)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{n}" DOUBLE' for n in names) + ")")
    con.execute("INSERT INTO t VALUES (" + ", ".join("?" for _ in names) + ")", [values.get(n) for n in names])
    text = sqlplan.render(model, "t", "duckdb", grades=True, as_of=as_of)
    row = con.execute(text).fetchone()
    got = dict(zip([d[0] for d in con.description], row))
    day = as_of or datetime.date(1, 1, 1)  # the scalar runtime's "no as-of date" is an as-of before every deadline
    ev = api.evaluate(model, values, name=scenario, as_of=day, allow_missing=True)
    graded = [n for n, _, _ in sqlplan.grade_outputs(model)]
    assert graded  # the review model grades its kgi and kpis
    for n in graded:
        res = ev.results[n]
        assert got[f"{n}_grade"] == res.grade, n
        assert got[f"{n}_coefficient"] == pytest.approx(res.coefficient, abs=1e-9), n
        assert got[f"{n}_status"] == res.status, n
    if as_of == datetime.date(2025, 7, 15) and scenario == "h1":
        assert got["new_clients_status"] == "overdue"


def test_kpi_sql_prints_grade_columns_and_takes_an_as_of_date():
    from click.testing import CliRunner

    from kpidsl.cli.commands import cli

    done = CliRunner().invoke(cli, ["sql", str(REVIEW), "--table", "t", "--as-of", "2025-07-15"])
    assert done.exit_code == 0, done.output
    assert '"sales_grade"' in done.output and '"sales_coefficient"' in done.output
    assert "THEN 'D'" in done.output  # a grade's name is a quoted string literal


def test_the_engines_write_grades_and_the_numpy_path_writes_the_same_file(tmp_path):
    from click.testing import CliRunner

    from kpidsl.cli.commands import cli

    data = tmp_path / "rows.csv"
    data.write_text("scenario,sales,new_clients,collection,awards,complaints\n"
                    "a,480,42,0.93,1,4\nb,1050,70,0.97,3,1\nc,1200,90,1,0,0\n", encoding="utf-8")
    outs = {}
    for engine in ("duckdb", "numpy"):
        out = tmp_path / f"{engine}.csv"
        done = CliRunner().invoke(cli, ["eval", str(REVIEW), "--data", str(data), "--engine", engine,
                                        "--output", str(out)])
        assert done.exit_code == 0, done.output
        outs[engine] = out.read_text(encoding="utf-8")
    header = outs["duckdb"].splitlines()[0].split(",")
    assert "sales_grade" in header and "sales_coefficient" in header
    assert outs["duckdb"] == outs["numpy"]
    model = api.load(str(REVIEW))
    row = dict(zip(header, outs["duckdb"].splitlines()[2].split(",")))
    ev = api.evaluate(model, {"sales": 1050, "new_clients": 70, "collection": 0.97, "awards": 3, "complaints": 1},
                      name="b", as_of=datetime.date(1, 1, 1))
    assert row["sales_grade"] == ev.results["sales"].grade


@pytest.mark.parametrize("engine", ["duckdb", "numpy"])
def test_engine_csv_files_neutralise_keys_a_spreadsheet_would_run(tmp_path, engine):
    from helpers import invoke_kpi

    data = tmp_path / "rows.csv"
    data.write_text("scenario,sales,new_clients,collection,awards,complaints\n"
                    "x,480,42,0.93,1,4\n@risk,1050,70,0.97,3,1\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, text = invoke_kpi("eval", str(REVIEW), "--data", str(data), "--engine", engine, "--output", str(out))
    assert code == 0, text
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[1].startswith("x,")
    assert rows[2].startswith("'@risk,")  # as data.csv_text writes a cell a spreadsheet would run


def test_the_numpy_engine_keeps_an_in_file_scenario_s_as_of_date(tmp_path):
    from helpers import invoke_kpi

    data = tmp_path / "rows.csv"
    data.write_text("scenario,sales,new_clients,collection,awards,complaints\nh1,480,42,0.93,1,4\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, text = invoke_kpi("eval", str(REVIEW), "--data", str(data), "--engine", "numpy", "--output", str(out))
    assert code == 0, text
    header, row = out.read_text(encoding="utf-8").splitlines()
    assert dict(zip(header.split(","), row.split(",")))["new_clients_status"] == "overdue"  # h1's as_of: 2025-07-15
