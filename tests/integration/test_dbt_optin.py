"""dbt build over a sync that opted in to comments and votes (``sync --with comments,votes``).

The session's ``small`` world is synced without them (their raw tables are absent there);
this ``tiny`` world has them, so their staging, marts, redaction and relationships are
checked on real emulator data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb

from producthuntdb.emulator import DEFAULT_NOW, EmulatorServer
from producthuntdb.transform import run_build
from tests.plugins.pipeline import UNTHROTTLED, sync_into
from tests.plugins.warehouse import DBT_PROJECT_DIR


def test_comments_and_votes_build_clean(emulator_factory: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    # the last three days of launches only: comments and votes cost many pages
    settings = sync_into(
        tmp_path, server.url, {"dbt_project_dir": DBT_PROJECT_DIR},
        with_=frozenset({"comments", "votes"}), since=DEFAULT_NOW - timedelta(days=3),
    )
    report = run_build(settings)  # relationships comments/votes -> posts are error-level tests
    assert report.failures == [] and report.tests_failed == 0
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        for table in ("comments", "votes"):
            raw_count = con.execute(f"select count(distinct id) from raw.{table}").fetchone()
            assert raw_count is not None and report.mart_rows[table] == raw_count[0] > 0
        for table in ("comments", "votes"):
            raw_zero = con.execute(f"select count(*) from raw.{table} where user_id = '0'").fetchone()
            flagged = con.execute(
                f"select count(*) filter (where is_user_redacted), count(*) filter (where user_id = '0'),"
                f" count(*) filter (where is_user_redacted and user_id is not null) from marts.{table}"
            ).fetchone()
            assert raw_zero is not None and raw_zero[0] > 0, f"the tiny world redacts {table} authors"
            assert flagged == (raw_zero[0], 0, 0), table
        assert con.execute(
            "select count(*) from marts.comments where body like '%[REDACTED]%' or url like '%[REDACTED]%'"
        ).fetchone() == (0,)
        orphans = con.execute(
            "select count(*) from marts.comments c where parent_id is not null"
            " and not exists (select 1 from marts.comments p where p.comment_id = c.parent_id)"
        ).fetchone()
        assert orphans == (0,), "replies point at comments of the dataset"
