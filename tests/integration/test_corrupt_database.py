"""A DuckDB file truncated to half: ``doctor`` says ✗, ``status`` and ``sync`` exit non-zero with
one line, and nothing is written into it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorServer
from tests.plugins.cli import api_env
from tests.plugins.pipeline import TEST_TOKEN, UNTHROTTLED, sync_into

pytestmark = pytest.mark.usefixtures("isolated_cli")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_half_truncated_file_is_detected_and_never_written(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    data_dir = tmp_path / "data"
    settings = sync_into(data_dir, server.url)
    db = settings.db_path
    with db.open("r+b") as handle:
        handle.truncate(db.stat().st_size // 2)
    before = digest(db)
    env = api_env(data_dir, server.url, TEST_TOKEN)
    runner = CliRunner()

    doctor = runner.invoke(app, ["doctor"], env=env)
    assert doctor.exit_code == 1, doctor.output
    line = next(line for line in doctor.stdout.splitlines() if "working file" in line)
    assert line.startswith("✗") and str(db) in line, doctor.output

    for command in (["status", "--offline"], ["sync"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code != 0, (command, result.output)
        problem = [line for line in result.output.splitlines() if str(db) in line and "Traceback" not in line]
        assert problem and ("truncated" in problem[0] or "not a readable" in problem[0]), result.output
        assert "Traceback" not in result.output
        assert len([line for line in result.output.splitlines() if line.strip()]) <= 2, result.output

    assert digest(db) == before, "nothing was written into the damaged file"
