"""A selected build refreshes what it selects and leaves out tests that also read models it skipped."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from producthuntdb.settings import Settings
from producthuntdb.transform import run_build

NEW_LOAD = "9999999999.0"


def _observe_more_votes(settings: Settings) -> str:
    """A later completed load in which one post gained votes, as a count refresh would write."""
    with duckdb.connect(str(settings.db_path)) as con:
        con.execute(
            "insert into raw._dlt_loads select ?, schema_name, status, inserted_at + interval 1 hour,"
            " schema_version_hash from raw._dlt_loads limit 1",
            [NEW_LOAD],
        )
        post_id, votes, comments, observed_at = con.execute(
            "select post_id, votes_count, comments_count, observed_at from raw.post_metrics limit 1"
        ).fetchone() or (None, 0, 0, None)
        con.execute(
            "insert into raw.post_metrics (post_id, votes_count, comments_count, observed_at, run_id,"
            " _dlt_load_id, _dlt_id) values (?, ?, ?, ?, 'later-run', ?, 'later-row')",
            [post_id, votes + 5, comments, observed_at + timedelta(hours=1), NEW_LOAD],
        )
        return str(post_id)


def test_selecting_posts_and_its_parents_rebuilds_posts_without_the_history_test(
    built_db_copy: Settings,
) -> None:
    post_id = _observe_more_votes(built_db_copy)
    with duckdb.connect(str(built_db_copy.db_path), read_only=True) as con:
        before = con.execute("select votes_count from marts.posts where post_id = ?", [post_id]).fetchone()

    report = run_build(built_db_copy, select="+posts")

    # run_build raises on any failed node: before cautious indirect selection, the posts-vs-history
    # test ran against the stale history and failed the build
    assert report.models_passed > 0 and report.tests_failed == 0
    with duckdb.connect(str(built_db_copy.db_path), read_only=True) as con:
        after = con.execute("select votes_count from marts.posts where post_id = ?", [post_id]).fetchone()
        history = con.execute(
            "select count(*) from marts.post_metrics_history where post_id = ?", [post_id]
        ).fetchone()
    assert before is not None and after == (before[0] + 5,)
    assert history == (1,), "the history was not selected, so it is not rebuilt"
