"""Pipeline fixtures: sync the emulator into a DuckDB file.

* ``sync_into(data_dir, emulator_url, **options) -> Settings`` — one ``run_sync`` into
  ``data_dir`` (DuckDB at ``data_dir/producthunt.duckdb``, dlt working files under ``data_dir/dlt``);
  ``options`` are ``SyncOptions`` fields (``with_=frozenset({"comments"})``, ``max_points=…``);
  ``settings_overrides`` (a dict) adds ``Settings`` fields.
* ``run_sync_into(...)`` — the same, returning ``(settings, report)``.
* ``small_synced`` (session) — a ``small`` unthrottled world synced once per session, the
  emulator already stopped, thumbnails and product links included (``--with media``); yields the ``Settings`` (``.db_path`` is the file). Tests that
  write to it must copy the file first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from producthuntdb.settings import Settings
from producthuntdb.source.contract import TABLES
from producthuntdb.sync import run_sync
from producthuntdb.syncmodel import SyncOptions, SyncReport

TEST_TOKEN = "test-token-0123456789abcdef"
UNTHROTTLED = 10**9


def test_settings(data_dir: Path, emulator_url: str, **overrides: Any) -> Settings:
    return Settings(
        data_dir=data_dir, api_url=emulator_url, token=SecretStr(TEST_TOKEN), environment="testing", **overrides
    )


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def run_sync_into(
    data_dir: Path, emulator_url: str, settings_overrides: dict[str, Any] | None = None, **options: Any
) -> tuple[Settings, SyncReport]:
    settings = test_settings(data_dir, emulator_url, **(settings_overrides or {}))
    options.setdefault("progress", False)
    return settings, run_sync(settings, SyncOptions(**options))


def sync_into(
    data_dir: Path, emulator_url: str, settings_overrides: dict[str, Any] | None = None, **options: Any
) -> Settings:
    settings, _ = run_sync_into(data_dir, emulator_url, settings_overrides, **options)
    return settings


@pytest.fixture(scope="session")
def small_synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from producthuntdb.emulator import EmulatorConfig, EmulatorServer
    from tests.plugins.emulator import shared_world

    config = EmulatorConfig(scale="small", budget=UNTHROTTLED)
    server = EmulatorServer(config, world=shared_world(config)).start()
    try:
        settings = sync_into(tmp_path_factory.mktemp("small_synced"), server.url, with_=frozenset({"media"}))
    finally:
        server.stop()
    yield settings


# ----------------------------------------------------------------------------- helpers for assertions
RAW_TABLES = tuple(TABLES)
PRIMARY_KEYS = {name: ", ".join(spec.primary_key) for name, spec in TABLES.items()}


def emulator_truth(base_url: str) -> dict[str, int]:
    import httpx

    response = httpx.get(f"{base_url}/_emulator/truth", timeout=30)
    response.raise_for_status()
    return dict(response.json())


def raw_query(settings: Settings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the synced file (read-only; the connection is closed again)."""
    import duckdb

    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def raw_counts(settings: Settings) -> dict[str, tuple[int, int]]:
    """``{table: (rows, distinct primary keys)}`` for every raw table that exists."""
    existing = {
        r[0]
        for r in raw_query(
            settings, "select table_name from information_schema.tables where table_schema = 'raw'"
        )
    }
    counts = {}
    for table in RAW_TABLES:
        if table in existing:
            rows, keys = raw_query(
                settings, f"select count(*), count(distinct ({PRIMARY_KEYS[table]})) from raw.{table}"
            )[0]
            counts[table] = (int(rows), int(keys))
    return counts


CORE = ("posts", "topics", "post_topics", "post_makers", "collections", "collection_posts")
"""The raw tables a complete harvest makes equal to the emulator's truth."""


def assert_complete(settings: Settings, truth: dict[str, int]) -> None:
    """Each ``CORE`` table holds exactly the truth's number of rows, and no key twice."""
    counts = raw_counts(settings)
    for table in CORE:
        assert counts[table] == (truth[table], truth[table]), table
