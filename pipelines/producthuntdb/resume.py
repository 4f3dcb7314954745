"""What a published dataset carries so that a harvest can resume from it, and the seeding that uses it.

A history of Product Hunt is weeks of API budget; the published dataset already holds it. For a
new working file (a maintainer starting over, a scheduled load whose cache was evicted) to go on
from that dataset instead of from 2013, the dataset must say how far its marts go. That is the
**harvest record**:

* ``position`` — the harvest position (dlt source state, key ``harvest``: the posts windows'
  high-water mark, the topic-membership mark, refresh times, ...) *as of the newest load the marts
  were built from* (``through_load_id``, the largest ``_dlt_load_id`` in the marts' lineage
  columns). The working file may have been synced further after the gate ran; a position taken
  from there could claim posts the marts do not hold, and a resumed harvest would never fetch
  them. dlt keeps a state row per load, committed with that load's rows, so the state of that
  load is exactly what the marts cover;
* ``quarantine`` — posts set aside as unreadable and not resolved by then, to be retried;
* ``schema_version`` — :data:`SCHEMA_VERSION`, the version of the marts' columns and of this
  record: raw rows are rebuilt from the marts (below), which only this version knows how to do.

``serve`` writes the record into the served file (``meta.harvest``), ``export`` copies it into the
manifest, ``pull`` writes it back into the served file it builds and, with ``--resume``, seeds a
new working file: the raw tables are **rebuilt from the marts** (the inverse of the staging
models: a redacted maker is ``"0"`` again, timestamps UTC with a zone, an observation per
``post_metrics_history`` row) and loaded through dlt with the position in the same load package,
as every harvest load is. ``dbt build`` on that file gives back the marts that were published,
and the next ``sync`` continues from the position.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from producthuntdb import warehouse
from producthuntdb.errors import StageError
from producthuntdb.settings import Settings
from producthuntdb.source.contract import TABLES
from producthuntdb.warehouse import MARTS_SCHEMA, quote_identifier, quote_literal

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION = 2
"""Raise it when the marts' columns or the record change in a way :data:`RAW_FROM_MARTS` cannot read.
2: ``posts.user_id`` became ``hunter_id``; ``posts.thumbnail_url`` and the ``post_links`` mart came
(issue 22). A version-1 dataset is still read (:data:`VERSION_1`)."""
META_SCHEMA = "meta"
HARVEST_TABLE = "harvest"
LINEAGE = "_dlt_load_id"
BATCH_ROWS = 100_000

REDACTED_ID = "'0'"
RAW_FROM_MARTS: dict[str, tuple[str, dict[str, str]]] = {
    # raw table: (mart, {raw column: SQL over the mart}); a column not listed is the mart's column of that name
    "posts": (
        "posts",
        {
            "id": "post_id",
            "user_id": f"case when is_hunter_redacted then {REDACTED_ID} else hunter_id end",
            "repaired": "null",  # which raw text the harvest repaired: a fact of that fetch, not published
        },
    ),
    "post_metrics": ("post_metrics_history", {}),
    "topics": ("topics", {"id": "topic_id"}),
    "users": (
        "users",
        {
            "id": "user_id",
            # the API redacts name, username and url together, and then its is_maker means nothing (NULL in
            # the mart); a user whose only redacted field was the url kept is_maker
            "username": "case when is_redacted and is_maker is null then coalesce(username, '[REDACTED]') "
            "else username end",
            "url": "case when is_redacted and is_maker is not null then coalesce(url, '[REDACTED]') else url end",
            "is_viewer": "false",  # the token's owner is in no mart (the next sync flags its own again)
        },
    ),
    "post_topics": ("post_topics", {}),
    "post_links": ("post_links", {"type": "link_type"}),
    "post_makers": (
        "post_makers", {"maker_id": f"case when is_maker_redacted then {REDACTED_ID} else maker_id end"}
    ),
    "collections": (
        "collections",
        {"id": "collection_id", "user_id": f"case when is_user_redacted then {REDACTED_ID} else user_id end"},
    ),
    "collection_posts": ("collection_posts", {}),
    "comments": (
        "comments", {"id": "comment_id", "user_id": f"case when is_user_redacted then {REDACTED_ID} else user_id end"}
    ),
    "votes": ("votes", {"id": "vote_id", "user_id": f"case when is_user_redacted then {REDACTED_ID} else user_id end"}),
}
"""The staging models read backwards: raw rows whose ``dbt build`` gives back the marts."""

VERSION_1: dict[str, dict[str, str] | None] = {
    "posts": {"user_id": f"case when is_user_redacted then {REDACTED_ID} else user_id end", "thumbnail_url": "null"},
    "post_links": None,  # not published then: a post's links come with its next fetch
}
"""How a dataset of schema version 1 differs: raw columns read otherwise, raw tables it cannot seed."""
READABLE_VERSIONS = (1, SCHEMA_VERSION)


# ----------------------------------------------------------------------------- the record
def harvest_record(
    con: duckdb.DuckDBPyConnection, database: str, dataset: str, pipeline_name: str
) -> dict[str, Any] | None:
    """The record of the working file attached as ``database``; None when its marts say nothing of a harvest."""
    through = _newest_load_in_marts(con, database)
    if through is None or not _has_table(con, database, dataset, "_dlt_pipeline_state"):
        return None
    raw = f"{quote_identifier(database)}.{quote_identifier(dataset)}"
    row = con.execute(
        f"select state from {raw}._dlt_pipeline_state where pipeline_name = ? and _dlt_load_id <= ? "
        f"and _dlt_load_id in (select load_id from {raw}._dlt_loads where status = 0) "
        "order by _dlt_load_id desc, version desc limit 1",
        [pipeline_name, through],
    ).fetchone()
    if not row:
        return None
    from dlt.pipeline.state_sync import decompress_state

    from producthuntdb.source import read_position

    position = read_position(dict(decompress_state(row[0])))
    if position is None:
        return None
    return {
        "schema_version": SCHEMA_VERSION,
        "through_load_id": through,
        "position": position,
        "quarantine": _open_quarantine(con, database, dataset, through),
    }


def _newest_load_in_marts(con: duckdb.DuckDBPyConnection, database: str) -> str | None:
    tables = [
        str(r[0])
        for r in con.execute(
            "select c.table_name from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, table_name) "
            "where c.database_name = ? and c.schema_name = ? and c.column_name = ?",
            [database, MARTS_SCHEMA, LINEAGE],
        ).fetchall()
    ]
    newest = None
    for table in tables:
        row = con.execute(
            f"select max({LINEAGE}) from {quote_identifier(database)}.{MARTS_SCHEMA}.{quote_identifier(table)}"
        ).fetchone()
        if row and row[0] is not None and (newest is None or str(row[0]) > newest):
            newest = str(row[0])
    return newest


def _has_table(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [database, schema, table],
    ).fetchone()
    return bool(row and row[0])


def _open_quarantine(con: duckdb.DuckDBPyConnection, database: str, dataset: str, through: str) -> list[dict[str, Any]]:
    """Quarantined posts still open as of ``through`` (one resolved later was open then: it is retried)."""
    if not _has_table(con, database, dataset, "_quarantine"):
        return []
    cursor = con.execute(
        f"select * from {quote_identifier(database)}.{quote_identifier(dataset)}._quarantine "
        f"where resolved_at is null or {LINEAGE} > ? order by entity, id",
        [through],
    )
    names = [d[0] for d in cursor.description or []]
    keep = [n for n in names if n in TABLES["_quarantine"].types and n != "resolved_at"]
    return [
        {name: _jsonable(value) for name, value in zip(names, row, strict=True) if name in keep}
        for row in cursor.fetchall()
    ]


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def write_record(con: duckdb.DuckDBPyConnection, database: str, record: dict[str, Any] | None) -> None:
    """``meta.harvest`` of the file attached as ``database`` (its ``meta`` schema exists already)."""
    table = f"{quote_identifier(database)}.{META_SCHEMA}.{HARVEST_TABLE}"
    con.execute(f"create table {table} (schema_version integer, record varchar)")
    if record is not None:
        con.execute(f"insert into {table} values (?, ?)", [record.get("schema_version"), json.dumps(record)])
    con.execute(
        f"comment on table {table} is 'How far these marts go in the harvest: producthuntdb pull --resume "
        "continues from here (empty when they were not harvested by ProductHuntDB).'"
    )


def read_record(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The served file's harvest record; None when it has none (an older file, or marts without lineage)."""
    try:
        row = con.execute(f"select record from {META_SCHEMA}.{HARVEST_TABLE} limit 1").fetchone()
    except Exception:  # no such table: a file served before the record existed
        return None
    if not row or row[0] is None:
        return None
    try:
        record = json.loads(row[0])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def resumable_problem(record: Any) -> str | None:
    """Why a dataset's record cannot seed a harvest (one line), or None."""
    if not isinstance(record, dict) or not isinstance(record.get("position"), dict):
        return "it carries no harvest position (exported before ProductHuntDB recorded one, or not harvested)"
    version = record.get("schema_version")
    if version not in READABLE_VERSIONS:
        return f"its schema version is {version}, this ProductHuntDB reads {SCHEMA_VERSION}: update ProductHuntDB"
    return None


# ----------------------------------------------------------------------------- seeding a working file
def seed_working_file(settings: Settings, served: Path, record: dict[str, Any]) -> dict[str, int]:
    """A new working file at ``settings.db_path`` holding raw rows rebuilt from ``served``'s marts and
    ``record``'s position, loaded through dlt in one package; built beside it and renamed into place."""
    work = settings.db_path
    if work.exists():
        raise StageError(f"{work} exists: pull --resume seeds only a new working file (move that one away first)")
    _remove_stale_seeds(settings)
    token = uuid.uuid4().hex[:8]
    tmp = work.parent / f".{work.name}.seed-{token}"
    seeding = settings.model_copy(update={"work_duckdb_path": tmp, "pipelines_dir": settings.dlt_dir / f".seed-{token}"})
    warehouse.create_file(tmp, settings.storage_version)
    try:
        counts = _load(seeding, served, record)
        with warehouse.opened(tmp, read_only=False) as con:
            con.execute("checkpoint")
        os.replace(tmp, work)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(seeding.dlt_dir, ignore_errors=True)
    logger.info("seeded {} from {}: {}", work, served, counts)
    return counts


def _remove_stale_seeds(settings: Settings) -> None:
    """What a killed ``pull --resume`` left: its half-seeded file (and WAL) and its dlt directory."""
    work = settings.db_path
    pattern = re.compile(re.escape(f".{work.name}.seed-") + r"[0-9a-f]{8}(\.wal)?")
    for stale in work.parent.glob(f".{work.name}.seed-*"):
        if stale.is_file() and pattern.fullmatch(stale.name):
            stale.unlink(missing_ok=True)
    for stale in settings.dlt_dir.glob(".seed-*"):
        if stale.is_dir() and re.fullmatch(r"\.seed-[0-9a-f]{8}", stale.name):
            shutil.rmtree(stale, ignore_errors=True)


def _load(seeding: Settings, served: Path, record: dict[str, Any]) -> dict[str, int]:
    import dlt

    from producthuntdb.loader import make_pipeline
    from producthuntdb.source import SOURCE_NAME, STATE_KEY
    from producthuntdb.warehouse.access import one_line

    with warehouse.attach_host() as reader:
        reader.execute("set TimeZone = 'UTC'")
        reader.execute(f"attach {quote_literal(served)} as pulled (read_only)")
        reader.execute("use pulled")
        statements = raw_statements(warehouse.table_columns(reader), int(record.get("schema_version") or SCHEMA_VERSION))
        reader.execute("use memory")
        counts = {table: 0 for table in statements}

        def rows(table: str, sql: str) -> Iterator[Any]:
            if table == "posts":  # the position rides in the same package as the rows it covers
                dlt.current.source_state()[STATE_KEY] = record["position"]
            cursor = reader.cursor()  # each resource reads on its own handle
            for batch in cursor.sql(sql).to_arrow_reader(BATCH_ROWS):
                counts[table] += batch.num_rows
                yield batch

        quarantine = record.get("quarantine") or []

        @dlt.source(name=SOURCE_NAME, max_table_nesting=0, root_key=False)
        def seed() -> list[Any]:
            resources = [dlt.resource(rows(t, sql), name=t, **TABLES[t].hints()) for t, sql in statements.items()]
            if quarantine:
                resources.append(dlt.resource(quarantine, name="_quarantine", **TABLES["_quarantine"].hints()))
            return resources

        dlt.config["normalize.parquet_normalizer.add_dlt_id"] = True
        dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
        try:
            pipeline = make_pipeline(seeding)
            pipeline.run(seed(), loader_file_format="parquet")  # DuckDB reads Parquet load files in one scan
        except Exception as exc:  # dlt wraps everything in PipelineStepFailed
            raise StageError(f"seeding the working file failed: {one_line(exc)}") from None
        finally:
            dlt.config["normalize.parquet_normalizer.add_dlt_id"] = False
            dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = False
    if quarantine:
        counts["_quarantine"] = len(quarantine)
    return counts


def raw_statements(marts: dict[str, dict[str, str]], version: int = SCHEMA_VERSION) -> dict[str, str]:
    """A SELECT per raw table over the attached ``pulled`` marts, typed as the raw contract says
    (a dataset of an older ``version`` read as it was published)."""
    statements = {}
    for table, (mart, own) in RAW_FROM_MARTS.items():
        older = VERSION_1.get(table, {}) if version == 1 else {}
        if older is None:
            continue
        exprs = {**own, **older}
        columns = marts.get(mart)
        if columns is None:
            raise StageError(f"the dataset has no {mart} table: it cannot seed raw.{table}")
        select = []
        for name, sql_type in TABLES[table].sql_types().items():
            expr = exprs.get(name, name)
            if expr == name and name not in columns:
                raise StageError(f"the dataset's {mart} table has no {name} column: it cannot seed raw.{table}")
            if sql_type == "timestamptz":
                expr = f"timezone('UTC', {expr})"  # the marts hold naive UTC
            select.append(f"cast({expr} as {sql_type}) as {quote_identifier(name)}")
        statements[table] = f"select {', '.join(select)} from pulled.{MARTS_SCHEMA}.{quote_identifier(mart)}"
    return statements
