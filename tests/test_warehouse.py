"""`kpi sql` and `kpi eval` on the warehouse engines: Parquet, DuckDB tables, large CSV, --output,
the summary and the progress bar, and the SQL of docs/warehouse.md."""

from __future__ import annotations

import io
import json
import os
import re

import pytest

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from conftest import ROOT  # noqa: E402
from helpers import invoke_kpi  # noqa: E402
from kpidsl.evaluation import sqlplan  # noqa: E402
from kpidsl.warehouse import report, tables  # noqa: E402

ECOMMERCE = str(ROOT / "examples" / "ecommerce.kpi")
COLUMNS = ("orders", "avg_order_value", "violations", "repeat_rate", "new_customers", "cart_abandonment",
           "ad_impressions", "ad_clicks", "csat_product", "csat_delivery", "csat_support")
ROWS = [(1150, 6900, 0, 0.71, 214, 0.23, 420000, 23100, 86, 81, 84),
        (1300, 6900, 0, 0.71, 214, 0.23, 420000, 23100, 86, 81, 84),
        (1400, 6900, 1, 0.77, 230, 0.18, 0, 23100, 88, 86, 87)]


@pytest.fixture
def kpi(monkeypatch, tmp_path):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)

    return invoke_kpi


def _table(con, name="t", store=True):
    cols = (["store VARCHAR"] if store else []) + [f"{c} DOUBLE" for c in COLUMNS]
    con.execute(f"CREATE TABLE {name} ({', '.join(cols)})")
    for i, r in enumerate(ROWS):
        con.execute(f"INSERT INTO {name} VALUES ({', '.join('?' * (len(r) + store))})",
                    ([f"store{i}"] if store else []) + list(r))


@pytest.fixture
def parquet(tmp_path):
    con = duckdb.connect()
    _table(con)
    path = tmp_path / "rows.parquet"
    con.execute(f"COPY t TO '{path}' (FORMAT PARQUET)")
    return str(path)


def _csv(tmp_path, rows=ROWS, header=COLUMNS, name="rows.csv"):
    path = tmp_path / name
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------------------------
# kpi sql


@pytest.mark.parametrize("dialect", tables.DIALECTS)
def test_kpi_sql_every_dialect(kpi, dialect):
    code, out = kpi("sql", ECOMMERCE, "--dialect", dialect, "--table", "sales.monthly", "--key", "store")
    assert code == 0 and out.startswith("WITH ") and out.endswith(";\n")
    assert out == tables.sql_text(__import__("kpidsl").load(ECOMMERCE), "sales.monthly", dialect, ("store",))


def test_cli_dialects_are_the_emitters():
    assert set(tables.DIALECTS) == set(sqlplan.DIALECTS)


def test_kpi_sql_reports_names_a_dialect_cannot_hold(kpi, tmp_path):
    model = tmp_path / "m.kpi"
    model.write_text("input 订单 { }\nkgi 销售 { value: 订单 * 2  target: >= 1 }\n", encoding="utf-8")
    code, out = kpi("sql", str(model), "--dialect", "bigquery", "--table", "t")
    assert code == 1 and "`订单` is not a name bigquery can hold" in out
    code, out = kpi("sql", str(model), "--dialect", "duckdb", "--table", "t")
    assert code == 0 and '"订单"' in out
    code, out = kpi("sql", str(model), "--table", "a.b.c.d")
    assert code == 1 and "not a table name" in out


# ---------------------------------------------------------------------------------------------
# kpi eval on DuckDB


def test_eval_parquet_summary(kpi, parquet):
    code, out = kpi("eval", ECOMMERCE, "--data", parquet)
    assert code == 0, out
    lines = out.splitlines()
    assert re.fullmatch(r"3 rows of .*rows\.parquet evaluated by duckdb in \d+\.\d s", lines[0])
    assert lines[1] == "annual_sales: 2 amber, 1 vetoed"
    assert lines[4:6] == ["lowest annual_sales scores:", "  store=store2: 0 vetoed"]
    assert lines[6] == "  store=store0: 0.835551 amber"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_eval_output_formats(kpi, parquet, tmp_path, suffix):
    out_path = str(tmp_path / f"out{suffix}")
    code, out = kpi("eval", ECOMMERCE, "--data", parquet, "--output", out_path)
    assert code == 0 and f"results in {out_path}" in out
    con = duckdb.connect()
    reader = {".csv": "read_csv", ".parquet": "read_parquet", ".jsonl": "read_json"}[suffix]
    rel = con.sql(f"SELECT * FROM {reader}('{out_path}')")
    assert rel.columns[:3] == ["store", "annual_sales_value", "annual_sales_met"]
    rows = rel.fetchall()
    col = rel.columns.index("annual_sales_score")
    assert [round(r[col], 6) for r in rows] == [0.835551, 0.998109, 0.0]
    if suffix == ".jsonl":
        first = json.loads(open(out_path, encoding="utf-8").readline())
        assert first["annual_sales_status"] == "amber" and first["annual_sales_met"] is False


def test_eval_duckdb_table(kpi, tmp_path):
    db = str(tmp_path / "w.duckdb")
    con = duckdb.connect(db)
    _table(con, "monthly", store=False)
    con.close()
    code, out = kpi("eval", ECOMMERCE, "--data", f"duckdb:{db}?table=monthly")
    assert code == 0 and out.startswith(f"3 rows of {db} (table monthly) evaluated by duckdb")
    assert "  row=3: 0 vetoed" in out
    code, out = kpi("eval", ECOMMERCE, "--data", f"duckdb:{db}?table=nope")
    assert code == 2 and "has no table `nope` (there are: `monthly`)" in out
    code, out = kpi("eval", ECOMMERCE, "--data", f"duckdb:{db}")
    assert code == 2 and "duckdb:PATH.duckdb?table=TABLE" in out
    code, out = kpi("eval", ECOMMERCE, "--data", f"duckdb:{tmp_path / 'none.duckdb'}?table=t")
    assert code == 2 and "no such DuckDB database" in out


def test_csv_paths_write_identical_files(kpi, tmp_path):
    data = _csv(tmp_path, header=("scenario",) + COLUMNS, rows=[(f"s{i}",) + r for i, r in enumerate(ROWS)])
    a, b = str(tmp_path / "a.csv"), str(tmp_path / "b.csv")
    assert kpi("eval", ECOMMERCE, "--data", data, "--output", a, "--engine", "duckdb", "--set", "orders=1_200")[0] == 0
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--output", b, "--engine", "numpy", "--set", "orders=1_200")
    assert code == 0 and "evaluated by numpy" in out
    assert open(a, encoding="utf-8").read() == open(b, encoding="utf-8").read()
    assert open(a, encoding="utf-8").readline().startswith("scenario,annual_sales_value,")


def test_csv_duckdb_cannot_read_goes_to_numpy(kpi, tmp_path):
    data = _csv(tmp_path, rows=[r[:3] + ("75%",) + r[4:] for r in ROWS])
    out_path = str(tmp_path / "o.csv")
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--output", out_path)
    assert code == 0 and "evaluated by numpy" in out
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--output", out_path, "--engine", "duckdb")
    assert code == 2 and "use --engine numpy" in out
    named = _csv(tmp_path, header=("scenario",) + COLUMNS, rows=[("q3",) + ROWS[0]], name="named.csv")
    code, out = kpi("eval", ECOMMERCE, "--data", named, "--output", out_path)
    assert code == 0 and "evaluated by numpy" in out  # a row named like an in-file scenario starts from it


def test_missing_values(kpi, tmp_path, parquet):
    data = _csv(tmp_path, header=COLUMNS[:-1], rows=[r[:-1] for r in ROWS])
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--engine", "duckdb")
    assert code == 1 and "`csat_support` has no value in 3 rows" in out and "--allow-missing" in out
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--engine", "duckdb", "--allow-missing")
    assert code == 0 and "satisfaction: 3 no-data" in out
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--engine", "duckdb", "--output", "o.parquet")
    assert code == 1 and "`csat_support` has no value in 3 rows" in out
    assert sorted(os.listdir(".")) == ["rows.csv", "rows.parquet"]  # nothing written, no temporary file left
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--engine", "numpy", "--output", "o.csv")
    assert code == 1 and "`csat_support` has no value in 3 rows" in out


def test_usage_errors(kpi, tmp_path, parquet):
    code, out = kpi("eval", ECOMMERCE, "--data", parquet, "--output", "out.txt")
    assert code == 2 and "unknown format `.txt`" in out
    code, out = kpi("eval", ECOMMERCE, "--engine", "duckdb")
    assert code == 2 and "one --data file" in out
    toml = tmp_path / "q3.toml"
    toml.write_text("orders = 1150\n", encoding="utf-8")
    code, out = kpi("eval", ECOMMERCE, "--data", str(toml), "--engine", "duckdb")
    assert code == 2 and "--engine and --output read" in out
    bad = _csv(tmp_path, header=("nope",) + COLUMNS, rows=[(1,) + r for r in ROWS], name="bad.csv")
    code, out = kpi("eval", ECOMMERCE, "--data", bad, "--engine", "duckdb")
    assert code == 2 and "`nope` is not declared" in out
    computed = _csv(tmp_path, header=("monthly_sales",) + COLUMNS, rows=[(1,) + r for r in ROWS], name="c.csv")
    code, out = kpi("eval", ECOMMERCE, "--data", computed, "--engine", "duckdb")
    assert code == 2 and "is computed by its `value` formula" in out
    code, out = kpi("eval", ECOMMERCE, "--data", str(tmp_path / "none.parquet"))
    assert code == 2 and "cannot read it" in out
    code, out = kpi("eval", ECOMMERCE, "--data", parquet, "--output", str(tmp_path / "no" / "out.csv"))
    assert code == 2 and "cannot write" in out and "No such file" in out


def test_parquet_summary_whatever_the_format(kpi, parquet):
    code, out = kpi("eval", ECOMMERCE, "--data", parquet, "--format", "json")
    assert code == 0 and "evaluated by duckdb" in out


def test_large_csv_summary_only_for_the_table(kpi, tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "CSV_THRESHOLD", 10)
    data = _csv(tmp_path)
    code, out = kpi("eval", ECOMMERCE, "--data", data)
    assert code == 0 and "3 rows of" in out and "evaluated by duckdb" in out
    code, out = kpi("eval", ECOMMERCE, "--data", data, "--format", "csv")
    assert code == 0 and out.startswith("scenario,indicator,label,")


def test_small_csv_stays_on_the_table_path(kpi, tmp_path):
    data = _csv(tmp_path)
    code, out = kpi("eval", ECOMMERCE, "--data", data)
    assert code == 0 and "evaluated by" not in out and "annual_sales" in out
    assert os.path.getsize(data) < tables.CSV_THRESHOLD


def test_progress_bar_only_on_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert report.Progress.for_stream(io.StringIO()) is None
    bar = report.Progress.for_stream(Tty())
    bar.update(50.0)
    assert bar.stream.getvalue() == ""  # not before a second has passed
    bar.start -= report.AFTER
    bar.update(50.0)
    bar.done()
    assert "[###############...............]  50.0%" in bar.stream.getvalue() and not bar.shown


# ---------------------------------------------------------------------------------------------
# docs/warehouse.md


SQL_BLOCK = re.compile(r"(<!-- kpi sql (?P<args>[^>]*) -->\n```sql\n)(?P<sql>.*?)(```)", re.S)


def test_the_sql_in_the_docs_is_what_kpi_sql_prints(kpi):
    doc = ROOT / "docs" / "warehouse.md"
    text = doc.read_text(encoding="utf-8")
    found = list(SQL_BLOCK.finditer(text))
    assert found, "docs/warehouse.md shows the SQL of the e-commerce example"

    def fresh(m):
        code, out = kpi("sql", *[str(ROOT / a) if a.endswith(".kpi") else a for a in m.group("args").split()])
        assert code == 0, out
        return m.group(1) + out + m.group(4)

    new = SQL_BLOCK.sub(fresh, text)
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        doc.write_text(new, encoding="utf-8")
    assert new == text, "docs/warehouse.md: the SQL shown is not what `kpi sql` prints (KPI_UPDATE_GOLDEN=1 rewrites it)"
