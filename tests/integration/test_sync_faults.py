"""Faults and opt-in children: a faulty API yields the same data as a healthy one (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.settings import Settings
from tests.plugins.emulator import shared_world
from tests.plugins.pipeline import (
    UNTHROTTLED,
    emulator_truth,
    raw_counts,
    raw_query,
    run_sync_into,
)

FAULTS = ("500", "502", "503", "malformed", "graphql_error")
WITH = frozenset({"comments", "votes"})
CONTENT = {
    "posts": "select * exclude (_dlt_load_id, _dlt_id) from raw.posts order by id",
    "topics": "select * exclude (_dlt_load_id, _dlt_id) from raw.topics order by id",
    "users": "select * exclude (_dlt_load_id, _dlt_id) from raw.users order by id",
    "post_topics": "select post_id, topic_id from raw.post_topics order by all",
    "post_makers": "select post_id, position, maker_id from raw.post_makers order by all",
    "collections": "select * exclude (_dlt_load_id, _dlt_id) from raw.collections order by id",
    "collection_posts": "select collection_id, post_id from raw.collection_posts order by all",
    "comments": "select * exclude (_dlt_load_id, _dlt_id) from raw.comments order by id",
    "votes": "select * exclude (_dlt_load_id, _dlt_id) from raw.votes order by id",
    "post_metrics": "select post_id, votes_count, comments_count from raw.post_metrics order by all",
}


def content(settings: Settings, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    return {name: raw_query(settings, sql) for name, sql in CONTENT.items() if name not in skip}


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, int], Any]:
    config = EmulatorConfig(scale="tiny", budget=UNTHROTTLED)
    with EmulatorServer(config, world=shared_world(config)) as server:
        settings, report = run_sync_into(tmp_path_factory.mktemp("healthy"), server.url, with_=WITH)
        return settings, emulator_truth(server.base_url), report


def test_with_comments_and_votes_loads_every_one(healthy: tuple[Settings, dict[str, int], Any]) -> None:
    settings, truth, report = healthy
    counts = raw_counts(settings)
    assert report.status == "ok"
    for table in ("posts", "comments", "votes", "post_topics", "post_makers", "collection_posts"):
        assert counts[table] == (truth[table], truth[table]), table
    replies = raw_query(settings, "select count(*) from raw.comments where parent_id is not null")[0][0]
    assert replies > 0
    orphans = raw_query(settings, "select count(*) from raw.votes where post_id not in (select id from raw.posts)")
    assert orphans[0][0] == 0


def test_faulty_api_gives_the_same_result(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer], healthy: tuple[Settings, dict[str, int], Any]
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, fault_rate=0.1, faults=FAULTS)
    comments = frozenset({"comments"})  # votes add 400 requests and no new failure path
    settings, report = run_sync_into(tmp_path, server.url, with_=comments, settings_overrides={"max_retries": 8})
    assert report.status == "ok"
    assert report.retries > 0, "faults were injected and retried"
    assert content(settings, skip=("votes",)) == content(healthy[0], skip=("votes",))


def test_without_redaction_every_user_met_is_loaded(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, redaction=False)
    settings, report = run_sync_into(tmp_path, server.url, with_=frozenset({"comments"}))
    assert report.status == "ok"
    met = """
        select id from (
            select user_id as id from raw.posts union select maker_id from raw.post_makers
            union select user_id from raw.collections union select user_id from raw.comments
        ) where id is not null
    """
    ids = {r[0] for r in raw_query(settings, met)}
    users = {r[0] for r in raw_query(settings, "select id from raw.users")}
    assert "0" not in ids and len(ids) > 100
    assert ids <= users
    assert raw_query(settings, "select count(*) from raw.users where name = '[REDACTED]' or name is null")[0][0] == 0
