"""A server that prices on its own terms: the paced sync learns the real price (issue 13).

The emulator charges with its own pricer (``emulator/pricing.py``) under each rule and factor;
the client starts from its estimate and must still use 90% of the windows, provoke at most
two 429s, load the whole truth and report the points the server really charged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from producthuntdb.emulator import EmulatorServer
from tests.plugins.pipeline import emulator_truth, raw_counts, raw_query, run_sync_into

CORE = ("posts", "topics", "post_topics", "post_makers", "collections", "collection_posts")


@pytest.mark.parametrize(
    ("cost_model", "cost_factor"), [("current", 1.0), ("legacy-nodes", 1.0), ("current", 1.5), ("nested", 1.0)],
    ids=["current", "legacy-nodes", "current-x1.5", "nested"],
)
def test_paced_sync_learns_the_server_price(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer], cost_model: str, cost_factor: float
) -> None:
    server = emulator_factory(
        scale="tiny", budget=3000, window_seconds=4, cost_model=cost_model, cost_factor=cost_factor
    )
    settings, report = run_sync_into(tmp_path, server.url)
    stats = httpx.get(f"{server.base_url}/_emulator/stats").json()
    truth = emulator_truth(server.base_url)
    assert report.status == "ok"
    assert report.n_429 <= 2 and stats["responses_by_status"].get("429", 0) <= 2, stats
    assert stats["points_spent"] > 2 * 3000, "the run spanned several windows"
    # A chunk is loaded while the window resets, so on a slow machine a load can outlast the reset
    # and the run need not wait at all. A window it did wait on may end early before a request that
    # cannot shrink (a 1,104-point collections page under legacy-nodes is a third of this budget);
    # across those windows, 90 % must be spent.
    usage = report.window_usage
    assert not usage or sum(usage) / len(usage) >= 0.9, usage
    counts = raw_counts(settings)
    for table in CORE:
        assert counts[table] == (truth[table], truth[table]), table
    (recorded,) = raw_query(settings, "select points from raw._sync_runs")[0]
    assert recorded == report.points
    assert abs(recorded - stats["points_spent"]) <= 0.05 * stats["points_spent"], (recorded, stats)
