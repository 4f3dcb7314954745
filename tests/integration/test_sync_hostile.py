"""A hostile API never makes the harvest loop, lose rows silently or stop on one bad value (issue 20).

Every scenario runs over real HTTP against the emulator's faults (``cursor_loop``,
``ignore_dates``, ``short_page``, ``null_id``, ``dup_id``) and ``--bad-value-posts``, and is
judged against a clean run of the same world: the rows, the points, the exit code and its line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.settings import Settings
from producthuntdb.source.guards import StreamStuck
from producthuntdb.status import collect_status
from tests.plugins.cli import api_env
from tests.plugins.emulator import admin, shared_world
from tests.plugins.pipeline import (
    CORE,
    TEST_TOKEN,
    UNTHROTTLED,
    assert_complete,
    raw_counts,
    raw_query,
    run_sync_into,
)

SINCE = datetime.fromisoformat("2026-09-20T00:00:00+00:00")
"""A harvest of the last ten days of ``tiny``: a server that ignores the dates sends older posts."""
PAGE_POINTS = 325
pytestmark = pytest.mark.usefixtures("isolated_cli")
SELECTED = {
    "posts": "select id from raw.posts order by id",
    "post_topics": "select post_id, topic_id from raw.post_topics order by all",
    "post_makers": "select post_id, position, maker_id from raw.post_makers order by all",
}


def selected(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    return {name: raw_query(settings, sql) for name, sql in SELECTED.items()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Clean runs of ``tiny``: a whole history and the ten days since ``SINCE`` (points, rows)."""
    config = EmulatorConfig(scale="tiny", budget=UNTHROTTLED)
    with EmulatorServer(config, world=shared_world(config)) as server:
        _, whole = run_sync_into(tmp_path_factory.mktemp("whole"), server.url)
        recent_settings, recent = run_sync_into(tmp_path_factory.mktemp("recent"), server.url, since=SINCE)
        assert whole.status == recent.status == "ok"
        yield {"whole": whole.points, "recent": recent.points, "recent_rows": selected(recent_settings)}


def points_spent(server: EmulatorServer) -> int:
    return int(admin(server, "stats")["points_spent"])


@pytest.mark.parametrize(("fault", "since"), [("cursor_loop", None), ("ignore_dates", SINCE)])
def test_a_stream_that_cannot_progress_ends_the_sync_with_one_line_within_a_few_pages(
    fault: str, since: datetime | None, clean: dict[str, Any],
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path,
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, fault_rate=1.0, faults=(fault,))
    baseline = clean["recent" if since else "whole"]
    # a bound the guard must beat: without it the sync would stop here with exit 0 (or loop forever)
    args = ["--log-level", "WARNING", "sync", "--max-points", str(baseline + 20 * PAGE_POINTS)]
    if since is not None:
        args += ["--since", since.date().isoformat()]
    result = CliRunner().invoke(app, args, env=api_env(tmp_path, server.url, TEST_TOKEN))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: posts_page stopped"), lines
    assert ("ignored the date filter" if fault == "ignore_dates" else "as the next one") in lines[0]
    assert "Traceback" not in result.output
    assert points_spent(server) <= baseline + 10 * PAGE_POINTS


def test_a_cursor_loop_now_and_then_is_asked_again_and_the_sync_is_complete(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, fault_rate=0.1, faults=("cursor_loop",))
    settings, report = run_sync_into(tmp_path, server.url)
    assert report.status == "ok"
    assert admin(server, "stats")["faults_by_kind"].get("cursor_loop", 0) > 0, "no fault was injected"
    assert_complete(settings, admin(server, "truth"))


def test_ignored_dates_now_and_then_are_asked_again_and_the_sync_is_complete(
    clean: dict[str, Any], emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, fault_rate=0.1, faults=("ignore_dates",))
    settings, report = run_sync_into(tmp_path, server.url, since=SINCE)
    assert report.status == "ok"
    assert admin(server, "stats")["faults_by_kind"].get("ignore_dates", 0) > 0, "no fault was injected"
    assert selected(settings) == clean["recent_rows"]


def gate_exit(settings: Settings, server: EmulatorServer) -> tuple[int, str]:
    """``producthuntdb build`` then ``check`` on the synced file: the exit code and output of ``check``."""
    env = api_env(settings.data_dir, server.url, TEST_TOKEN)
    build = CliRunner().invoke(app, ["--log-level", "WARNING", "build"], env=env)
    assert build.exit_code == 0, build.output
    check = CliRunner().invoke(app, ["--log-level", "WARNING", "check"], env=env)
    return check.exit_code, check.output


def assert_gap_is_told(settings: Settings, server: EmulatorServer, report: Any) -> None:
    """A sync short of the API's totals says so: the run, raw._gaps, ``status`` and a failing gate."""
    assert report.status == "partial" and report.gaps > 0 and "raw._gaps" in str(report.stop_reason)
    gaps = raw_query(settings, "select expected, received, run_id from raw._gaps")
    assert gaps and all(received < expected for expected, received, _ in gaps)
    lines = [gap for gap in collect_status(settings, estimate=False)["gaps"] if "raw._gaps" in gap]
    assert lines, "status shows the gap"
    code, output = gate_exit(settings, server)
    assert code == 1 and "complete windows" in output, output


@pytest.mark.parametrize("fault", ["short_page", "null_id", "dup_id"])
def test_pages_missing_nodes_are_asked_again_or_the_gap_is_told(
    fault: str, emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, fault_rate=0.2, faults=(fault,))
    settings, report = run_sync_into(tmp_path, server.url)
    assert admin(server, "stats")["faults_by_kind"].get(fault, 0) > 0, "no fault was injected"
    truth = admin(server, "truth")
    counts = raw_counts(settings)
    if all(counts.get(table) == (truth[table], truth[table]) for table in CORE):
        assert report.status == "ok"  # every page the faults broke was asked again and came whole
    else:
        assert_gap_is_told(settings, server, report)  # never "ok" with fewer rows and a passing gate


def test_a_window_short_after_asking_twice_is_recorded_shown_and_fails_the_gate(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, fault_rate=1.0, faults=("short_page",))
    settings, report = run_sync_into(tmp_path, server.url)
    assert raw_counts(settings)["posts"][0] < admin(server, "truth")["posts"]
    assert_gap_is_told(settings, server, report)
    admin(server, "config", {"fault_rate": 0.0})  # the API heals: a full refresh fills the gap
    _, again = run_sync_into(tmp_path, server.url, full_refresh=True)
    assert again.status == "ok"
    assert not any("raw._gaps" in gap for gap in collect_status(settings, estimate=False)["gaps"])


def test_posts_with_unstorable_values_are_repaired_or_quarantined_and_the_rest_loads(
    small_synced: Settings, emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="small", budget=UNTHROTTLED, bad_value_posts=3)
    bad = admin(server, "config")["bad_value_post_ids"]
    assert sorted(bad.values()) == ["bad_timestamp", "big_int", "surrogate"]
    settings, report = run_sync_into(tmp_path, server.url, with_=frozenset({"media"}))  # as small_synced
    assert report.status == "ok" and report.quarantined == 2
    quarantined = dict(raw_query(settings, "select id, error from raw._quarantine"))
    unstorable = {post_id for post_id, kind in bad.items() if kind != "surrogate"}
    assert set(quarantined) == unstorable
    assert "beyond 64 bits" in " ".join(quarantined.values()) and "not a timestamp" in " ".join(quarantined.values())
    (repaired,) = [post_id for post_id, kind in bad.items() if kind == "surrogate"]
    rows = raw_query(settings, "select name, repaired from raw.posts where id = ?", repaired)
    assert rows and "\ufffd" in rows[0][0] and rows[0][1] == "name"
    loaded = {r[0] for r in raw_query(settings, "select id from raw.posts")}
    everything = {r[0] for r in raw_query(small_synced, "select id from raw.posts")}
    assert loaded == everything - unstorable  # every other post is loaded
    clean_points = raw_query(small_synced, "select points from raw._sync_runs")[0][0]
    assert report.points <= 1.1 * clean_points
    # the next run refreshes every post's counts (a look-back over the whole year) and retries the two
    _, again = run_sync_into(tmp_path, server.url, lookback_hours=24 * 366)
    assert again.status == "ok" and again.quarantined == 2
    assert raw_query(settings, "select max(attempts) from raw._quarantine") == [(2,)]


def test_the_look_back_stops_when_the_server_ignores_its_dates(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    """Count pages carry ids only: the loaded posts among them tell that the dates were ignored."""
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    _, first = run_sync_into(tmp_path, server.url)
    assert first.status == "ok"
    admin(server, "config", {"fault_rate": 1.0, "faults": "ignore_dates"})
    spent = points_spent(server)
    with pytest.raises(StreamStuck, match=r"post_counts stopped .* ignored the date filter"):
        run_sync_into(tmp_path, server.url, lookback_hours=48)  # nothing new: only the look-back pages
    assert points_spent(server) - spent <= 6 * 85, "a few count pages, never the whole history"
