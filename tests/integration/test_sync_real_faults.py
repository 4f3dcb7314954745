"""The failure shapes of the real API's edge, through a whole sync (issue 13).

Each kind at rate 0.1 must leave the raw tables equal to the truth; a firewall that blocks
every request ends the CLI with one line and exit 1; an epoch reset never makes the client
sleep longer than a window.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.api.queries import load_query
from producthuntdb.emulator import EmulatorServer
from tests.plugins.pipeline import (
    TEST_TOKEN,
    UNTHROTTLED,
    emulator_truth,
    raw_counts,
    run_sync_into,
    test_settings,
)

CORE = ("posts", "topics", "post_topics", "post_makers", "collections", "collection_posts")
KINDS = ("html_502", "waf_403", "429_bare", "retry_after", "epoch_reset", "partial", "complexity", "429_real")


@pytest.mark.parametrize("kind", KINDS)
def test_each_edge_failure_at_rate_0_1_still_loads_the_truth(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer], kind: str
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, window_seconds=2, fault_rate=0.1, faults=(kind,))
    settings, report = run_sync_into(tmp_path, server.url, backoff_base=0.01)
    truth = emulator_truth(server.base_url)
    stats = server.app.stats.snapshot()
    assert stats["faults_by_kind"].get(kind, 0) >= 1, stats
    assert report.status == "ok", report.stop_reason
    assert abs(report.points - stats["points_spent"]) <= 0.05 * stats["points_spent"], (report.points, stats)
    counts = raw_counts(settings)
    for table in CORE:
        assert counts[table] == (truth[table], truth[table]), (kind, table)


def test_a_firewall_blocking_everything_ends_in_one_line(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", fault_rate=1.0, faults=("waf_403",))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCTHUNT_")}
    env.update(PRODUCTHUNT_DATA_DIR=str(tmp_path), PRODUCTHUNT_API_URL=server.url, PRODUCTHUNT_TOKEN=TEST_TOKEN)
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("producthuntdb")), "sync"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "HTTP 403 (text/html" in errors[0] and "firewall" in errors[0]
    assert "<" not in proc.stderr and "Traceback" not in proc.stderr


def test_epoch_resets_never_sleep_longer_than_the_window(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", budget=1000, window_seconds=2, fault_rate=1.0, faults=("epoch_reset",))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    governor = BudgetGovernor(sleep=sleep)
    query = load_query("posts_page")
    with GraphQLClient(test_settings(tmp_path, server.url), governor) as client:
        cursor, pages = None, 0
        while pages < 8:
            posts = client.execute(query, {"first": client.fit_first(query), "cursor": cursor})["posts"]
            pages += 1
            cursor = posts["pageInfo"]["endCursor"]
            if not posts["pageInfo"]["hasNextPage"]:
                break
    assert sleeps, "the budget made the client wait"
    assert max(sleeps) <= 2 + 0.1, sleeps
    assert governor.n_429 == 0
