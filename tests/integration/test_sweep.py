"""The sweep (``source/sweep.py``) on the emulator: ten days after a sync, older posts' counts
converge to the API's, the marts never count fewer votes than they hold, and ``status`` says
how many days a full round of the sweep takes."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import httpx
from rich.console import Console

from producthuntdb.emulator import DEFAULT_NOW, EmulatorServer
from producthuntdb.status import collect_status, render_status
from producthuntdb.transform import run_build
from tests.plugins.pipeline import UNTHROTTLED, raw_query, run_sync_into
from tests.plugins.warehouse import DBT_PROJECT_DIR

DAY = 86_400


def _truth(server: EmulatorServer, post_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Each post's counts at the emulator's clock, from the world itself."""
    world = server.world
    moment = world.moment(server.app.clock.now)
    found = {}
    for post_id in post_ids:
        index = world.post_index(post_id)
        assert index is not None
        found[post_id] = (int(moment.votes[index]), int(moment.comments[index]))
    return found


def _loaded(db: Path) -> dict[str, tuple[int, int]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0]: (r[1], r[2]) for r in con.execute("select id, votes_count, comments_count from raw.posts").fetchall()}


def test_ten_days_later_the_sweep_brings_older_counts_to_the_truth(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    overrides = {"dbt_project_dir": DBT_PROJECT_DIR}
    since = DEFAULT_NOW - timedelta(days=6)  # posts 0-6 days old: their votes keep arriving for 7 days
    first, _ = run_sync_into(tmp_path / "run", server.url, overrides, since=since, with_=frozenset({"votes"}))
    control_dir = tmp_path / "control"
    shutil.copytree(tmp_path / "run", control_dir)

    httpx.post(f"{server.base_url}/_emulator/clock", json={"advance_seconds": 10 * DAY}, timeout=10).raise_for_status()
    older = sorted(_loaded(first.db_path))
    truth = _truth(server, older)
    stale = {p for p, counts in _loaded(first.db_path).items() if counts != truth[p]}
    assert stale, "ten days later the emulator's posts have more votes than the first sync saw"

    # without the sweep they stay stale: every one is past the 72-hour look-back (only the newest,
    # on the posts window's boundary second, is read again with the new posts)
    control, _ = run_sync_into(control_dir, server.url, {**overrides, "sweep_share": 0.0}, since=since)
    still = {p for p, counts in _loaded(control.db_path).items() if p in truth and counts != truth[p]}
    assert still <= stale and len(still) >= len(stale) - 1

    # chunks of 2 pages: the sweep goes on across loads, from its position in the harvest state
    settings, report = run_sync_into(
        tmp_path / "run", server.url, overrides, since=since, with_=frozenset({"votes"}), chunk_pages=2
    )
    swept = {r[0] for r in raw_query(settings, "select post_id from raw.post_metrics where run_id = ?", report.run_id)}
    assert set(older) <= swept, "the tiny history costs less than a day's share: one round reaches every post"
    loaded = _loaded(settings.db_path)
    assert {p: loaded[p] for p in swept if p in truth} == {p: truth[p] for p in swept if p in truth}
    assert report.points > 0 and report.n_429 == 0

    build = run_build(settings)
    assert build.failures == [] and build.tests_failed == 0
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        below = con.execute(
            "select p.post_id, p.votes_count, count(v.vote_id) from marts.posts p"
            " left join marts.votes v using (post_id) group by all having p.votes_count < count(v.vote_id)"
        ).fetchall()
        votes = con.execute("select count(*) from marts.votes").fetchone()
        history = con.execute(
            "select count(distinct run_id) from marts.post_metrics_history where post_id = ?", [older[0]]
        ).fetchone()
    assert below == [] and votes is not None and votes[0] > 0
    assert history == (2,), "post_metrics_history records what the sweep saw"

    info = collect_status(settings, estimate=False)
    console = Console(record=True, width=200)
    render_status(info, console)
    line = next(line for line in console.export_text().splitlines() if line.startswith("sweep:"))
    assert re.search(r"re-read at least every [\d.,]+ days? \(", line), line
    assert "5%" in line and f"{len(loaded):,} posts" in line, line
