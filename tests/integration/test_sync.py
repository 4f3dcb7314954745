"""A small world synced, re-synced with nothing new, and re-synced after a day passes (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.settings import Settings
from producthuntdb.syncmodel import SyncReport
from tests.plugins.emulator import shared_world
from tests.plugins.pipeline import (
    UNTHROTTLED,
    emulator_truth,
    raw_counts,
    raw_query,
    run_sync_into,
)

RECENT_COUNTS = """
query Recent($after: DateTime, $cursor: String) {
  posts(order: NEWEST, first: 20, postedAfter: $after, after: $cursor) {
    pageInfo { hasNextPage endCursor }
    nodes { id votesCount commentsCount createdAt featuredAt }
  }
}
"""


@dataclass
class Flow:
    settings: Settings
    reports: list[SyncReport]
    truths: list[dict[str, int]]
    counts: list[dict[str, tuple[int, int]]]
    api_recent: dict[str, tuple[int, int, datetime | None]]


def api_counts_since(
    url: str, hours_before_newest: float, newest: Any
) -> dict[str, tuple[int, int, datetime | None]]:
    after = (newest - timedelta(hours=hours_before_newest)).isoformat().replace("+00:00", "Z")
    found: dict[str, tuple[int, int, datetime | None]] = {}
    cursor = None
    headers = {"Authorization": "Bearer test-token-0123456789abcdef"}
    while True:
        body = {"query": RECENT_COUNTS, "variables": {"after": after, "cursor": cursor}}
        data = httpx.post(url, json=body, headers=headers, timeout=30).json()["data"]["posts"]
        for node in data["nodes"]:
            featured = node["featuredAt"] and datetime.fromisoformat(node["featuredAt"].replace("Z", "+00:00"))
            found[node["id"]] = (node["votesCount"], node["commentsCount"], featured or None)
        if not data["pageInfo"]["hasNextPage"]:
            return found
        cursor = data["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    config = EmulatorConfig(scale="small", budget=UNTHROTTLED)
    server = EmulatorServer(config, world=shared_world(config)).start()
    try:
        data_dir = tmp_path_factory.mktemp("small_flow")
        reports, truths, counts = [], [], []
        for step in range(3):
            if step == 2:
                httpx.post(f"{server.base_url}/_emulator/clock", json={"advance_seconds": 86400}, timeout=30)
            settings, report = run_sync_into(data_dir, server.url)
            reports.append(report)
            truths.append(emulator_truth(server.base_url))
            counts.append(raw_counts(settings))
        newest = raw_query(settings, "select max(created_at) from raw.posts")[0][0]
        api_recent = api_counts_since(server.url, 72, newest)
    finally:
        server.stop()
    return Flow(settings, reports, truths, counts, api_recent)


def test_full_sync_loads_exactly_the_truth(flow: Flow) -> None:
    truth, counts, report = flow.truths[0], flow.counts[0], flow.reports[0]
    assert report.status == "ok" and report.n_429 == 0
    for table in ("posts", "topics", "post_topics", "post_makers", "collections", "collection_posts"):
        assert counts[table] == (truth[table], truth[table]), table  # every row, no duplicate key
    assert counts["post_metrics"][0] == truth["posts"]  # one observation per post fetched
    assert report.points_per_post is not None and report.points_per_post < 30


def test_full_sync_tables_are_consistent(flow: Flow) -> None:
    s = flow.settings
    orphans = {
        "post_topics.post_id": "select count(*) from raw.post_topics where post_id not in (select id from raw.posts)",
        "post_topics.topic_id": "select count(*) from raw.post_topics where topic_id not in (select id from raw.topics)",
        "post_makers.post_id": "select count(*) from raw.post_makers where post_id not in (select id from raw.posts)",
        "collection_posts.collection_id": (
            "select count(*) from raw.collection_posts where collection_id not in (select id from raw.collections)"
        ),
        "redacted users": "select count(*) from raw.users where id = '0'",
    }
    for name, sql in orphans.items():
        assert raw_query(s, sql)[0][0] == 0, name
    assert raw_query(s, "select count(*) from raw.users")[0][0] >= 1  # the viewer
    assert raw_query(s, "select count(*) from raw.post_makers where maker_id = '0'")[0][0] > 0  # kept as sent
    types = dict(
        raw_query(
            s, "select column_name, data_type from information_schema.columns where table_name = 'posts'"
        )
    )
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE" and types["votes_count"] == "BIGINT"


def test_second_sync_with_nothing_new_is_cheap(flow: Flow) -> None:
    first, second = flow.reports[0], flow.reports[1]
    assert second.status == "ok"
    assert second.points <= 0.10 * first.points, (second.points, first.points)
    assert flow.counts[1]["posts"] == flow.counts[0]["posts"]


def test_a_day_later_new_posts_arrive_and_recent_counts_are_fresh(flow: Flow) -> None:
    truth, counts = flow.truths[2], flow.counts[2]
    assert truth["posts"] > flow.truths[0]["posts"]
    assert counts["posts"] == (truth["posts"], truth["posts"])
    assert counts["post_topics"] == (truth["post_topics"], truth["post_topics"])
    loaded = dict(
        (r[0], (r[1], r[2], r[3]))
        for r in raw_query(flow.settings, "select id, votes_count, comments_count, featured_at from raw.posts")
    )
    assert flow.api_recent, "the look-back window holds posts"
    # counts and featuredAt: posts featured after their first fetch are featured in raw too
    first_clock = EmulatorConfig().now
    assert any(v[2] is not None and v[2] > first_clock for v in flow.api_recent.values())
    stale = {k: (loaded.get(k), v) for k, v in flow.api_recent.items() if loaded.get(k) != v}
    assert stale == {}
    runs = raw_query(flow.settings, "select status, count(*) from raw._sync_runs group by 1")
    assert runs == [("ok", 3)]


def test_a_topic_newer_than_the_last_topics_refresh_is_fetched(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    """Membership is asked topic by topic, so a scan must know every topic: a run that adds posts
    checks the API's topic count (2 points) and refreshes the topics when one is missing."""
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    settings, _ = run_sync_into(tmp_path, server.url)
    # a topic the (still fresh) topics refresh did not see, as when Product Hunt adds one
    with duckdb.connect(str(settings.db_path)) as con:
        (topic_id,) = con.execute("select min(topic_id) from raw.post_topics").fetchone() or (None,)
        con.execute("delete from raw.topics where id = ?", [topic_id])
    # a run with nothing new has no range to scan: it neither checks nor refreshes
    _, quiet = run_sync_into(tmp_path, server.url)
    assert quiet.status == "ok" and "topics" not in quiet.rows
    httpx.post(f"{server.base_url}/_emulator/clock", json={"advance_seconds": 3 * 86400}, timeout=30)
    _, report = run_sync_into(tmp_path, server.url)
    assert report.status == "ok" and report.rows["posts"] > 0
    assert raw_query(settings, "select count(*) from raw.topics where id = ?", topic_id) == [(1,)]
    orphans = "select count(*) from raw.post_topics where topic_id not in (select id from raw.topics)"
    assert raw_query(settings, orphans) == [(0,)]
    assert raw_query(settings, "select count(*) from raw.post_topics") == [(emulator_truth(server.base_url)["post_topics"],)]
    # and a run with new posts and every topic known does not refresh them before they are stale
    httpx.post(f"{server.base_url}/_emulator/clock", json={"advance_seconds": 3 * 86400}, timeout=30)
    _, again = run_sync_into(tmp_path, server.url)
    assert again.status == "ok" and again.rows["posts"] > 0 and "topics" not in again.rows
