"""The quality gate on a real synced-and-built small world (emulator → dlt → dbt → GX)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from producthuntdb import warehouse
from producthuntdb.errors import StageError
from producthuntdb.export import run_export
from producthuntdb.quality import run_gate
from producthuntdb.quality.gate import GateFailed
from producthuntdb.quality.suites import MART_SPECS
from producthuntdb.serve import read_publication, run_serve
from producthuntdb.settings import Settings

pytestmark = pytest.mark.slow


def _private(settings: Settings, data_dir: Path) -> Settings:
    """Same (read-only) database, but Data Docs, summary and exports under ``data_dir``."""
    return settings.model_copy(update={"data_dir": data_dir, "export_dir": data_dir / "export"})


def read_row_counts(db_path: Path) -> dict[str, int]:
    return warehouse.mart_counts_of(db_path)


def _break(settings: Settings) -> None:
    """One duplicated post row and one negative votes_count (the issue's "done when" defects)."""
    con = duckdb.connect(str(settings.db_path))
    try:
        ids = [
            r[0] for r in con.execute("select post_id from marts.posts order by post_id limit 2").fetchall()
        ]
        con.execute("insert into marts.posts select * from marts.posts where post_id = ?", [ids[0]])
        con.execute("update marts.posts set votes_count = -5 where post_id = ?", [ids[1]])
    finally:
        con.close()


def test_gate_passes_on_clean_data_and_writes_data_docs(small_built: Settings, tmp_path: Path) -> None:
    settings = _private(small_built, tmp_path)

    report = run_gate(settings)

    assert report.passed, report.failures
    assert report.failures == []
    assert report.evaluated >= 60  # every suite ran, not an empty gate
    assert {"posts", "users", "topics", "post_topics", "post_makers"} <= set(report.row_counts)
    assert report.docs_path is not None and report.docs_path.is_file()
    assert report.docs_path.is_relative_to(tmp_path / "gx")
    html = report.docs_path.read_text("utf-8")
    assert "posts" in html and "post_topics" in html
    summary = json.loads(report.summary_path.read_text("utf-8"))
    assert summary["passed"] is True and summary["failures"] == []


def test_gate_names_duplicate_and_negative_count_and_export_writes_nothing(
    built_db_copy: Settings, tmp_path: Path
) -> None:
    _break(built_db_copy)

    report = run_gate(built_db_copy)

    assert not report.passed
    named = {(f.suite, f.column, f.expectation) for f in report.failures}
    assert ("posts", "post_id", "column_values_to_be_unique") in named
    assert ("posts", "votes_count", "column_values_to_be_between") in named
    negative = next(f for f in report.failures if f.column == "votes_count")
    assert "-5" in negative.observed and ">= 0" in negative.expected
    assert not any(f.observed.startswith("error") for f in report.failures), report.failures
    summary = json.loads(report.summary_path.read_text("utf-8"))
    assert summary["passed"] is False and len(summary["failures"]) == len(report.failures)

    with pytest.raises(GateFailed, match="quality gate failed"):  # a failed report is never served
        run_serve(built_db_copy, report)
    assert not built_db_copy.served_path.exists()
    out = tmp_path / "export"
    with pytest.raises(StageError, match="no served file"):  # and nothing ungated is exported
        run_export(built_db_copy, out_dir=out)
    assert not out.exists()
    assert not any(p.name.startswith(".export.tmp") for p in tmp_path.iterdir())  # (its lock file stays)


def _served_state(settings: Settings) -> tuple[dict[str, int], dict[str, object] | None, int]:
    with warehouse.opened(settings.served_path) as con:
        return warehouse.mart_counts(con), read_publication(con), settings.served_path.stat().st_ino


def test_rows_that_fail_the_gate_never_reach_the_served_file(built_db_copy: Settings) -> None:
    """A good snapshot is served; bad rows injected into the working file fail `check` (exit 1),
    `serve` refuses, and the served file still holds the previous good snapshot."""
    from producthuntdb.cli import app

    good = run_gate(built_db_copy)
    assert good.passed, good.failures
    run_serve(built_db_copy, good)
    before = _served_state(built_db_copy)
    assert before[1] is not None and before[1]["row_counts"] == before[0]

    _break(built_db_copy)
    env = {
        "PRODUCTHUNT_ENVIRONMENT": "testing",
        "PRODUCTHUNT_DATA_DIR": str(built_db_copy.data_dir),
        "PRODUCTHUNT_WORK_DUCKDB_PATH": str(built_db_copy.db_path),
        "PRODUCTHUNT_DUCKDB_PATH": str(built_db_copy.served_path),
    }
    result = CliRunner().invoke(app, ["check"], env=env)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    assert "votes_count" in output and "post_id" in output
    assert "served file keeps its previous snapshot" in output

    served = CliRunner().invoke(app, ["serve"], env=env)
    assert served.exit_code == 1
    assert "quality gate failed" in served.output + (served.stderr if served.stderr_bytes is not None else "")

    assert _served_state(built_db_copy) == before  # same rows, same publication, the very same file
    with warehouse.opened(built_db_copy.served_path) as con:
        assert con.execute("select min(votes_count) from marts.posts").fetchone()[0] >= 0  # type: ignore[index]
        assert con.execute("select count(*) - count(distinct post_id) from marts.posts").fetchone()[0] == 0  # type: ignore[index]


def test_rows_below_last_export_fail_unless_shrink_is_allowed(built_db_copy: Settings) -> None:
    manifest = built_db_copy.data_dir / "previous-manifest.json"
    rows = read_row_counts(built_db_copy.db_path)
    manifest.write_text(json.dumps({"tables": {t: {"rows": n + 1} for t, n in rows.items()}}), "utf-8")

    shrunk = run_gate(built_db_copy, previous_manifest=manifest)
    allowed = run_gate(built_db_copy, previous_manifest=manifest, allow_shrink=True)

    assert not shrunk.passed
    counted = {f.suite for f in shrunk.failures if "row_count" in f.expectation}
    # the marts regrouped from others (and users, which lost the operator's row) have no floor
    regrouped = {spec.table for spec in MART_SPECS if not spec.row_floor}
    assert regrouped == {"users", "daily_launches", "leaderboard_daily", "topic_trends", "topic_trends_weekly",
                         "post_trajectory"}
    assert counted == set(rows) - set(shrunk.skipped) - regrouped
    posts = next(f for f in shrunk.failures if f.suite == "posts")
    assert posts.observed == str(rows["posts"]) and str(rows["posts"] + 1) in posts.expected
    assert allowed.passed, allowed.failures


def test_missing_database_is_one_clear_error(tmp_path: Path) -> None:
    settings = Settings(environment="testing", data_dir=tmp_path, work_duckdb_path=tmp_path / "nope.duckdb")
    with pytest.raises(StageError, match="no database"):
        run_gate(settings)
