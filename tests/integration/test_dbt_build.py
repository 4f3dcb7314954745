"""dbt build over a DuckDB file synced from a ``small`` emulator world (issue 5, "Done when").

One build (the session fixture ``small_build``) is shared by every test here; each test
asserts a lot about it, since a dbt invocation costs seconds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import httpx
import pytest

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.errors import StageError
from producthuntdb.settings import Settings
from producthuntdb.transform import BuildFailed, BuildReport, run_build, run_docs
from tests.plugins.emulator import shared_world
from tests.plugins.pipeline import UNTHROTTLED

MARTS = {
    "posts", "users", "topics", "post_topics", "post_makers", "post_links", "collections", "collection_posts",
    "comments", "votes", "daily_launches", "topic_trends", "topic_trends_weekly", "leaderboard_daily",
    "post_metrics_history", "post_trajectory",
}
USER_KEYS = {"user_id", "maker_id", "hunter_id"}


def _truth(emulator_factory: Callable[..., EmulatorServer], scale: str) -> dict[str, int]:
    """The emulator's own count of each entity (same seed and clock as ``small_synced``)."""
    server = emulator_factory(scale=scale, budget=UNTHROTTLED)
    data = httpx.get(f"{server.base_url}/_emulator/truth", timeout=30).json()
    return {key: int(value) for key, value in data.items() if isinstance(value, int)}


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(settings.db_path), read_only=True)


def test_build_passes_every_test_and_matches_the_api_truth(
    small_build: tuple[Settings, BuildReport], emulator_factory: Callable[..., EmulatorServer]
) -> None:
    settings, report = small_build
    assert report.failures == []
    assert report.models_failed == report.tests_failed == report.unit_tests_failed == 0
    assert report.models_passed >= 23
    assert report.tests_passed >= 100
    assert report.unit_tests_passed >= 3
    assert report.elapsed > 0 and report.invocation_id
    # a first build writes every row of the incremental marts
    assert report.rows_written["posts"] == report.mart_rows["posts"] > 0
    assert report.rows_written["post_makers"] == report.mart_rows["post_makers"] > 0

    truth = _truth(emulator_factory, "small")
    with _connect(settings) as con:
        n_posts, n_ids = con.execute("select count(*), count(distinct post_id) from marts.posts").fetchone() or (0, 0)
        assert n_posts == n_ids == truth["posts"]
        n_topics = con.execute("select count(*) from marts.topics").fetchone()
        assert n_topics == (truth["topics"],)
        # one maker row per maker position, redacted ones included
        makers, redacted, summed = con.execute(
            "select count(*), count(*) filter (where is_maker_redacted),"
            " (select sum(maker_count) from marts.posts) from marts.post_makers"
        ).fetchone() or (0, 0, 0)
        assert makers == summed == truth["post_makers"]
        assert redacted > 0
        assert con.execute(
            "select count(*) from marts.post_makers where is_maker_redacted and maker_id is not null"
        ).fetchone() == (0,)
        assert con.execute("select count(*) from marts.post_topics").fetchone() == (truth["post_topics"],)
        assert con.execute("select count(*) from marts.collections").fetchone() == (truth["collections"],)
        # comments and votes were not synced (opt-in): their raw tables are absent, the marts empty
        raw_tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()}
        assert not {"comments", "votes"} & raw_tables
        assert con.execute("select count(*) from marts.comments").fetchone() == (0,)
        assert con.execute("select count(*) from marts.votes").fetchone() == (0,)
        # marts live in schema `marts`, staging views in `staging` (not main_marts)
        schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert {"marts", "staging", "raw"} <= schemas
        assert not {s for s in schemas if s.startswith("main_")}
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()}
        assert tables == MARTS
        # analytics models agree with posts
        assert con.execute("select sum(launches) from marts.daily_launches").fetchone() == (truth["posts"],)
        assert con.execute(
            "select count(distinct launch_date) from marts.leaderboard_daily where vote_rank = 1"
        ).fetchone() == con.execute("select count(*) from marts.daily_launches where featured > 0").fetchone()
        assert con.execute(
            "select count(*) from marts.post_metrics_history h join marts.posts p using (post_id)"
            " where h.observed_at = p.counts_observed_at and h.votes_count <> p.votes_count"
        ).fetchone() == (0,)


def test_no_redacted_string_or_user_key_zero_in_any_mart(small_built: Settings) -> None:
    with _connect(small_built) as con:
        raw_redacted = con.execute(
            "select count(*) from raw.post_makers where maker_id = '0'"
        ).fetchone() or (0,)
        assert raw_redacted[0] > 0, "the small world redacts makers: the check below must have work to do"
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns"
            " where table_schema = 'marts'"
        ).fetchall()
        text_columns = [(t, c) for t, c, d in columns if d == "VARCHAR"]
        assert len(text_columns) > 20
        for table, column in text_columns:
            hits = con.execute(f'select count(*) from marts."{table}" where "{column}" like \'%[REDACTED]%\'')
            assert hits.fetchone() == (0,), f"marts.{table}.{column} holds [REDACTED]"
        user_keys = [(t, c) for t, c, _ in columns if c in USER_KEYS]
        assert {t for t, _ in user_keys} >= {"posts", "post_makers", "users", "comments", "votes"}
        for table, column in user_keys:
            hits = con.execute(f'select count(*) from marts."{table}" where "{column}" = \'0\'')
            assert hits.fetchone() == (0,), f"marts.{table}.{column} holds the redacted id 0"


POST_QUERY = """
query($id: ID!) { post(id: $id) {
  id name tagline slug votesCount commentsCount reviewsCount createdAt featuredAt userId website
  makers { id } topics(first: 20) { nodes { id } } thumbnail { url } productLinks { type url }
} }
"""
PACIFIC = ZoneInfo("America/Los_Angeles")


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None) if text else None


def test_mart_values_equal_what_the_api_serves(
    small_built: Settings, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """Not only counts: a sample of posts, column by column, against the API at the same clock."""
    server = emulator_factory(scale="small", budget=UNTHROTTLED)
    headers = {"Authorization": "Bearer test-token-0123456789abcdef"}
    with _connect(small_built) as con:
        sample = con.execute(
            "select post_id, name, tagline, slug, votes_count, comments_count, reviews_count, created_at,"
            " featured_at, is_featured, created_date, launch_date, hunter_id, is_hunter_redacted, maker_count,"
            " redacted_maker_count, topic_count, website, website_domain, thumbnail_url"
            " from marts.posts using sample 40 rows (reservoir, 7)"
        ).fetchall()
        for row in sample:
            post_id = row[0]
            body = {"query": POST_QUERY, "variables": {"id": post_id}}
            api = httpx.post(server.url, json=body, headers=headers, timeout=30).json()["data"]["post"]
            created = _utc(api["createdAt"])
            assert created is not None
            makers = [m["id"] for m in api["makers"]]
            topics = sorted(t["id"] for t in api["topics"]["nodes"])
            featured = _utc(api["featuredAt"])
            # Product Hunt's calendar: the Pacific day it was featured, else the day it was created
            created_day = created.replace(tzinfo=UTC).astimezone(PACIFIC).date()
            launch_day = (featured or created).replace(tzinfo=UTC).astimezone(PACIFIC).date()
            website_link = next(link["url"] for link in api["productLinks"] if link["type"] == "Website")
            expected = (
                post_id, api["name"], api["tagline"], api["slug"], api["votesCount"], api["commentsCount"],
                api["reviewsCount"], created, featured, featured is not None, created_day, launch_day,
                None if api["userId"] == "0" else api["userId"], api["userId"] == "0", len(makers),
                makers.count("0"), len(topics),
                api["website"].split("?")[0],  # the redirect without the utm_* naming the harvesting app
                website_link.split("://")[1].split("/")[0], api["thumbnail"]["url"],
            )
            assert "utm_" in api["website"], "the API names the application: staging must strip it"
            assert row == expected, post_id
            assert con.execute(
                "select maker_id, is_maker_redacted from marts.post_makers where post_id = ? order by position",
                [post_id],
            ).fetchall() == [(None if m == "0" else m, m == "0") for m in makers]
            assert con.execute(
                "select topic_id from marts.post_topics where post_id = ? order by topic_id", [post_id]
            ).fetchall() == [(t,) for t in topics]


def test_posts_with_more_than_five_topics_have_all_of_them(
    small_built: Settings, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """Membership is complete and exact: every (post, topic) of the world, no more, after sync and
    build — the posts with 6-8 topics (that a nested ``topics(first: 5)`` cut short) included."""
    server = emulator_factory(scale="small", budget=UNTHROTTLED)
    world = shared_world(EmulatorConfig(scale="small", budget=UNTHROTTLED))
    n_posts = int(httpx.get(f"{server.base_url}/_emulator/truth", timeout=30).json()["posts"])
    truth = {
        (str(int(world.post_ids[i])), str(int(t) + 1)) for i in range(n_posts) for t in world.post_topics(i)
    }
    per_post = Counter(post_id for post_id, _ in truth)
    wide = {post_id for post_id, n in per_post.items() if n > 5}
    assert len(wide) >= 30  # ~3 % of 3,000 posts
    with _connect(small_built) as con:
        links = set(con.execute("select post_id, topic_id from marts.post_topics").fetchall())
        counted = dict(con.execute("select post_id, topic_count from marts.posts where topic_count > 5").fetchall())
    assert {link for link in links if link[0] in wide} == {link for link in truth if link[0] in wide}
    assert links == truth
    assert counted == {post_id: per_post[post_id] for post_id in wide}
    # the world's membership is what the API serves: a few wide posts asked over HTTP
    headers = {"Authorization": "Bearer test-token-0123456789abcdef"}
    for post_id in sorted(wide)[:5]:
        body = {"query": POST_QUERY, "variables": {"id": post_id}}
        api = httpx.post(server.url, json=body, headers=headers, timeout=30).json()["data"]["post"]
        assert {(post_id, t["id"]) for t in api["topics"]["nodes"]} == {link for link in truth if link[0] == post_id}


def test_analytics_marts_equal_an_independent_recomputation(small_built: Settings) -> None:
    with _connect(small_built) as con:
        posts = con.execute(
            "select post_id, launch_date, votes_count, comments_count, featured_at, maker_count from marts.posts"
        ).fetchall()
        daily: dict[Any, list[int]] = {}
        for _, day, votes, comments, featured, makers in posts:
            d = daily.setdefault(day, [0, 0, 0, 0, 0, 0])
            d[0] += 1
            d[1] += featured is not None
            d[2] += votes
            d[3] += comments
            d[4] += makers
            d[5] = max(d[5], votes)
        assert {r[0]: list(r[1:]) for r in con.execute(
            "select launch_date, launches, featured, votes, comments, makers, top_votes from marts.daily_launches"
        ).fetchall()} == daily
        # the leaderboard: featured posts only; rank 1 + the day's featured posts with more votes
        days: dict[Any, list[int]] = {}
        for _, day, votes, _, featured, _ in posts:
            if featured is not None:
                days.setdefault(day, []).append(votes)
        ranks = {
            (day, post_id): 1 + sum(1 for other in days[day] if other > votes)
            for post_id, day, votes, _, featured, _ in posts
            if featured is not None
        }
        assert dict(((r[0], r[1]), r[2]) for r in con.execute(
            "select launch_date, post_id, vote_rank from marts.leaderboard_daily"
        ).fetchall()) == ranks
        # a day not over at the newest observation (Pacific time) is flagged, and only that one
        newest = con.execute("select max(counts_observed_at) from marts.posts").fetchone()
        assert newest is not None
        today = newest[0].replace(tzinfo=UTC).astimezone(PACIFIC).date()
        partial = {r[0] for r in con.execute("select distinct launch_date from marts.leaderboard_daily where is_partial_day").fetchall()}
        assert partial == {day for day in days if day >= today} and today in days
        by_post = {p[0]: p for p in posts}
        trends: dict[tuple[str, Any], list[int]] = {}
        for post_id, topic_id in con.execute("select post_id, topic_id from marts.post_topics").fetchall():
            _, day, votes, comments, featured, _ = by_post[post_id]
            t = trends.setdefault((topic_id, day.replace(day=1)), [0, 0, 0, 0])
            t[0] += 1
            t[1] += featured is not None
            t[2] += votes
            t[3] += comments
        assert {(r[0], r[1]): list(r[2:]) for r in con.execute(
            "select topic_id, month, posts, featured_posts, votes, comments from marts.topic_trends"
        ).fetchall()} == trends
        weekly: dict[tuple[str, Any], int] = {}
        for post_id, topic_id in con.execute("select post_id, topic_id from marts.post_topics").fetchall():
            day = by_post[post_id][1]
            monday = day - timedelta(days=day.weekday())
            weekly[(topic_id, monday)] = weekly.get((topic_id, monday), 0) + 1
        assert dict(((r[0], r[1]), r[2]) for r in con.execute(
            "select topic_id, week, posts from marts.topic_trends_weekly"
        ).fetchall()) == weekly


def test_indexes_exist_on_the_marts(small_built: Settings) -> None:
    with _connect(small_built) as con:
        rows = con.execute(
            "select table_name, expressions from duckdb_indexes() where schema_name = 'marts'"
        ).fetchall()
    indexed = {(table, expressions.strip("[]").replace('"', "").replace("'", "")) for table, expressions in rows}
    expected = {
        ("posts", "created_at"), ("posts", "featured_at"), ("posts", "hunter_id"), ("post_links", "post_id"),
        ("post_topics", "post_id"), ("post_topics", "topic_id"),
        ("post_makers", "post_id"), ("post_makers", "maker_id"),
        ("collection_posts", "collection_id"), ("collection_posts", "post_id"),
        ("comments", "post_id"), ("votes", "post_id"),
    }
    assert expected <= indexed, expected - indexed


def test_every_mart_and_column_is_documented(small_build: tuple[Settings, BuildReport]) -> None:
    settings, report = small_build
    assert report.target_path is not None
    manifest = json.loads((report.target_path / "manifest.json").read_text("utf-8"))
    models = {
        node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"
    }
    with _connect(settings) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema in ('marts', 'staging')"
        ).fetchall()
    undocumented = []
    for _schema, table, column in columns:
        node = models[table]
        if not node["description"].strip():
            undocumented.append(table)
        if not node["columns"].get(column, {}).get("description", "").strip():
            undocumented.append(f"{table}.{column}")
    assert undocumented == []
    # docs generate works and its catalog covers every mart
    target = run_docs(settings)
    catalog = json.loads((target / "catalog.json").read_text("utf-8"))
    assert {n["metadata"]["name"] for n in catalog["nodes"].values()} >= MARTS
    assert (target / "index.html").is_file()


def test_a_failing_test_raises_one_line_naming_the_node(built_db_copy: Settings) -> None:
    with duckdb.connect(str(built_db_copy.db_path)) as con:
        con.execute("update marts.posts set tagline = '[REDACTED]' where post_id = (select min(post_id) from marts.posts)")
    with pytest.raises(BuildFailed) as caught:
        run_build(built_db_copy, select="assert_no_redacted_strings_in_marts")
    message = str(caught.value)
    assert "\n" not in message
    assert "assert_no_redacted_strings_in_marts" in message
    assert caught.value.report is not None and caught.value.report.tests_failed == 1


def test_unsynced_or_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    missing = Settings(environment="testing", data_dir=tmp_path, work_duckdb_path=tmp_path / "none.duckdb")
    with pytest.raises(StageError, match="no DuckDB file") as caught:
        run_build(missing)
    assert "\n" not in str(caught.value)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(StageError, match=r"no raw\.posts table: run `producthuntdb sync` first"):
        run_build(Settings(environment="testing", data_dir=tmp_path, work_duckdb_path=empty))


def test_missing_dbt_project_is_one_clear_error(small_built: Settings, tmp_path: Path) -> None:
    elsewhere = small_built.model_copy(update={"dbt_project_dir": tmp_path, "data_dir": tmp_path})
    with pytest.raises(StageError, match=r"dbt project not found: .* has no dbt_project.yml"):
        run_build(elsewhere)
    with pytest.raises(StageError, match="dbt project not found"):
        run_docs(elsewhere)


def test_plain_dbt_build_on_an_unsynced_file_says_to_sync_first(tmp_path: Path) -> None:
    """``cd dbt_project && dbt build`` on a fresh clone: one clear line, not a page of compile errors."""
    import os
    import subprocess

    from producthuntdb.transform import dbt_executable, project_dir

    env = {**os.environ, "PRODUCTHUNT_WORK_DUCKDB_PATH": str(tmp_path / "never-synced.duckdb")}
    project = project_dir(Settings(environment="testing", data_dir=tmp_path))
    done = subprocess.run(
        [str(dbt_executable()), "build", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)],
        cwd=project, env=env, capture_output=True, text=True, check=False,
    )
    assert done.returncode != 0
    assert "has no raw.posts table" in done.stdout and "make sync" in done.stdout, done.stdout[-2000:]
    assert "models" not in done.stdout.split("has no raw.posts")[1].split("\n")[0]
