"""``producthuntdb sync`` through the CLI against the emulator: flags reach the stage, bounds stop cleanly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorServer
from tests.plugins.cli import api_env

TOKEN = "cli-sync-token-abcdefghijklmnopqrstuvwxyz"


pytestmark = pytest.mark.usefixtures("isolated_cli")


def test_sync_with_max_points_stops_cleanly_and_status_shows_it(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", token=TOKEN)
    env = api_env(tmp_path, server.url, TOKEN)
    result = CliRunner().invoke(
        app,
        [
            "--log-level",
            "WARNING",
            "sync",
            "--max-points",
            "1500",
            "--lookback",
            "1d",
            "--budget-share",
            "0.9",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "stopped" in result.stdout and "max_points" in result.stdout
    assert TOKEN not in result.output
    status = CliRunner().invoke(app, ["status", "--json"], env=env)
    data = json.loads(status.stdout)
    run = data["last_runs"][0]
    assert run["status"] == "stopped" and run["stop_reason"] == "max_points"
    assert 0 < run["points"] <= 1500
    harvested = {k: v for k, v in data["tables"]["raw"].items() if k != "_sync_runs" and v}
    assert harvested, data["tables"]  # what fitted in 1,500 points was loaded, not thrown away
    assert data["budget"]["points_last_run"] == run["points"]
    backfill = data["backfill"]
    assert backfill["estimated_points"] is not None and backfill["estimated_points"] > 0, backfill
    offline = json.loads(CliRunner().invoke(app, ["status", "--json", "--offline"], env=env).stdout)
    assert offline["backfill"]["estimated_points"] is None
    assert offline["backfill"]["estimate_error"] == "skipped (--offline)"
    assert offline["backfill"]["floor"] == backfill["floor"], "the position itself is read offline"


def test_sync_with_a_rejected_token_is_one_line_exit_1(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", token=TOKEN)
    wrong = "wrong-token-abcdefghijklmnopqrstuvwxyz"
    env = api_env(tmp_path, server.url, wrong)
    result = CliRunner().invoke(app, ["--log-level", "CRITICAL", "sync"], env=env)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert wrong not in result.output
    assert not (tmp_path / "producthunt.duckdb").exists(), "a rejected token creates nothing on disk"
    assert not (tmp_path / "work" / "producthunt.duckdb").exists(), "a rejected token creates nothing on disk"
