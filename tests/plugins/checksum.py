"""Content checksums of the marts, computed inside each database, comparable across DuckDB and PostgreSQL.

Each row becomes one text line in which every value is rendered the same way on both databases
(timestamps as ``YYYY-MM-DDTHH:MM:SS.ffffff``, doubles as integer millionths, booleans as
``true``/``false``, NULL as ``\\N``), columns in name order; the mart's checksum is the md5 of the
sorted row md5s joined (``string_agg(... order by ...)``), so row order does not matter.

Columns that record *when* or *by which run* a row was loaded differ between two runs of the same
data by design, and are left out: every ``_``-prefixed column (``_dlt_load_id``, ``_loaded_by``)
and ``observed_at``, ``counts_observed_at``, ``run_id`` (the sync's wall-clock time and id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RUN_SPECIFIC = frozenset({"observed_at", "counts_observed_at", "run_id"})
COLUMNS_SQL = (
    "select table_name, column_name, data_type from information_schema.columns "
    "where table_schema = 'marts' order by table_name, column_name"
)


def _kind(data_type: str) -> str:
    lowered = data_type.lower()
    if lowered.startswith("bool"):
        return "bool"
    if lowered in ("double", "double precision", "real", "float", "numeric") or lowered.startswith("decimal"):
        return "double"
    if lowered.startswith("timestamp"):
        return "timestamp"
    if lowered == "date":
        return "date"
    return "text"


def _render(column: str, kind: str, dialect: str) -> str:
    quoted = f'"{column}"'
    if kind == "bool":
        value = f"case when {quoted} then 'true' else 'false' end"
    elif kind == "double":
        value = f"cast(cast(round({quoted} * 1000000) as bigint) as varchar)"
    elif kind == "timestamp":
        value = (
            f"strftime({quoted}, '%Y-%m-%dT%H:%M:%S.%f')" if dialect == "duckdb"
            else f"to_char({quoted}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        )
    elif kind == "date":
        value = f"strftime({quoted}, '%Y-%m-%d')" if dialect == "duckdb" else f"to_char({quoted}, 'YYYY-MM-DD')"
    else:
        value = f"cast({quoted} as varchar)"
    return f"coalesce({value}, '\\N')"


def mart_checksums(fetch: Callable[[str], list[tuple[Any, ...]]], dialect: str) -> dict[str, tuple[int, list[str], str]]:
    """``{mart: (rows, compared columns, checksum)}`` through ``fetch(sql) -> rows``."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in fetch(COLUMNS_SQL):
        if not column.startswith("_") and column not in RUN_SPECIFIC:
            columns.setdefault(table, []).append((column, _kind(data_type)))
    out = {}
    for table, cols in sorted(columns.items()):
        line = " || '|' || ".join(_render(name, kind, dialect) for name, kind in cols)
        sql = (
            f"select count(*), coalesce(md5(string_agg(h, ',' order by h)), 'empty') from "
            f"(select md5({line}) as h from marts.\"{table}\") as hashed"
        )
        rows, checksum = fetch(sql)[0]
        out[table] = (int(rows), [name for name, _ in cols], str(checksum))
    return out


def duckdb_checksums(db_path: Any) -> dict[str, tuple[int, list[str], str]]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return mart_checksums(lambda sql: con.execute(sql).fetchall(), "duckdb")
    finally:
        con.close()


def postgres_checksums(url: str) -> dict[str, tuple[int, list[str], str]]:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            def fetch(sql: str) -> list[tuple[Any, ...]]:
                cur.execute(sql)
                return list(cur.fetchall())

            return mart_checksums(fetch, "postgres")
    finally:
        con.close()
