"""Export files from a server destination (PostgreSQL): marts streamed in batches to Parquet and CSV.

A DuckDB file exports itself with ``COPY``; a server cannot write into our directory, so each
mart is read through a server-side (named) cursor ``BATCH_ROWS`` rows at a time and each batch is
appended to a Parquet writer and a CSV writer (pyarrow): memory stays one batch, whatever the
table's size. Column types are those of the warehouse mapped to Arrow, and the manifest names
them as DuckDB does (``VARCHAR``, ``BIGINT``, ``TIMESTAMP`` …) so an export's manifest reads the
same whichever destination produced it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from producthuntdb.errors import StageError
from producthuntdb.settings import Settings
from producthuntdb.warehouse.base import quote_identifier
from producthuntdb.warehouse.server import ServerReader, connect

BATCH_ROWS = 50_000
MANIFEST_TYPES = {
    "character varying": "VARCHAR",
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "boolean": "BOOLEAN",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "numeric": "DOUBLE",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
}


def _arrow_type(data_type: str) -> Any:
    import pyarrow as pa

    return {
        "VARCHAR": pa.string(),
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "SMALLINT": pa.int16(),
        "BOOLEAN": pa.bool_(),
        "DOUBLE": pa.float64(),
        "FLOAT": pa.float32(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    }.get(data_type, pa.string())


def mart_columns(cur: Any, schema: str) -> dict[str, dict[str, str]]:
    """Every table of ``schema`` with its public columns (``_``-prefixed bookkeeping left out)."""
    return {
        table: {name: MANIFEST_TYPES.get(data_type, "VARCHAR") for name, data_type in columns.items() if not name.startswith("_")}
        for table, columns in ServerReader(cur).table_columns(schema).items()
    }


def csv_safe(batch: Any) -> Any:
    """``batch`` as the CSV gets it (export.CSV_SAFETY): control characters removed from text, and
    text that a spreadsheet would run as a formula prefixed with ``'``; Parquet keeps the raw values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from producthuntdb.serialize import CONTROL_CHARS, FORMULA_START

    arrays = []
    for column, field in zip(batch.columns, batch.schema, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            cleaned = pc.replace_substring_regex(column, pattern=CONTROL_CHARS, replacement="")
            risky = pc.match_substring_regex(cleaned, pattern=FORMULA_START)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", cleaned, ""), cleaned)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def _stream(con: Any, sql: str, schema: Any, parquet: Any, csv: Any) -> int:
    """Rows of ``sql`` through a named cursor into both writers, one batch at a time."""
    import pyarrow as pa

    rows = 0
    with con.cursor(name=f"export_{id(parquet)}") as cur:  # named = server-side: the server keeps the rest
        cur.itersize = BATCH_ROWS
        cur.execute(sql)
        while True:
            chunk = cur.fetchmany(BATCH_ROWS)
            if not chunk:
                break
            columns = list(zip(*chunk, strict=True))
            batch = pa.RecordBatch.from_arrays(
                [pa.array(list(values), type=field.type) for values, field in zip(columns, schema, strict=True)],
                schema=schema,
            )
            parquet.write_batch(batch)
            csv.write_batch(csv_safe(batch))
            rows += len(chunk)
    return rows


def write_files(settings: Settings, tmp: Path, schema_name: str, formats: tuple[str, ...]) -> tuple[
    dict[str, Any], dict[str, str | None]
]:
    """Write ``<mart>.parquet`` and ``<mart>.csv`` into ``tmp``; (manifest table entries, sync window)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from producthuntdb.serialize import sha256_file

    entries: dict[str, Any] = {}
    with connect(settings) as con:
        con.autocommit = False  # a named cursor lives inside a transaction
        try:
            with con.cursor() as cur:
                tables = mart_columns(cur, schema_name)
            if not tables:
                raise StageError(f"no tables in schema '{schema_name}': run build first")
            for table, columns in tables.items():
                schema = pa.schema([(name, _arrow_type(data_type)) for name, data_type in columns.items()])
                select = ", ".join(quote_identifier(name) for name in columns)
                sql = f"select {select} from {schema_name}.{quote_identifier(table)}"
                paths = {fmt: tmp / f"{table}.{fmt}" for fmt in formats}
                parquet = pq.ParquetWriter(paths["parquet"], schema, compression="zstd")
                csv = pacsv.CSVWriter(paths["csv"], schema)
                try:
                    _stream(con, sql, schema, parquet, csv)
                finally:
                    parquet.close()
                    csv.close()
                entries[table] = {
                    "rows": pq.ParquetFile(paths["parquet"]).metadata.num_rows,  # re-read from the file
                    "columns": [{"name": name, "type": data_type} for name, data_type in columns.items()],
                    "files": {
                        fmt: {"path": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
                        for fmt, path in paths.items()
                    },
                }
            window = _sync_window(con, tables, schema_name)
        finally:
            con.rollback()
    return entries, window


def _sync_window(con: Any, tables: dict[str, dict[str, str]], schema_name: str) -> dict[str, str | None]:
    if "created_at" not in tables.get("posts", {}):
        return {"min_created_at": None, "max_created_at": None}
    with con.cursor() as cur:
        cur.execute(f"select min(created_at), max(created_at) from {schema_name}.posts")
        low, high = cur.fetchone() or (None, None)
    return {
        "min_created_at": low.isoformat() + "Z" if low is not None else None,
        "max_created_at": high.isoformat() + "Z" if high is not None else None,
    }
