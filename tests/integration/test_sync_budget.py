"""Budget pacing, bounded and killed runs, a rejected token (issue 4)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from producthuntdb.emulator import EmulatorServer
from producthuntdb.errors import TokenRejectedError
from producthuntdb.loader import pipelines_dir
from producthuntdb.settings import Settings
from producthuntdb.status import backfill_status
from tests.plugins.pipeline import (
    TEST_TOKEN,
    UNTHROTTLED,
    assert_complete,
    emulator_truth,
    raw_counts,
    run_sync_into,
)

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
def test_small_budget_never_429s_across_windows(tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]) -> None:
    """A harvest of more than two windows' budget: paced, it never meets a 429 and is complete.

    How often the governor waited for a reset, and how much of each window it had used, are figures
    of ``make bench`` (``window_use``, ``window_use_min``): on a busy machine windows also reset while
    the client is descheduled, which is slower, never wrong.
    """
    with emulator_factory(scale="tiny", budget=3000, window_seconds=4) as server:
        settings, report = run_sync_into(tmp_path, server.url)
        stats = httpx.get(f"{server.base_url}/_emulator/stats").json()
        truth = emulator_truth(server.base_url)
    assert report.status == "ok"
    assert report.n_429 == 0 and stats["responses_by_status"].get("429", 0) == 0
    assert report.points > 2 * 3000, "the run needed several windows (and got them without a 429)"
    assert_complete(settings, truth)


def test_bounded_runs_resume_exactly(tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]) -> None:
    with emulator_factory(scale="tiny", budget=UNTHROTTLED) as server:
        statuses, estimates = [], []
        for _ in range(8):
            settings, report = run_sync_into(tmp_path, server.url, max_points=2000, chunk_pages=4)
            statuses.append(report.status)
            assert report.points <= 2000
            status = backfill_status(settings)
            estimates.append((status["estimated_posts"], raw_counts(settings).get("posts", (0, 0))[1]))
            if report.status == "ok":
                break
        truth = emulator_truth(server.base_url)
    assert statuses[0] == "stopped" and statuses[-1] == "ok", statuses
    assert_complete(settings, truth)
    for estimate, loaded in estimates[:-1]:
        assert truth["posts"] - loaded <= estimate <= truth["posts"] - loaded + 1  # +1: the boundary post
    assert estimates[-1][0] == 0
    assert status["high_water"] is not None and status["window"] is None


def test_sigkill_at_ten_random_moments_each_followed_by_a_rerun(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """Ten paced syncs, each resuming the one before and SIGKILLed at a random moment (in a
    request, a load or a wait for the window), the ten moments spread over one whole harvest.

    After every kill the file holds no duplicate key and never fewer posts than before; and a
    rerun of exactly what the kill left (a copy of the data directory) completes the harvest,
    equal to truth, duplicate-free, paying less than a harvest from scratch."""
    rng = random.Random(11)
    with emulator_factory(scale="tiny", budget=3000, window_seconds=1) as server:
        truth = emulator_truth(server.base_url)
        start = points_spent(server)
        run_sync_into(tmp_path / "reference", server.url)
        full_cost = points_spent(server) - start
        cuts = sorted(rng.uniform(0, 0.9 * full_cost) for _ in range(10))
        moments = [max(later - earlier, 50) for earlier, later in zip([0.0, *cuts], cuts, strict=False)]

        chain = tmp_path / "chain"
        chain.mkdir()
        env = {
            **os.environ,
            "PRODUCTHUNT_DATA_DIR": str(chain), "PRODUCTHUNT_API_URL": server.url,
            "PRODUCTHUNT_TOKEN": TEST_TOKEN, "PRODUCTHUNT_ENVIRONMENT": "testing",
        }
        code = (
            "from producthuntdb.settings import load_settings;"
            "from producthuntdb.sync import run_sync; from producthuntdb.syncmodel import SyncOptions;"
            "run_sync(load_settings(), SyncOptions(chunk_pages=4, progress=False))"
        )
        settings = Settings(data_dir=chain, environment="testing")
        posts = 0
        for kill, moment in enumerate(moments):
            start = points_spent(server)
            child = subprocess.Popen([PYTHON, "-c", code], env=env, cwd=chain, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 60
                while points_spent(server) < start + moment:
                    assert child.poll() is None, f"sync {kill + 1} ended before it could be killed"
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                child.send_signal(signal.SIGKILL)
            finally:
                child.wait(10)
            assert child.returncode == -signal.SIGKILL
            counts = raw_counts(settings) if settings.db_path.exists() else {}
            assert all(rows == keys for rows, keys in counts.values()), (kill, counts)
            assert counts.get("posts", (0, 0))[0] >= posts, "a kill never takes loaded rows away"
            posts = counts.get("posts", (0, 0))[0]

            rerun_dir = copy_data_dir(chain, tmp_path / f"rerun-{kill}")
            rerun, report = run_sync_into(rerun_dir, server.url)
            assert report.status == "ok", (kill, report.error)
            assert_complete(rerun, truth)
            # Starting over would cost the whole harvest again; resuming skips each kept page of
            # posts (at least 150 points net of re-reading their counts in the look-back).
            assert report.points <= full_cost - 150 * max(posts // 20 - 1, 0), ("the rerun resumed", kill, posts)
    assert posts > 0, "the kills landed in the harvest, which moved on between them"


def copy_data_dir(source: Path, target: Path) -> Path:
    """``source`` as another machine's disk would hold it: dlt's working directory is keyed on the
    database's path, so the copy's is renamed to the key of its new path."""
    shutil.copytree(source, target)
    before = Path(pipelines_dir(Settings(data_dir=source, environment="testing")))
    after = Path(pipelines_dir(Settings(data_dir=target, environment="testing")))
    copied = target / before.relative_to(source)
    if copied.exists():
        copied.rename(after)
    return target


def points_spent(server: EmulatorServer) -> float:
    return float(httpx.get(f"{server.base_url}/_emulator/stats", timeout=10).json()["points_spent"])


def test_rejected_token_writes_nothing(tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]) -> None:
    with emulator_factory(scale="tiny", token="the-right-token-0123456789") as server:
        with pytest.raises(TokenRejectedError):
            run_sync_into(tmp_path / "api", server.url)
        assert not (tmp_path / "api").exists()  # no DuckDB file, no dlt state: nothing at all
        env = {
            **os.environ,
            "PRODUCTHUNT_DATA_DIR": str(tmp_path / "cli"), "PRODUCTHUNT_API_URL": server.url,
            "PRODUCTHUNT_TOKEN": "a-wrong-token-0123456789abcdef",
        }
        done = subprocess.run(
            [PYTHON, str(REPO / "pipelines" / "producthunt.py")], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
        )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr
    assert [line for line in lines if "rejected the token" in line] == [
        "error: the API rejected the token (HTTP 401): check PRODUCTHUNT_TOKEN"
    ], done.stderr
    assert "a-wrong-token" not in done.stderr + done.stdout
    assert not list((tmp_path / "cli").rglob("*.duckdb"))
