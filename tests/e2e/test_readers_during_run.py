"""Readers of the served file never block a run and never see anything but a whole, gated snapshot.

While ``producthuntdb run`` (a real subprocess) harvests new posts of a ``small`` world, builds,
gates, serves and exports, two other processes read the served file: one holds a single read-only
connection through the whole run, the other reconnects again and again. The run must exit 0, every
reader query must succeed, and every observation must be the previous snapshot or the new one.
The run's own log must show the gate ran exactly once, before the served file was swapped.

Nothing here depends on speed: each reader makes its first observation before the run starts and
its last after the run ended, so on any machine the poller sees the old snapshot first and the
new one last; how many observations fall in between, and how long each took, is ``make bench``'s
business (``bench/reader.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from producthuntdb import warehouse
from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.settings import Settings
from tests.plugins.emulator import shared_world
from tests.plugins.pipeline import TEST_TOKEN, UNTHROTTLED

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
READER = """
import json, sys, time, pathlib
import duckdb

path, mode, stop = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])

def observe(con):
    marts = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
    counts = {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in marts}
    published = con.execute("select published_at from meta.publication").fetchone()[0]
    return {"counts": counts, "published_at": published}

held = duckdb.connect(path, read_only=True) if mode == "hold" else None
first = True
while True:
    last = stop.exists()  # read before observing: the observation after the run ended is always made
    try:
        if held is not None:
            seen = observe(held)
        else:
            with duckdb.connect(path, read_only=True) as con:
                seen = observe(con)
    except Exception as exc:
        seen = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(seen), flush=True)
    if first:
        print(json.dumps({"ready": True}), flush=True)
        first = False
    if last:
        break
    time.sleep(0.1)
"""


@pytest.fixture(scope="module")
def before_run(small_served: Settings, small_synced: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir as a previous run left it: the synced working file, dlt's state and a served snapshot."""
    data_dir = tmp_path_factory.mktemp("readers") / "data"
    shutil.copytree(small_synced.data_dir, data_dir, ignore=shutil.ignore_patterns("logs"))
    shutil.copyfile(small_served.served_path, data_dir / "producthunt.duckdb")
    return data_dir


@pytest.fixture
def emulator_a_day_later() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(scale="small", budget=UNTHROTTLED)
    server = EmulatorServer(config, world=shared_world(config)).start()
    try:
        response = httpx.post(f"{server.base_url}/_emulator/clock", json={"advance_seconds": 86_400}, timeout=10)
        response.raise_for_status()
        yield server
    finally:
        server.stop()


def _start_reader(served: Path, mode: str, stop: Path, out: Path) -> subprocess.Popen[str]:
    handle = out.open("w", encoding="utf-8")
    reader = subprocess.Popen([sys.executable, "-c", READER, str(served), mode, str(stop)], stdout=handle, text=True)
    handle.close()
    while '"ready"' not in out.read_text("utf-8"):  # its first observation is made: the run may start
        assert reader.poll() is None, f"{mode} reader stopped before its first observation"
        time.sleep(0.05)
    return reader


def _observations(out: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    return [line for line in lines if "ready" not in line]


@pytest.mark.timeout(1800)  # a whole run of `small`: minutes on a busy machine
def test_readers_never_block_a_run_and_see_only_whole_snapshots(
    before_run: Path, emulator_a_day_later: EmulatorServer, tmp_path: Path
) -> None:
    served = before_run / "producthunt.duckdb"
    with warehouse.opened(served) as con:
        previous = warehouse.mart_counts(con)
    stop = tmp_path / "stop"
    holder = _start_reader(served, "hold", stop, tmp_path / "held.jsonl")
    poller = _start_reader(served, "poll", stop, tmp_path / "polled.jsonl")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PRODUCTHUNT_")},
        "PRODUCTHUNT_ENVIRONMENT": "testing",
        "PRODUCTHUNT_DATA_DIR": str(before_run),
        "PRODUCTHUNT_API_URL": emulator_a_day_later.url,
        "PRODUCTHUNT_TOKEN": TEST_TOKEN,
        "PRODUCTHUNT_DBT_PROJECT_DIR": str(DBT_PROJECT),
        "PRODUCTHUNT_LOG_LEVEL": "INFO",
    }
    try:
        run = subprocess.run(
            [str(Path(sys.executable).parent / "producthuntdb"), "run"],
            env=env, capture_output=True, text=True, timeout=1800, cwd=tmp_path,
        )
    finally:
        stop.touch()
        for reader in (holder, poller):
            reader.wait(timeout=120)

    assert run.returncode == 0, run.stderr[-3000:]
    with warehouse.opened(served) as con:
        current = warehouse.mart_counts(con)
    assert current["posts"] > previous["posts"], "the run harvested a day of new posts"

    held = _observations(tmp_path / "held.jsonl")
    polled = _observations(tmp_path / "polled.jsonl")
    assert len(held) >= 2 and len(polled) >= 2, "one observation before the run and one after, at least"
    errors = [o["error"] for o in held + polled if "error" in o]
    assert errors == []
    # the held connection keeps its snapshot through the swap; the poller sees old, then new, never between
    assert {json.dumps(o["counts"], sort_keys=True) for o in held} == {json.dumps(previous, sort_keys=True)}
    seen = [o["counts"] for o in polled]
    assert all(c in (previous, current) for c in seen)
    assert seen[0] == previous and seen[-1] == current
    switched = next(i for i, c in enumerate(seen) if c == current)
    assert all(c == current for c in seen[switched:])

    # the run's own log: the gate ran once, and the served file was swapped after it passed
    records = [
        json.loads(line)
        for log in sorted((before_run / "logs").glob("*.jsonl"))
        for line in log.read_text("utf-8").splitlines()
        if line.strip()
    ]
    messages = [r.get("message", "") for r in records]
    gates = [i for i, m in enumerate(messages) if m.startswith("gate passed") or m.startswith("gate failed")]
    swaps = [i for i, m in enumerate(messages) if m.startswith("served file swapped")]
    assert len(gates) == 1, [messages[i] for i in gates]
    assert len(swaps) == 1 and gates[0] < swaps[0]
    stages = [r.get("stage") for r in records]
    assert stages.index("serve") < stages.index("export")
