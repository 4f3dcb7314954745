"""Poison pages isolated, not fatal: ``--poison-posts 3`` on ``small`` (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from producthuntdb.emulator import EmulatorServer
from producthuntdb.source.quarantine import MAX_ATTEMPTS
from producthuntdb.status import collect_status
from tests.plugins.emulator import admin
from tests.plugins.pipeline import UNTHROTTLED, raw_query, run_sync_into

QUARANTINE = "select id, attempts, error, first_seen, last_attempt, resolved_at from raw._quarantine order by id"


def test_poisoned_posts_are_quarantined_and_everything_else_loads(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="small", budget=UNTHROTTLED, poison_posts=3)
    poisoned = sorted(str(i) for i in admin(server, "config")["poisoned_post_ids"])
    assert len(poisoned) == 3
    truth = admin(server, "truth")

    settings, first = run_sync_into(tmp_path, server.url)
    assert first.status == "ok" and first.quarantined == 3
    rows = raw_query(settings, QUARANTINE)
    assert [r[0] for r in rows] == poisoned
    assert all(r[1] == 1 and "could not be loaded" in r[2] and r[5] is None for r in rows)
    loaded = {r[0] for r in raw_query(settings, "select id from raw.posts")}
    assert len(loaded) == truth["posts"] - 3 and not loaded & set(poisoned)
    assert raw_query(settings, "select quarantined from raw._sync_runs")[0][0] == 3
    status = collect_status(settings, estimate=False)
    assert status["quarantined"] == 3
    assert any("3 post(s) quarantined" in gap for gap in status["gaps"])

    # Later runs retry each a bounded number of times, and still complete.
    for attempt in range(2, MAX_ATTEMPTS + 2):
        _, again = run_sync_into(tmp_path, server.url)
        assert again.status == "ok"
        rows = raw_query(settings, QUARANTINE)
        assert [r[0] for r in rows] == poisoned
        assert all(r[1] == min(attempt, MAX_ATTEMPTS) and r[3] < r[4] for r in rows), rows
        assert again.quarantined == (3 if attempt <= MAX_ATTEMPTS else 0)
    assert len({r[0] for r in raw_query(settings, "select id from raw.posts")}) == truth["posts"] - 3


def test_a_quarantined_post_that_resolves_again_is_loaded(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, poison_posts=2)
    poisoned = sorted(str(i) for i in admin(server, "config")["poisoned_post_ids"])
    settings, first = run_sync_into(tmp_path, server.url)
    assert first.status == "ok" and first.quarantined == 2
    admin(server, "config", {"poison_posts": 0})  # the records are repaired on the API
    _, second = run_sync_into(tmp_path, server.url)
    assert second.status == "ok" and second.quarantined == 0
    rows = raw_query(settings, QUARANTINE)
    assert [r[0] for r in rows] == poisoned and all(r[5] is not None for r in rows)
    loaded = {r[0] for r in raw_query(settings, "select id from raw.posts")}
    assert len(loaded) == admin(server, "truth")["posts"] and set(poisoned) <= loaded
    topics = raw_query(settings, "select count(*) from raw.post_topics where post_id in (select unnest(?))", poisoned)
    assert topics[0][0] > 0  # the topic scan passed them by; a resolved post brings its own topics
    assert raw_query(settings, "select count(*) from raw.post_topics") == [(admin(server, "truth")["post_topics"],)]
