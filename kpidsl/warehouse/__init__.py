"""Evaluation at warehouse scale: the plan's SQL run by DuckDB (embedded) or Spark over Parquet, CSV
and DuckDB tables, with results streamed to a file and summarised on screen (``docs/warehouse.md``).

``tables`` names the data (``--data``) and chooses the engine; ``duck`` and ``spark`` run the query;
``report`` draws the progress bar and the summary. DuckDB, sqlglot and pyspark are imported by the
functions that use them.
"""
