"""The serve stage: publish the gated marts to the served file by writing a new file and renaming it.

People's DuckDB CLIs, notebooks and BI tools open ``PRODUCTHUNT_DUCKDB_PATH``. DuckDB lets one
process write a file and blocks writers while any other process reads it, so the pipeline never
writes that file in place: dlt, dbt and the gate work in the working file, and after a passing
gate this stage copies the marts (with their column comments and indexes) into a new file next
to the served one, in ``Settings.storage_version`` (what DuckDB 1.4/1.5 clients read), and
renames it over the served path. On POSIX the rename is atomic: a reader that already holds the
old file keeps reading its snapshot (the inode lives while it is open), a reader that connects
after the rename sees the new one, and none ever sees a mart half built or one the gate rejected.

The served file carries ``meta.publication``: when it was published, from which run, and the gate
report's row counts, so ``export`` can ship it without running the gate again; and ``meta.harvest``,
how far its marts go in the harvest (:mod:`resume`), so a dataset exported from it can be resumed.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb import warehouse
from producthuntdb.errors import StageError
from producthuntdb.quality.gate import GateReport, require_current
from producthuntdb.resume import harvest_record, write_record
from producthuntdb.settings import Settings
from producthuntdb.tracing import span
from producthuntdb.warehouse import MARTS_SCHEMA, quote_identifier, quote_literal

META_SCHEMA = "meta"
PUBLICATION = "publication"


@dataclass
class ServeReport:
    served_path: Path
    tables: dict[str, int]
    bytes_written: int
    storage_version: str
    elapsed: float
    published_at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "served_path": str(self.served_path),
            "tables": self.tables,
            "bytes_written": self.bytes_written,
            "storage_version": self.storage_version,
            "published_at": self.published_at,
            "elapsed_seconds": round(self.elapsed, 3),
        }


def run_serve(settings: Settings, gate: GateReport, run_id: str | None = None) -> ServeReport:
    """Publish the working file's marts to the served path; ``gate`` must have passed on exactly this data."""
    started = time.monotonic()
    require_current(gate, settings)
    served = settings.served_path
    served.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(served)
    tmp = served.parent / f".{served.name}.tmp-{uuid.uuid4().hex[:8]}"
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    with span("serve", served=str(served)):
        try:
            tables = _write_snapshot(settings, tmp, gate, published_at, run_id)
            swap_into_place(tmp, served)
        except BaseException:
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
            raise
    report = ServeReport(
        served, tables, served.stat().st_size, settings.storage_version, time.monotonic() - started, published_at
    )
    logger.bind(stage="serve").info(
        "served file swapped: {} ({} marts, {} bytes) in {:.2f}s", served, len(tables), report.bytes_written,
        report.elapsed,
    )
    return report


def _write_snapshot(
    settings: Settings, tmp: Path, gate: GateReport, published_at: str, run_id: str | None
) -> dict[str, int]:
    """Copy every mart, its comments and its indexes from the working file into a new file at ``tmp``."""
    import duckdb

    warehouse.create_file(tmp, settings.storage_version)
    con = duckdb.connect()
    try:
        con.execute(f"attach {quote_literal(settings.db_path)} as work (read_only)")
        con.execute(f"attach {quote_literal(tmp)} as served")
        con.execute("use work")
        columns = warehouse.table_columns(con)
        con.execute(f"create schema served.{MARTS_SCHEMA}")
        for table in columns:
            name = f"{MARTS_SCHEMA}.{quote_identifier(table)}"
            con.execute(f"create table served.{name} as select * from work.{name}")
        _copy_comments(con)
        _copy_indexes(con)
        con.execute("use served")
        counts = warehouse.table_counts(con, MARTS_SCHEMA, sorted(columns))
        if counts != gate.row_counts:  # the fingerprint makes this unreachable short of a bug: say so loudly
            raise StageError(f"the marts copied ({counts}) are not those the gate passed ({gate.row_counts})")
        write_publication(
            con, "served",
            {
                "published_at": published_at, "run_id": run_id, "gate_passed": gate.passed,
                "gate_evaluated": gate.evaluated, "row_counts": gate.row_counts,
            },
        )
        write_record(con, "served", harvest_record(con, "work", settings.dataset_name, settings.pipeline_name))
        con.execute("use memory")
        con.execute("detach work")
        con.execute("checkpoint served")
        con.execute("detach served")
    except duckdb.Error as exc:
        raise StageError(f"serving the marts failed: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return counts


def _copy_comments(con: Any) -> None:
    """dbt's ``persist_docs`` wrote model and column descriptions as comments: BI tools show them."""
    for table, comment in con.execute(
        "select table_name, comment from duckdb_tables() where database_name = 'work' and schema_name = ? "
        "and comment is not null",
        [MARTS_SCHEMA],
    ).fetchall():
        con.execute(f"comment on table served.{MARTS_SCHEMA}.{quote_identifier(table)} is {quote_literal(comment)}")
    for table, column, comment in con.execute(
        "select table_name, column_name, comment from duckdb_columns() where database_name = 'work' "
        "and schema_name = ? and comment is not null and table_name in "
        "(select table_name from duckdb_tables() where database_name = 'work' and schema_name = ?)",
        [MARTS_SCHEMA, MARTS_SCHEMA],
    ).fetchall():
        target = f"served.{MARTS_SCHEMA}.{quote_identifier(table)}.{quote_identifier(column)}"
        con.execute(f"comment on column {target} is {quote_literal(comment)}")


def _copy_indexes(con: Any) -> None:
    """The ``indexes`` dbt configured on the marts, recreated on the served copy (after the data: faster)."""
    for name, table, unique, sql in con.execute(
        "select index_name, table_name, is_unique, sql from duckdb_indexes() "
        "where database_name = 'work' and schema_name = ?",
        [MARTS_SCHEMA],
    ).fetchall():
        # DuckDB keeps the statement (`CREATE INDEX "i" ON marts.t(col, ...);`): reuse its column list
        columns = str(sql)[str(sql).index("(", str(sql).upper().index(" ON ")) :].rstrip().rstrip(";")
        con.execute(
            f"create {'unique ' if unique else ''}index {quote_identifier(name)} on "
            f"served.{MARTS_SCHEMA}.{quote_identifier(table)} {columns}"
        )


def write_publication(con: Any, database: str, publication: dict[str, Any]) -> None:
    """``meta.publication`` of the file attached as ``database``: the record :func:`read_publication` reads."""
    table = f"{quote_identifier(database)}.{META_SCHEMA}.{PUBLICATION}"
    con.execute(f"create schema {quote_identifier(database)}.{META_SCHEMA}")
    con.execute(
        f"create table {table} (published_at varchar, run_id varchar, "
        "gate_passed boolean, gate_evaluated integer, row_counts varchar)"
    )
    con.execute(
        f"insert into {table} values (?, ?, ?, ?, ?)",
        [
            publication["published_at"], publication["run_id"], publication["gate_passed"],
            publication["gate_evaluated"], json.dumps(publication["row_counts"], sort_keys=True),
        ],
    )
    con.execute(
        f"comment on table {table} is "
        "'When these marts were published by ProductHuntDB, and the quality gate they passed.'"
    )


def read_publication(con: Any) -> dict[str, Any] | None:
    """The served file's ``meta.publication`` row, None when the file has none (not made by serve)."""
    try:
        row = con.execute(
            f"select published_at, run_id, gate_passed, gate_evaluated, row_counts from {META_SCHEMA}.{PUBLICATION}"
        ).fetchone()
    except Exception:  # no such table: a file from before the served/working split, or a foreign file
        return None
    if row is None:
        return None
    return {
        "published_at": row[0],
        "run_id": row[1],
        "gate_passed": bool(row[2]),
        "gate_evaluated": int(row[3] or 0),
        "row_counts": {str(k): int(v) for k, v in json.loads(row[4] or "{}").items()},
    }


def swap_into_place(tmp: Path, served: Path) -> None:
    """Rename ``tmp`` over ``served``: readers of the old file keep it, new readers get the new one.

    A ``.wal`` beside the served path belongs to the old file (a crash of a writer from before the
    split): DuckDB would replay it into the new file, so it goes first.
    """
    served.with_name(served.name + ".wal").unlink(missing_ok=True)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)  # the new file is on disk before the name points at it
    finally:
        os.close(fd)
    os.replace(tmp, served)


def _remove_stale_temps(served: Path) -> None:
    """New files a crashed serve left behind (never the served file itself)."""
    for stale in served.parent.glob(f".{served.name}.tmp-*"):
        stale.unlink(missing_ok=True)
