"""A run that fails mid-way keeps what it fetched, records the failure, and the next run completes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from producthuntdb.emulator import EmulatorServer
from producthuntdb.errors import ApiError
from tests.plugins.pipeline import (
    UNTHROTTLED,
    emulator_truth,
    raw_counts,
    raw_query,
    run_sync_into,
    test_settings,
)


def test_failed_run_is_recorded_and_the_next_run_completes(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    config = f"{server.base_url}/_emulator/config"
    run_sync_into(tmp_path, server.url, max_points=2500)  # a first, bounded run: state exists
    httpx.post(config, json={"fault_rate": 0.2, "faults": ["503"]}, timeout=10).raise_for_status()
    with pytest.raises(ApiError, match="HTTP 503"):
        for _ in range(5):  # faults are drawn per request: some run fails once retries are off
            run_sync_into(tmp_path, server.url, settings_overrides={"max_retries": 0}, chunk_pages=2)
    runs = raw_query(
        test_settings(tmp_path, server.url), "select status, stop_reason from raw._sync_runs order by started_at"
    )
    assert runs[-1][0] == "failed" and "HTTP 503" in runs[-1][1]
    httpx.post(config, json={"fault_rate": 0.0}, timeout=10).raise_for_status()
    settings, report = run_sync_into(tmp_path, server.url)
    assert report.status == "ok"
    truth = emulator_truth(server.base_url)
    counts = raw_counts(settings)
    for table in ("posts", "topics", "post_topics", "post_makers", "collections", "collection_posts"):
        assert counts[table] == (truth[table], truth[table]), table
