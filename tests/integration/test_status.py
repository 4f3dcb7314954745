"""``status`` on real DuckDB files: counts, runs, budget, JSON shape, and a held lock named."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.settings import Settings
from producthuntdb.status import collect_status, render_status
from producthuntdb.warehouse import describe_holder, lock_holder
from tests.plugins.cli import WIDE, hold_duckdb_lock

pytestmark = pytest.mark.usefixtures("isolated_cli")


def make_db(path: Path, posts: int = 3) -> None:
    """A small database with dlt-like raw tables, a run table and two marts."""
    now = datetime.now(UTC)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema raw; create schema marts; create schema staging")
        con.execute("create table raw.posts (id varchar, name varchar)")
        con.execute("insert into raw.posts select i::varchar, 'p' || i from range(?) t(i)", [posts + 1])
        con.execute("create table raw._dlt_loads (load_id varchar)")
        con.execute(
            "create table raw._sync_runs (run_id varchar, started_at timestamptz, finished_at timestamptz,"
            " status varchar, stop_reason varchar, pages bigint, points bigint, rows_json varchar,"
            " retries bigint, n_429 bigint, points_per_post double, backfill_position varchar)"
        )
        con.execute(
            "insert into raw._sync_runs values "
            "('r1', ?, ?, 'stopped', 'max_points', 10, 4000, '{}', 0, 0, 23.5, '2025-01-01T00:00:00Z'),"
            "('r2', ?, ?, 'ok', null, 3, 500, '{}', 1, 0, 25.0, '2024-06-01T00:00:00Z')",
            [now - timedelta(hours=30), now - timedelta(hours=29), now - timedelta(hours=1), now],
        )
        con.execute("create table marts.posts (post_id varchar)")
        con.execute("insert into marts.posts select i::varchar from range(?) t(i)", [posts])
        con.execute("create table marts.topics (topic_id varchar)")
        con.execute("create view staging.stg_posts as select * from raw.posts")
    finally:
        con.close()


def test_collect_status_reads_counts_runs_and_budget(tmp_path: Path) -> None:
    db = tmp_path / "ph.duckdb"
    make_db(db, posts=7)
    info = collect_status(Settings(data_dir=tmp_path, work_duckdb_path=db, environment="testing"))
    assert info["exists"] and info["size_bytes"] > 0
    assert info["posts"] == 7
    assert info["tables"]["marts"] == {"posts": 7, "topics": 0}
    assert info["tables"]["raw"]["posts"] == 8
    assert "_dlt_loads" not in info["tables"]["raw"], "dlt's bookkeeping tables are hidden"
    assert info["views"] == {"staging": ["stg_posts"]}
    assert [r["run_id"] for r in info["last_runs"]] == ["r2", "r1"]
    assert info["budget"]["points_last_run"] == 500
    assert info["budget"]["points_last_24h"] == 500, "the 30-hour-old run is outside the day"
    assert info["backfill"], "backfill position comes from status.backfill_status or the last run"
    assert info["locked_by"] is None


def test_status_json_cli_and_table(tmp_path: Path) -> None:
    db = tmp_path / "ph.duckdb"
    make_db(db, posts=5)
    env = {**WIDE, "PRODUCTHUNT_WORK_DUCKDB_PATH": str(db), "PRODUCTHUNT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["posts"] == 5 and data["tables"]["marts"]["posts"] == 5
    assert data["last_runs"][0]["run_id"] == "r2"
    table = CliRunner().invoke(app, ["status"], env=env)
    assert table.exit_code == 0, table.output
    for text in ("marts", "posts", "last sync runs", "r2", "budget", "6250"):
        assert text in table.stdout, text


def test_status_without_database_says_what_to_do(tmp_path: Path) -> None:
    info = collect_status(Settings(data_dir=tmp_path / "none", environment="testing"))
    assert info["exists"] is False and info["posts"] is None
    console = Console(record=True, width=150)
    render_status(info, console)
    assert "producthuntdb sync" in console.export_text()


def test_status_names_the_process_holding_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "ph.duckdb"
    make_db(db)
    with hold_duckdb_lock(db) as pid:
        env = {**WIDE, "PRODUCTHUNT_WORK_DUCKDB_PATH": str(db), "PRODUCTHUNT_DATA_DIR": str(tmp_path)}
        result = CliRunner().invoke(app, ["status", "--json"], env=env)
        data = json.loads(result.stdout)
        assert data["locked_by"]["pid"] == pid
        assert "time.sleep" in (data["locked_by"]["cmdline"] or "")
        assert result.exit_code == 1
        text = CliRunner().invoke(app, ["status"], env=env)
        assert f"PID {pid}" in text.stdout and "locked" in text.stdout


def test_lock_holder_parses_duckdb_message() -> None:
    message = 'IO Error: Could not set lock on file "x": Conflicting lock is held in /usr/bin/python3 (PID 4242999).'
    holder = lock_holder(message)
    assert holder is not None and holder["pid"] == 4242999 and holder["exe"] == "/usr/bin/python3"
    assert lock_holder("some other error") is None


def test_a_long_holder_command_line_keeps_its_head_and_tail() -> None:
    classpath = ":".join(f"/opt/dbeaver/plugins/bundle-{n}.jar" for n in range(200))
    cmdline = f"/usr/bin/java -cp {classpath} org.jkiss.dbeaver.launcher.Main"
    text = describe_holder({"pid": 7, "cmdline": cmdline, "exe": "/usr/bin/java"})
    assert text.startswith("PID 7 (/usr/bin/java -cp") and text.endswith("launcher.Main)")
    assert "…" in text and len(text) < 140
    assert describe_holder({"pid": 8, "cmdline": None, "exe": "/usr/bin/python3"}) == "PID 8 (/usr/bin/python3)"


@pytest.mark.parametrize(
    ("backfill", "expected"),
    [
        (
            {"floor": "2013-11-24T00:00:00Z", "high_water": "2026-10-01T08:18:43Z", "window": None,
             "estimated_posts": 0, "estimated_points": 0, "estimate_error": None},
            "backfill: posts from 2013-11-24T00:00:00Z to 2026-10-01T08:18:43Z harvested; nothing left to harvest",
        ),
        (
            {"floor": "2013-11-24T00:00:00Z", "high_water": None,
             "window": {"after": "2013-11-24T00:00:00Z", "before": "2014-01-01T00:00:00Z", "resume_before": None},
             "estimated_posts": 4200, "estimated_points": 97650, "estimate_error": None},
            "to (none yet) harvested; in progress: 2013-11-24T00:00:00Z to 2014-01-01T00:00:00Z; "
            "about 4,200 posts (≈97,650 points) still to harvest",
        ),
        (
            {"floor": "2013-11-24T00:00:00Z", "high_water": "2026-10-01T08:18:43Z", "window": None,
             "estimated_posts": None, "estimated_points": None, "estimate_error": "skipped (--offline)"},
            "harvested; what is left is unknown (skipped (--offline))",
        ),
        ({"error": "IOError: x"}, "backfill: unknown (IOError: x)"),
        ({"floor": None, "high_water": None, "window": None}, "backfill: not started"),
    ],
)
def test_backfill_is_a_sentence_not_a_dict_dump(backfill: dict[str, object], expected: str) -> None:
    from producthuntdb.status import describe_backfill

    text = describe_backfill(backfill)
    assert expected in text and "None" not in text.replace("(none yet)", ""), text


def test_status_without_sync_runs_prints_no_none_budget(tmp_path: Path) -> None:
    info = {
        "db_path": str(tmp_path / "x.duckdb"), "exists": True, "size_bytes": 0, "wal_bytes": 0,
        "tables": {"marts": {"posts": 0}}, "views": {}, "last_runs": [],
        "budget": {"window_budget": 6250, "points_last_run": None, "points_last_24h": 0},
        "backfill": {}, "export_files": [],
    }
    console = Console(record=True, width=150)
    render_status(info, console)
    text = console.export_text()
    assert "no sync runs recorded yet" in text and "None" not in text, text


def test_status_says_which_file_is_which(tmp_path: Path) -> None:
    """The served file (what readers open, when it was published) apart from the working file."""
    from producthuntdb.quality.gate import GateReport, fingerprint
    from producthuntdb.serve import run_serve

    work = tmp_path / "work" / "producthunt.duckdb"
    work.parent.mkdir()
    make_db(work, posts=4)
    settings = Settings(data_dir=tmp_path, environment="testing")
    assert settings.db_path == work
    before = collect_status(settings)
    assert before["served"] == {"path": str(tmp_path / "producthunt.duckdb"), "exists": False, "size_bytes": 0}

    # a report as the gate writes it for this file (the gate itself is tested on real marts elsewhere)
    gate = GateReport(True, [], None, tmp_path / "s.json", 0.0, {"posts": 4, "topics": 0}, [], 2, work, fingerprint(work))
    run_serve(settings, gate, "run-1")
    info = collect_status(settings)
    served = info["served"]
    assert served["exists"] and served["marts"] == {"posts": 4, "topics": 0}
    assert served["publication"]["run_id"] == "run-1" and served["publication"]["gate_passed"] is True
    assert served["storage_version_number"] in range(64, 69)
    console = Console(record=True, width=200)
    render_status(info, console)
    text = console.export_text()
    assert "served file" in text and "what readers open" in text and "run-1" not in text
    assert "working file" in text and str(work) in text


def test_a_working_file_without_tables_is_no_database_yet(tmp_path: Path) -> None:
    """A bare `dbt build` before any sync opens (and so creates) the working file, then fails: status must
    not show an empty harvest, and the first sync makes the file again in the storage version clients read."""
    from producthuntdb.warehouse import prepare_working_file, storage_version_number

    settings = Settings(data_dir=tmp_path, environment="testing")
    settings.db_path.parent.mkdir(parents=True)
    duckdb.connect(str(settings.db_path)).close()  # what dbt-duckdb leaves behind
    info = collect_status(settings)
    assert info["exists"] and info["empty"]
    console = Console(record=True, width=200)
    render_status(info, console)
    assert "no database yet" in console.export_text()
    prepare_working_file(settings)
    assert storage_version_number(settings.db_path) == 67


def test_the_storage_version_says_which_duckdb_opens_the_file() -> None:
    from producthuntdb.settings import DEFAULT_STORAGE_VERSION
    from producthuntdb.warehouse import describe_storage_version

    assert describe_storage_version(67) == "67 (v1.4.0: DuckDB 1.4 and newer open it)"
    assert DEFAULT_STORAGE_VERSION in describe_storage_version(67)
    assert "cannot open" in describe_storage_version(999)
