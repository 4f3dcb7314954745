"""Bad input an operator meets: one line on stderr, the right exit code, no budget spent, nothing half-written."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorServer
from tests.plugins.cli import WIDE, api_env, closed_port_url, hold_duckdb_lock

TOKEN = "bad-input-token-abcdefghijklmnopqrstuvwxyz"

pytestmark = pytest.mark.usefixtures("isolated_cli")


def points_spent(server: EmulatorServer) -> int:
    with urllib.request.urlopen(f"{server.base_url}/_emulator/stats") as response:
        return int(json.load(response)["points_spent"])


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def test_sync_into_a_locked_database_names_the_holder_before_spending_any_point(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", token=TOKEN)
    db = tmp_path / "work" / "producthunt.duckdb"  # the working file: only another pipeline process holds it
    db.parent.mkdir()
    duckdb.connect(str(db)).close()
    with hold_duckdb_lock(db) as pid:
        env = {**api_env(tmp_path, server.url, TOKEN), "PRODUCTHUNT_LOCK_WAIT_SECONDS": "0.5"}
        result = CliRunner().invoke(app, ["--log-level", "CRITICAL", "sync"], env=env)
    assert result.exit_code == 1, result.output
    line = one_error_line(result.stderr)
    assert f"is locked by PID {pid}" in line and "time.sleep" in line and "nothing was harvested" in line
    assert "dlt.destinations" not in line, line
    assert len(line.replace(str(db), "DB")) < 300, "the holder's command line is shortened: " + line
    assert points_spent(server) == 0, "the lock is found before a single point is spent"


def test_sync_into_a_file_that_is_not_duckdb_spends_nothing(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", token=TOKEN)
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("hello, not a database\n")
    env = {**api_env(tmp_path, server.url, TOKEN), "PRODUCTHUNT_WORK_DUCKDB_PATH": str(bogus)}
    result = CliRunner().invoke(app, ["--log-level", "CRITICAL", "sync"], env=env)
    assert result.exit_code == 1, result.output
    line = one_error_line(result.stderr)
    assert f"{bogus} is not a readable DuckDB database" in line and "not a valid DuckDB database" in line, line
    assert points_spent(server) == 0
    assert bogus.read_text() == "hello, not a database\n"


@pytest.mark.parametrize(
    ("command", "file"), [("build", "work/producthunt.duckdb"), ("check", "work/producthunt.duckdb"), ("export", "producthunt.duckdb")]
)
def test_stages_on_a_locked_database_name_the_holder(tmp_path: Path, command: str, file: str) -> None:
    """build and check use the working file; export reads the served file (held read-write by some tool)."""
    db = tmp_path / file
    db.parent.mkdir(exist_ok=True)
    duckdb.connect(str(db)).close()
    with hold_duckdb_lock(db) as pid:
        result = CliRunner().invoke(app, [command], env={**WIDE, "PRODUCTHUNT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1, result.output
    line = one_error_line(result.stderr)
    assert f"is locked by PID {pid}" in line and "time.sleep" in line, line
    assert not (tmp_path / "export").exists()


def test_pipelines_dir_under_a_regular_file_is_exit_2_for_sync(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    env = {**api_env(tmp_path, closed_port_url(), TOKEN), "PRODUCTHUNT_PIPELINES_DIR": str(tmp_path / "afile" / "dlt")}
    result = CliRunner().invoke(app, ["sync"], env=env)
    assert result.exit_code == 2, result.output
    assert "is a file, not a directory" in one_error_line(result.stderr)


def test_doctor_sees_a_data_dir_under_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    env = api_env(tmp_path / "afile" / "sub", closed_port_url(), TOKEN)
    result = CliRunner().invoke(app, ["doctor"], env=env)
    assert result.exit_code == 1, result.output
    line = next(x for x in result.stdout.splitlines() if "working file" in x)
    assert line.startswith("✗") and "is a file, not a directory" in line, line


@pytest.mark.parametrize(
    ("make_out", "expected"),
    [
        (lambda p: p / "afile" / "sub", "is a file, not a directory"),
        (lambda p: p / "afile", "exists and is not a directory"),
        (lambda p: p / "notes", "is not empty and holds no manifest.json"),
    ],
)
def test_export_to_an_unusable_out_is_exit_2_before_the_gate(
    tmp_path: Path, make_out: Callable[[Path], Path], expected: str
) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(
        app, ["export", "--out", str(make_out(tmp_path))], env={**WIDE, "PRODUCTHUNT_DATA_DIR": str(tmp_path / "d")}
    )
    assert result.exit_code == 2, result.output
    assert expected in one_error_line(result.stderr)
    assert (tmp_path / "notes" / "mine.txt").read_text() == "keep me"
    assert not (tmp_path / "d" / "gx").exists(), "refused before the gate ran"


def test_build_with_a_selection_that_matches_nothing_is_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "work" / "producthunt.duckdb"
    db.parent.mkdir()
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw; create table raw.posts (id varchar)")
    env = {**WIDE, "PRODUCTHUNT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["build", "--select", "no_such_model"], env=env)
    assert result.exit_code == 2, result.output
    assert "--select 'no_such_model' matches no dbt model" in one_error_line(result.stderr)
