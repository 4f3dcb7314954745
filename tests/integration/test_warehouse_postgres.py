"""Every stage on a real PostgreSQL server: sync → build → check → export, then an incremental round.

One ``small`` world is synced into a fresh database once for the module; the marts must equal the
emulator's truth and match, mart by mart, the same world built on DuckDB (``small_built``): same
row counts, same columns, same content checksum computed inside each database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pyarrow.parquet as pq
import pytest
from pydantic import SecretStr

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.export import ExportReport, run_export
from producthuntdb.quality import run_gate
from producthuntdb.settings import Settings
from producthuntdb.status import collect_status
from producthuntdb.syncmodel import SyncReport
from producthuntdb.transform import BuildReport, run_build
from tests.plugins.checksum import duckdb_checksums, postgres_checksums
from tests.plugins.emulator import shared_world
from tests.plugins.pipeline import UNTHROTTLED, emulator_truth, run_sync_into
from tests.plugins.postgres import PgServer
from tests.plugins.warehouse import DBT_PROJECT_DIR

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
DAY = 86_400


@dataclass
class PgRun:
    settings: Settings
    server: EmulatorServer
    url: str
    sync: SyncReport
    build: BuildReport
    export: ExportReport
    truth: dict[str, int]

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        import psycopg2

        con = psycopg2.connect(self.url)
        try:
            with con.cursor() as cur:
                cur.execute(sql, params or None)
                return list(cur.fetchall())
        finally:
            con.close()


@pytest.fixture(scope="module")
def pg_run(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgRun]:
    database = pg_server.create_database("small_world")
    url = pg_server.url(database)
    config = EmulatorConfig(scale="small", budget=UNTHROTTLED)
    server = EmulatorServer(config, world=shared_world(config)).start()
    try:
        overrides = {
            "destination": "postgres", "postgres_url": SecretStr(url), "dbt_project_dir": DBT_PROJECT_DIR,
        }
        settings, sync = run_sync_into(tmp_path_factory.mktemp("pg_run"), server.url, overrides, with_=frozenset({"media"}))  # as small_synced
        build = run_build(settings)
        gate = run_gate(settings)  # check, then export with its report: the gate runs once
        assert gate.passed, gate.failures
        export = run_export(settings, gate=gate)
        yield PgRun(settings, server, url, sync, build, export, emulator_truth(server.base_url))
    finally:
        server.stop()


def test_every_stage_runs_on_postgres(pg_run: PgRun) -> None:
    assert pg_run.sync.status == "ok"
    assert pg_run.build.failures == [] and pg_run.build.tests_passed > 100
    gate = pg_run.export.gate  # the gate record the export shipped under
    assert gate["passed"] and gate["evaluated"] > 50
    # nothing was written to a DuckDB file: the warehouse holds the data
    assert not pg_run.settings.db_path.exists()
    schemas = {r[0] for r in pg_run.query("select schema_name from information_schema.schemata")}
    assert {"raw", "staging", "marts"} <= schemas


def test_posts_equal_the_truth(pg_run: PgRun) -> None:
    rows = pg_run.query("select count(*), count(distinct post_id) from marts.posts")
    assert rows == [(pg_run.truth["posts"], pg_run.truth["posts"])]
    for mart in ("topics", "post_topics", "post_makers", "collections", "collection_posts"):
        assert pg_run.build.mart_rows[mart] == pg_run.truth[mart], mart


def test_export_streams_the_warehouse_into_files(pg_run: PgRun) -> None:
    manifest = json.loads(pg_run.export.manifest_path.read_text("utf-8"))
    for table, info in manifest["tables"].items():
        assert info["rows"] == pg_run.build.mart_rows[table], table
        parquet = pg_run.export.out_dir / info["files"]["parquet"]["path"]
        assert pq.ParquetFile(parquet).metadata.num_rows == info["rows"]
        csv_lines = (pg_run.export.out_dir / info["files"]["csv"]["path"]).read_text("utf-8").count("\n")
        assert csv_lines == info["rows"] + 1, table  # a header, then one line per row (no multi-line values)
    posts = {c["name"]: c["type"] for c in manifest["tables"]["posts"]["columns"]}
    assert posts["post_id"] == "VARCHAR" and posts["created_at"] == "TIMESTAMP" and posts["is_featured"] == "BOOLEAN"
    assert manifest["sync_window"]["min_created_at"].endswith("Z")


def test_every_mart_matches_the_duckdb_build(pg_run: PgRun, small_built: Settings) -> None:
    on_duckdb = duckdb_checksums(small_built.db_path)
    on_postgres = postgres_checksums(pg_run.url)
    assert set(on_postgres) == set(on_duckdb) and len(on_duckdb) == 16
    for mart, (rows, columns, checksum) in on_duckdb.items():
        assert on_postgres[mart][0] == rows, f"{mart}: {on_postgres[mart][0]} rows on postgres, {rows} on duckdb"
        assert on_postgres[mart][1] == columns, mart
        assert on_postgres[mart][2] == checksum, f"{mart}: content differs"
    assert on_duckdb["posts"][0] > 0 and on_duckdb["leaderboard_daily"][0] > 0


def test_status_reads_the_warehouse(pg_run: PgRun) -> None:
    info = collect_status(pg_run.settings, estimate=False)
    assert "error" not in info, info.get("error")
    assert info["destination"] == "postgres" and info["db_path"].startswith("postgresql://postgres@127.0.0.1:")
    assert info["posts"] == pg_run.truth["posts"] == info["tables"]["raw"]["posts"]
    assert info["tables"]["marts"] == pg_run.build.mart_rows
    assert "raw_staging" not in info["tables"], "dlt's merge staging schema is bookkeeping"
    assert info["last_runs"][0]["run_id"] == pg_run.sync.run_id and info["last_runs"][0]["status"] == "ok"
    assert info["backfill"]["high_water"] is not None


def test_incremental_round_on_postgres(pg_run: PgRun) -> None:
    # runs last in this module: it moves the warehouse one emulator day forward
    before = dict(pg_run.query("select post_id, votes_count from marts.posts"))
    history_before = pg_run.query("select count(*) from marts.post_metrics_history")[0][0]
    httpx.post(f"{pg_run.server.base_url}/_emulator/clock", json={"advance_seconds": DAY}, timeout=10).raise_for_status()
    overrides = {
        "destination": "postgres", "postgres_url": SecretStr(pg_run.url), "dbt_project_dir": DBT_PROJECT_DIR,
    }
    settings, sync = run_sync_into(pg_run.settings.data_dir, pg_run.server.url, overrides)
    assert sync.status == "ok"
    second = run_build(settings)
    assert second.failures == []
    truth = emulator_truth(pg_run.server.base_url)

    after = dict(pg_run.query("select post_id, votes_count from marts.posts"))
    assert len(after) == truth["posts"] > len(before)
    changed = {p for p in before if after[p] != before[p]}
    assert changed, "a day later the emulator's recent posts have more votes"
    history_after = pg_run.query("select count(*) from marts.post_metrics_history")[0][0]
    written = pg_run.query(
        "select count(*) from marts.post_metrics_history where _loaded_by = %s", second.invocation_id
    )[0][0]
    assert written > 0 and history_after == history_before + written
    assert second.rows_written["post_metrics_history"] == written
    for post_id in changed:
        rows = pg_run.query(
            "select votes_count from marts.post_metrics_history where post_id = %s order by observed_at", post_id
        )
        assert len(rows) >= 2 and rows[0][0] == before[post_id] and rows[-1][0] == after[post_id]
