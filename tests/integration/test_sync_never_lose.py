"""Never lose a row (issue 11): a failed load, a reader holding the file, another database file.

Every scenario ends the same way: one more ``sync`` leaves raw tables equal to the emulator's
``/_emulator/truth``, without duplicate ids, and the runs are recorded honestly.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.errors import ProductHuntDBError
from producthuntdb.settings import Settings
from producthuntdb.status import collect_status
from tests.plugins.emulator import shared_world
from tests.plugins.pipeline import (
    UNTHROTTLED,
    emulator_truth,
    raw_counts,
    raw_query,
    run_sync_into,
)

CORE = ("posts", "topics", "post_topics", "post_makers", "collections", "collection_posts")
CHUNK_PAGES = 75
"""Three chunk loads for `small`'s 219 pages: posts, membership and collections each end one."""


@pytest.fixture(scope="module")
def small() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(scale="small", budget=UNTHROTTLED)
    server = EmulatorServer(config, world=shared_world(config)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def truth(small: EmulatorServer) -> dict[str, int]:
    return emulator_truth(small.base_url)


@pytest.fixture(scope="module")
def chunk_loads(small: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many chunk loads a whole ``small`` sync makes (the boundaries to break)."""
    _, report = run_sync_into(tmp_path_factory.mktemp("count"), small.url, chunk_pages=CHUNK_PAGES)
    assert report.status == "ok" and report.loads >= 3
    return report.loads


def assert_equal_to_truth(settings: Settings, truth: dict[str, int]) -> None:
    counts = raw_counts(settings)
    for table in CORE:
        assert counts[table] == (truth[table], truth[table]), table  # every row, and no duplicate key


def last_run(settings: Settings) -> tuple[str, str | None]:
    rows = raw_query(settings, "select status, stop_reason from raw._sync_runs order by started_at desc limit 1")
    return rows[0][0], rows[0][1]


def test_the_nth_load_failing_loses_nothing_for_every_chunk_boundary(
    small: EmulatorServer, truth: dict[str, int], chunk_loads: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from producthuntdb import loader

    for n in range(1, chunk_loads + 1):
        data_dir = tmp_path / f"fail-{n}"
        with monkeypatch.context() as hook, pytest.raises(ProductHuntDBError, match=f"load {n} failed"):
            hook.setattr(loader, "FAIL_LOAD_AT", n)
            run_sync_into(data_dir, small.url, chunk_pages=CHUNK_PAGES)
        settings, report = run_sync_into(data_dir, small.url, chunk_pages=CHUNK_PAGES)
        assert report.status == "ok", n
        assert_equal_to_truth(settings, truth)
        statuses = raw_query(settings, "select status, stop_reason from raw._sync_runs order by started_at")
        assert [s for s, _ in statuses] == ["failed", "ok"], n
        assert f"load {n} failed" in str(statuses[0][1])


READER = """
import duckdb, pathlib, sys, time
db, stop, hold, pause = sys.argv[1], pathlib.Path(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
opened = 0
while not stop.exists():
    try:
        con = duckdb.connect(db, read_only=True)
    except duckdb.Error:
        time.sleep(0.02)
        continue
    opened += 1
    print("open", opened, flush=True)
    time.sleep(hold)
    con.close()
    time.sleep(pause)
"""


def start_reader(db: Path, stop: Path, hold: float, pause: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop), str(hold), str(pause)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def test_a_reader_polling_the_file_does_not_break_the_sync(
    small: EmulatorServer, truth: dict[str, int], tmp_path: Path
) -> None:
    settings, _ = run_sync_into(tmp_path, small.url, max_points=3000, chunk_pages=5)  # the file exists
    stop = tmp_path / "stop"
    reader = start_reader(settings.db_path, stop, hold=0.1, pause=0.1)  # opens it every 0.2 s
    try:
        settings, report = run_sync_into(tmp_path, small.url, chunk_pages=40)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=30)
    assert report.status == "ok"
    assert report.loads >= 5
    assert out.count("open") >= 5, "the reader never got in: the test proved nothing"
    assert_equal_to_truth(settings, truth)


def test_a_reader_holding_the_file_too_long_stops_the_sync_with_one_line(
    small: EmulatorServer, truth: dict[str, int], tmp_path: Path
) -> None:
    settings, _ = run_sync_into(tmp_path, small.url, max_points=3000, chunk_pages=5)
    stop = tmp_path / "stop"
    spent = points_spent(small)
    env = {
        "PATH": "/usr/bin:/bin", "PRODUCTHUNT_DATA_DIR": str(tmp_path), "PRODUCTHUNT_API_URL": small.url,
        "PRODUCTHUNT_TOKEN": "test-token-0123456789abcdef", "PRODUCTHUNT_ENVIRONMENT": "testing",
        "PRODUCTHUNT_LOCK_WAIT_SECONDS": "1.5", "RUNTIME__DLTHUB_TELEMETRY": "false",
        "PRODUCTHUNT_LOG_LEVEL": "WARNING",
    }
    sync = subprocess.Popen(
        [str(Path(sys.executable).with_name("producthuntdb")), "sync"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while points_spent(small) < spent + 20_000:  # the sync is under way
        assert sync.poll() is None and time.monotonic() < deadline, "the sync ended before the reader came"
        time.sleep(0.05)
    reader = start_reader(settings.db_path, stop, hold=30, pause=0)  # gets in between two loads, then holds
    try:
        out, err = sync.communicate(timeout=120)
    finally:
        stop.touch()
        reader.kill()
        reader.wait(10)
    assert sync.returncode == 1, (out, err)
    errors = [line for line in err.splitlines() if "gave up" in line]
    assert len(errors) == 1, err
    assert f"PID {reader.pid}" in errors[0]
    assert "Traceback" not in err and "DuckDbCredentials" not in err
    waiting = [line for line in err.splitlines() if "waiting to" in line]
    # the reader gets in while the sync fetches: its next load, or its next read of what is stored, waits
    assert waiting and f"PID {reader.pid}" in waiting[0], err
    assert re.search(r"waiting to (load|read it) \(", waiting[0]), err
    gaps = collect_status(settings, estimate=False)["gaps"]
    assert any("fetched but not stored" in gap for gap in gaps), gaps  # status shows the gap until filled
    settings, report = run_sync_into(tmp_path, small.url)
    assert report.status == "ok"
    assert_equal_to_truth(settings, truth)
    assert collect_status(settings, estimate=False)["gaps"] == []
    statuses = [s for (s,) in raw_query(settings, "select status from raw._sync_runs order by started_at")]
    assert statuses[-2:] == ["failed", "ok"], "the failed run's record is stored by the next run"


def points_spent(server: EmulatorServer) -> int:
    import httpx

    return int(httpx.get(f"{server.base_url}/_emulator/stats", timeout=10).json()["points_spent"])


def test_state_follows_the_database_file(small: EmulatorServer, truth: dict[str, int], tmp_path: Path) -> None:
    for name in ("a.duckdb", "b.duckdb", "a.duckdb"):
        settings, report = run_sync_into(tmp_path, small.url, settings_overrides={"duckdb_path": tmp_path / name})
        assert report.status == "ok", name
        assert_equal_to_truth(settings, truth)
    assert report.points < 1000, "the third run (back to a.duckdb) resumed from a.duckdb's position"
