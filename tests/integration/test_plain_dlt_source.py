"""The source run by plain dlt, as a dlt user runs a verified source: ``dlt.pipeline(...).run(producthunt(...))``
loads the same raw tables as ``producthuntdb sync`` on the same world, in one load (issue 24)."""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import duckdb
import httpx
import pytest

from producthuntdb.emulator import EmulatorServer
from producthuntdb.errors import ConfigError
from producthuntdb.source import producthunt
from producthuntdb.source.contract import TABLES
from tests.plugins.pipeline import PRIMARY_KEYS, TEST_TOKEN, UNTHROTTLED, emulator_truth, sync_into

REPO = Path(__file__).resolve().parents[2]

OPT_IN = frozenset({"comments", "media"})
WHEN_OBSERVED = {"observed_at", "run_id", "first_seen", "last_attempt", "resolved_at", "recorded_at"}
"""Columns that say when (or by which run) a row was seen, not what the API answered."""


def raw_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw table's rows, sorted, without dlt's ``_dlt_*`` columns, observation times or the
    sync's own record (``_sync_runs``, which a plain dlt run does not write)."""
    with duckdb.connect(str(path), read_only=True) as con:
        present = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()}
        found = {}
        for table, spec in TABLES.items():
            if table == "_sync_runs" or table not in present:
                continue
            columns = ", ".join(name for name in spec.types if name not in WHEN_OBSERVED)
            found[table] = sorted(con.execute(f"SELECT {columns} FROM raw.{table}").fetchall(), key=repr)
    return found


def test_a_plain_dlt_run_loads_the_raw_tables_a_sync_loads(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    # several loads against one; comments read the posts an earlier phase loaded
    synced = sync_into(tmp_path / "sync", server.url, chunk_pages=40, with_=OPT_IN)

    # dlt's default order, as in a fresh process (a sync sets "fifo" for the whole process): the
    # source must ask for the order its resources need itself
    dlt.config["extract.next_item_mode"] = "round_robin"
    path = tmp_path / "plain" / "producthunt.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="producthunt_plain", pipelines_dir=str(tmp_path / "plain" / "dlt"),
        destination=dlt.destinations.duckdb(str(path)), dataset_name="raw", dev_mode=False,
    )
    info = pipeline.run(producthunt(api_url=server.url, token=TEST_TOKEN, with_=OPT_IN))
    assert not info.has_failed_jobs and len(info.loads_ids) == 1
    assert_same_rows(raw_rows(synced.db_path), raw_rows(path))

    # two days later: new posts, and counts that grew on loaded ones (the look-back), in both
    httpx.post(f"{server.base_url}/_emulator/clock", json={"advance_seconds": 2 * 86400}, timeout=30)
    sync_into(tmp_path / "sync", server.url, chunk_pages=40, with_=OPT_IN)
    info = pipeline.run(producthunt(api_url=server.url, token=TEST_TOKEN, with_=OPT_IN))
    assert not info.has_failed_jobs and len(info.loads_ids) == 1
    assert_same_rows(raw_rows(synced.db_path), raw_rows(path))


def assert_same_rows(expected: dict[str, list[tuple[Any, ...]]], got: dict[str, list[tuple[Any, ...]]]) -> None:
    assert set(got) == set(expected)
    for table, rows in expected.items():
        assert rows, f"the sync loaded no {table}: nothing compared"
        assert got[table] == rows, table


def test_the_pipeline_script_loads_with_dlt_config_alone(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``load_producthunt()`` of ``pipelines/producthunt.py``: the token and URL from dlt's config
    (``[sources.producthunt]``, here its environment variables), the rows in ``./producthunt.duckdb``."""
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("SOURCES__PRODUCTHUNT__TOKEN", TEST_TOKEN)
    monkeypatch.setenv("SOURCES__PRODUCTHUNT__API_URL", server.url)
    script = runpy.run_path(str(REPO / "pipelines" / "producthunt.py"))
    script["load_producthunt"]()
    assert "1 load package(s) were loaded" in capsys.readouterr().out
    truth = emulator_truth(server.base_url)
    with duckdb.connect(str(tmp_path / "producthunt.duckdb"), read_only=True) as con:
        for table in ("posts", "topics", "post_topics", "collections"):
            assert con.execute(f"SELECT count(DISTINCT ({PRIMARY_KEYS[table]})) FROM raw.{table}").fetchone() == (truth[table],)
    assert (tmp_path / "dlt" / "pipelines" / "producthunt").is_dir()


def test_an_unknown_opt_in_is_one_config_error_before_any_request() -> None:
    with pytest.raises(ConfigError, match=r"^with_: unknown bogus \(choose from comments, votes, media\)$"):
        producthunt(api_url="http://127.0.0.1:9/v2/api/graphql", token=TEST_TOKEN, with_="comments,bogus")
