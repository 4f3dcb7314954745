"""The gate on small hand-made marts: one defect per check, optional and missing marts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from producthuntdb.quality import run_gate
from producthuntdb.quality.dbtproject import mart_names
from producthuntdb.quality.suites import SPECS_BY_TABLE
from producthuntdb.settings import Settings
from producthuntdb.transform import dbt_paths

MARTS = """
create schema marts;
create table marts.posts as
  select i::varchar as post_id, 'Post ' || i as name, 'tag' as tagline, 'post-' || i as slug,
         'https://ph.example/p/post-' || i as url, 'https://ph.example/r/' || i || '?go=1' as website,
         (i * 3)::bigint as votes_count, 1::bigint as comments_count,
         4.5::double as reviews_rating, timestamp '2026-09-01' + to_hours(i) as created_at,
         timestamp '2026-09-01' + to_hours(i + 1) as featured_at, null::varchar as user_id, 'x' as _dlt_load_id
  from range(1, 21) t(i);
create table marts.topics as
  select i::varchar as topic_id, 'Topic ' || i as name, 'topic-' || i as slug,
         'https://ph.example/t/' || i as url, 5::bigint as followers_count
  from range(1, 4) t(i);
create table marts.users as select '77' as user_id, 'Viewer' as name, 'https://ph.example/@v' as url;
create table marts.post_topics as
  select post_id, ((post_id::int % 3) + 1)::varchar as topic_id from marts.posts;
create table marts.post_makers as select post_id, 0::bigint as position, null::varchar as maker_id from marts.posts;
create table marts.post_links as
  select post_id, 0::bigint as position, 'Website' as link_type, 'https://p' || post_id || '.example/?a=b' as url
  from marts.posts;
create table marts.comments (comment_id varchar, post_id varchar, created_at timestamp);
create table marts.post_metrics_history as
  select post_id, created_at + interval 1 hour as observed_at, votes_count, comments_count from marts.posts;
create table marts.daily_launches as
  select cast(created_at as date) as launch_date, count(*) as launches, 0::bigint as featured,
         sum(votes_count)::bigint as votes, 0::bigint as comments, 0::bigint as makers, max(votes_count) as top_votes
  from marts.posts group by all;
create table marts.leaderboard_daily as
  select cast(created_at as date) as launch_date, post_id,
         rank() over (partition by cast(created_at as date) order by votes_count desc) as vote_rank,
         votes_count, comments_count, null::bigint as launch_day_votes, false as is_partial_day
  from marts.posts;
create table marts.topic_trends as
  select topic_id, date '2026-09-01' as month, count(*) as posts, 0::bigint as featured_posts,
         0::bigint as votes, 0::bigint as comments
  from marts.post_topics group by topic_id;
create table marts.topic_trends_weekly as
  select topic_id, date '2026-08-31' as week, count(*) as posts, 0::bigint as featured_posts,
         0::bigint as votes, 0::bigint as comments
  from marts.post_topics group by topic_id;
create table marts.post_trajectory as
  select post_id, 'votes' as metric, 0::bigint as hours_since_launch, votes_count as cumulative_count,
         'history' as source
  from marts.posts;
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute(MARTS)
    con.close()
    return Settings(environment="testing", data_dir=tmp_path / "data", work_duckdb_path=db)


def _sql(settings: Settings, *statements: str) -> None:
    con = duckdb.connect(str(settings.db_path))
    for statement in statements:
        con.execute(statement)
    con.close()


def test_clean_marts_pass_and_empty_or_absent_optional_marts_are_skipped(settings: Settings) -> None:
    report = run_gate(settings)

    assert report.passed, report.failures
    assert set(report.skipped) == {"comments", "votes", "collections", "collection_posts"}


def test_every_kind_of_defect_is_named(settings: Settings) -> None:
    _sql(
        settings,
        "update marts.posts set slug = 'Not A Slug', tagline = '[REDACTED]' where post_id = '1'",
        "update marts.posts set reviews_rating = 7 where post_id = '2'",
        "update marts.posts set featured_at = created_at - interval 1 day where post_id = '3'",
        "update marts.posts set created_at = now() + interval 10 day, featured_at = null where post_id = '4'",
        "update marts.posts set url = 'ftp:/nope' where post_id = '5'",
        "insert into marts.post_topics values ('6', '99')",
        "update marts.post_makers set post_id = null where post_id = '7'",
        "insert into marts.post_makers values ('8', 0, null)",
        "update marts.posts set website = 'https://ph.example/r/9?go=1&utm_source=Application' where post_id = '9'",
        "update marts.post_links set url = 'https://p10.example/?ref=producthunt' where post_id = '10'",
    )

    report = run_gate(settings)

    found = {(f.suite, f.column, f.expectation) for f in report.failures}
    assert found == {
        ("posts", "slug", "format"),
        ("posts", "url", "format"),
        ("posts", "tagline", "redacted"),
        ("posts", "reviews_rating", "column_values_to_be_between"),
        ("posts", "featured_at, created_at", "column_pair_values_a_to_be_greater_than_b"),
        ("posts", "created_at", "not in the future"),
        ("post_topics", "topic_id", "reference"),
        ("post_makers", "post_id", "column_values_to_not_be_null"),
        ("post_makers", "post_id, position", "compound_columns_to_be_unique"),
        ("posts", "website", "tracking"),
        ("post_links", "url", "tracking"),
    }, found
    by_column = {(f.suite, f.column): f for f in report.failures}
    assert by_column["posts", "slug"].observed == "1 row, e.g. 'Not A Slug'"
    assert "'99'" in by_column["post_topics", "topic_id"].observed
    assert by_column["posts", "tagline"].observed == "tagline: 1 row"


def test_a_missing_required_mart_fails_and_freshness_is_opt_in(settings: Settings) -> None:
    _sql(settings, "drop table marts.topics", "drop table marts.post_topics")
    stale = settings.model_copy(update={"check_freshness": True, "freshness_max_age_hours": 1.0})

    report = run_gate(stale)

    found = {(f.suite, f.expectation) for f in report.failures}
    assert ("topics", "table exists") in found and ("post_topics", "table exists") in found
    freshness = next(f for f in report.failures if f.expectation == "freshness")
    assert "2026-09-01 20:00:00" in freshness.observed  # the newest post, far older than an hour


def test_the_marts_and_the_future_tolerance_are_dbts(settings: Settings, tmp_path: Path) -> None:
    # every mart dbt builds has a suite, and no suite is kept for a mart dbt does not build
    assert set(mart_names(settings)) == set(SPECS_BY_TABLE)
    # one future tolerance: the dbt variable its own test reads is the gate's, too
    _sql(
        settings,
        "update marts.posts set created_at = now() + interval 90 minute, featured_at = null where post_id = '4'",
    )
    assert {(f.suite, f.expectation) for f in run_gate(settings).failures} == {("posts", "not in the future")}
    project = tmp_path / "dbt_project"
    shutil.copytree(settings.dbt_project_dir, project, ignore=shutil.ignore_patterns("target", "logs"))
    yml = project / "dbt_project.yml"
    yml.write_text(
        yml.read_text("utf-8").replace("future_tolerance_minutes: 60", "future_tolerance_minutes: 120")
    )
    assert run_gate(settings.model_copy(update={"dbt_project_dir": project})).passed


def test_the_gate_checks_the_marts_of_dbts_manifest(settings: Settings) -> None:
    # the manifest of the data dir's last dbt run decides: a mart it does not list has no suite
    manifest = dbt_paths(settings)[0] / "manifest.json"
    manifest.parent.mkdir(parents=True)
    nodes = {
        f"model.producthuntdb.{name}": {
            "resource_type": "model",
            "package_name": "producthuntdb",
            "name": name,
            "config": {"schema": "marts"},
        }
        for name in set(SPECS_BY_TABLE) - {"post_links"}
    }
    manifest.write_text(json.dumps({"nodes": nodes}), "utf-8")
    _sql(
        settings,
        "update marts.post_links set url = 'https://p10.example/?ref=producthunt' where post_id = '10'",
    )

    assert mart_names(settings) == tuple(sorted(node["name"] for node in nodes.values()))
    assert run_gate(settings).passed
