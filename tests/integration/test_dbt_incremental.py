"""A second sync a day later, then a second build: only the new loads are re-processed.

Issue 5, "Done when": after advancing the emulator's clock, syncing and building again, new
posts appear, changed counts are updated, ``post_metrics_history`` holds both observations
of the changed posts, and the incremental models processed only the new loads. Proof of the
last point: every incremental mart row records the dbt invocation that wrote it
(``_loaded_by``); after the second build exactly the rows fed by loads newer than the first
build carry the second invocation's id, and every other row still carries the first one.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import httpx

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.settings import Settings
from producthuntdb.transform import BuildReport, run_build
from tests.plugins.pipeline import UNTHROTTLED, sync_into
from tests.plugins.warehouse import DBT_PROJECT_DIR

DAY = 24 * 3600
AUTH = {"Authorization": "Bearer test-token-0123456789abcdef"}

# the raw tables that feed each incremental mart, and the mart's incremental unit
CHANGED_UNITS = {
    "posts": (
        "post_id",
        "select post_id from posts_new union select post_id from post_metrics_new"
        " union select post_id from post_topics_new union select post_id from post_makers_new",
    ),
    "post_topics": ("post_id", "select post_id from post_topics_new"),
    "post_makers": ("post_id", "select post_id from post_makers_new"),
    "collection_posts": ("collection_id", "select collection_id from collection_posts_new"),
}


def _api_featured_since(url: str, after: datetime) -> dict[str, datetime | None]:
    """``{post_id: featuredAt}`` (naive UTC) of every post the API has created after ``after``."""
    query = (
        "query($after: DateTime, $cursor: String) { posts(order: NEWEST, first: 20, postedAfter: $after,"
        " after: $cursor) { pageInfo { hasNextPage endCursor } nodes { id featuredAt } } }"
    )
    found: dict[str, datetime | None] = {}
    cursor = None
    while True:
        variables = {"after": after.isoformat() + "Z", "cursor": cursor}
        body = httpx.post(url, json={"query": query, "variables": variables}, headers=AUTH, timeout=30).json()
        page = body["data"]["posts"]
        for node in page["nodes"]:
            at = node["featuredAt"]
            found[node["id"]] = datetime.fromisoformat(at.replace("Z", "+00:00")).replace(tzinfo=None) if at else None
        if not page["pageInfo"]["hasNextPage"]:
            return found
        cursor = page["pageInfo"]["endCursor"]


def _new_rows_views(con: duckdb.DuckDBPyConnection, since: str, collections_since: str) -> None:
    """Views ``raw.<table>_new``: rows of completed loads newer than what the marts had read
    (``since`` for the post marts, ``collections_since`` for collection_posts: collections may
    be loaded in a later chunk than the last posts)."""
    for table in ("posts", "post_metrics", "post_topics", "post_makers", "collection_posts"):
        key = "id as post_id, " if table == "posts" else ""
        watermark = collections_since if table == "collection_posts" else since
        con.execute(
            f"create or replace temp view {table}_new as select {key}* from raw.{table}"
            f" where _dlt_load_id > '{watermark}'"
            " and _dlt_load_id in (select load_id from raw._dlt_loads where status = 0)"
        )


def test_second_sync_and_build_process_only_new_loads(
    small_synced: Settings,
    small_build: tuple[Settings, BuildReport],
    emulator_factory: Callable[..., EmulatorServer],
    tmp_path: Path,
) -> None:
    # continue the session's small world: its built file and its dlt state, a fresh server
    # of the same (deterministic) world, one day later
    built, first = small_build
    shutil.copytree(small_synced.dlt_dir, tmp_path / "dlt")
    shutil.copyfile(built.db_path, tmp_path / "producthunt.duckdb")
    server = emulator_factory(scale="small", budget=UNTHROTTLED)
    # without the sweep: a day's share of the budget re-reads every older post of the small world,
    # and this test is about rebuilding only what the new loads touched (test_sweep.py has the sweep)
    overrides = {"dbt_project_dir": DBT_PROJECT_DIR, "sweep_share": 0.0}
    with duckdb.connect(str(tmp_path / "producthunt.duckdb")) as con:
        before = dict(con.execute("select post_id, votes_count from marts.posts").fetchall())
        watermark = con.execute("select max(_dlt_load_id) from marts.posts").fetchone()
        collections_watermark = con.execute("select max(_dlt_load_id) from marts.collection_posts").fetchone()
        history_before = con.execute("select count(*) from marts.post_metrics_history").fetchone()
        loaded_by = con.execute("select distinct _loaded_by from marts.posts").fetchall()
    assert watermark is not None and history_before is not None and collections_watermark is not None
    assert loaded_by == [(first.invocation_id,)]

    httpx.post(f"{server.base_url}/_emulator/clock", json={"advance_seconds": DAY}, timeout=10).raise_for_status()
    settings = sync_into(tmp_path, server.url, overrides)
    second = run_build(settings)
    assert second.failures == [] and second.tests_failed == 0
    truth = httpx.get(f"{server.base_url}/_emulator/truth", timeout=30).json()

    with duckdb.connect(str(settings.db_path)) as con:
        _new_rows_views(con, watermark[0], collections_watermark[0])
        # new posts appear; the mart has exactly the API's posts
        after = dict(con.execute("select post_id, votes_count from marts.posts").fetchall())
        new_posts = set(after) - set(before)
        assert new_posts and len(after) == truth["posts"]
        # changed counts are updated, and the history holds both observations of each
        changed = {p for p in before if after[p] != before[p]}
        assert changed, "a day later the emulator's recent posts have more votes"
        history = con.execute(
            "select post_id, count(*), count(distinct observed_at), arg_max(votes_count, observed_at),"
            " arg_min(votes_count, observed_at) from marts.post_metrics_history group by post_id"
        ).fetchall()
        by_post = {row[0]: row[1:] for row in history}
        for post_id in changed:
            rows, distinct_times, latest, earliest = by_post[post_id]
            assert rows == distinct_times >= 2
            assert (earliest, latest) == (before[post_id], after[post_id])
        # a post featured after the first sync is featured now (the look-back refresh reads featuredAt)
        newest = con.execute("select max(created_at) from marts.posts").fetchone()
        assert newest is not None
        api_featured = _api_featured_since(server.url, newest[0] - timedelta(hours=settings.lookback_hours))
        first_clock = EmulatorConfig().now.replace(tzinfo=None)
        assert any(at is not None and at > first_clock for at in api_featured.values())
        mart_featured = dict(con.execute(
            "select post_id, featured_at from marts.posts where post_id in (select unnest(?))", [list(api_featured)]
        ).fetchall())
        assert mart_featured == api_featured
        # the history only grew by the new observations; old ones were kept untouched
        history_after = con.execute("select count(*) from marts.post_metrics_history").fetchone()
        new_observations = con.execute("select count(*) from post_metrics_new").fetchone()
        assert history_after is not None and new_observations is not None
        assert history_after[0] == history_before[0] + new_observations[0]
        assert con.execute(
            "select count(*) from marts.post_metrics_history where _loaded_by = ?", [second.invocation_id]
        ).fetchone() == new_observations

        # incremental marts re-processed exactly the units (posts, collections) of new loads
        for mart, (unit, changed_sql) in CHANGED_UNITS.items():
            rewritten = {r[0] for r in con.execute(
                f"select distinct {unit} from marts.{mart} where _loaded_by = ?", [second.invocation_id]
            ).fetchall()}
            expected = {r[0] for r in con.execute(changed_sql).fetchall()}
            assert rewritten == expected, mart
            kept = con.execute(
                f"select count(*) from marts.{mart} where _loaded_by not in (?, ?)",
                [first.invocation_id, second.invocation_id],
            ).fetchone()
            assert kept == (0,), mart
        n_posts_rewritten = con.execute(
            "select count(*) from marts.posts where _loaded_by = ?", [second.invocation_id]
        ).fetchone()
        assert n_posts_rewritten is not None
        assert len(new_posts) <= n_posts_rewritten[0] < len(after) / 2, "only a small part was rebuilt"
        # the build's report says the same
        assert second.rows_written["posts"] == n_posts_rewritten[0]
        assert second.rows_written["post_metrics_history"] == new_observations[0]
        assert second.mart_rows["posts"] == len(after)
