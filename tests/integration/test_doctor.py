"""``doctor`` against real things: a DuckDB lock held by another process, a closed port, versions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.doctor import Check, check_duckdb, check_packages, run_doctor
from producthuntdb.emulator import EmulatorServer
from producthuntdb.settings import Settings
from tests.plugins.cli import api_env, closed_port_url, hold_duckdb_lock

TOKEN = "doctor-token-abcdefghijklmnopqrstuvwxyz"


pytestmark = pytest.mark.usefixtures("isolated_cli")


@pytest.fixture()
def held_db(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A DuckDB file whose write lock is held by another process until the test ends."""
    db = tmp_path / "held.duckdb"
    duckdb.connect(str(db)).close()
    with hold_duckdb_lock(db) as pid:
        yield db, pid


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_doctor_names_the_process_holding_the_duckdb_lock(held_db: tuple[Path, int], tmp_path: Path) -> None:
    db, pid = held_db
    env = {**api_env(tmp_path, closed_port_url(), TOKEN), "PRODUCTHUNT_WORK_DUCKDB_PATH": str(db)}
    result = CliRunner().invoke(app, ["doctor"], env=env)
    assert result.exit_code == 1, result.output
    lock_line = next((line for line in result.stdout.splitlines() if "working file" in line), result.output)
    assert lock_line.startswith("✗") and f"locked by PID {pid}" in lock_line
    assert "time.sleep" in lock_line, "the holder's command line tells a BI tool from a stuck sync"
    assert f"kill {pid}" in result.stdout
    assert "unreachable" in result.stdout
    assert TOKEN not in result.output


def test_free_database_is_writable(tmp_path: Path) -> None:
    db = tmp_path / "free.duckdb"
    duckdb.connect(str(db)).close()
    check = check_duckdb(Settings(data_dir=tmp_path, work_duckdb_path=db, environment="testing"))
    assert check.ok and "writable and not locked" in check.detail
    missing = check_duckdb(Settings(data_dir=tmp_path, work_duckdb_path=tmp_path / "new" / "x.duckdb"))
    assert missing.ok and "will be created" in missing.detail
    assert not (tmp_path / "new" / "x.duckdb").exists(), "doctor must not create the database"


def test_not_a_database_is_reported(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_bytes(b"this is not a duckdb file at all" * 200)
    check = check_duckdb(Settings(data_dir=tmp_path, work_duckdb_path=bogus))
    assert not check.ok and "not a readable DuckDB database" in check.detail


def test_missing_token_and_unreachable_api_are_crosses_with_fixes(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, api_url=closed_port_url(), kaggle_username="me", environment="testing"
    )
    checks = by_name(run_doctor(settings))
    assert not checks["token"].ok and "producthunt.com" in checks["token"].fix
    assert not checks["kaggle"].ok and "half set" in checks["kaggle"].detail
    assert not checks["api"].ok and "PRODUCTHUNT_API_URL" in checks["api"].fix
    assert checks["disk"].ok and "GiB free" in checks["disk"].detail
    assert all(c.fix for c in checks.values() if not c.ok), "every ✗ comes with a fix"


def test_package_versions_are_listed() -> None:
    checks = by_name(check_packages())
    assert checks["python"].ok
    assert checks["dbt-core"].ok and checks["dbt-core"].detail.startswith("1.11.")
    assert checks["duckdb"].ok


def test_doctor_against_the_emulator_checks_token_and_budget(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", token=TOKEN, budget=500)
    settings = Settings(data_dir=tmp_path, api_url=server.url, token=TOKEN, environment="testing")
    checks = by_name(run_doctor(settings))
    assert checks["api"].ok and "HTTP 200" in checks["api"].detail
    assert checks["token valid"].ok
    assert checks["budget"].ok and "of 500 points left" in checks["budget"].detail
    remaining = int(checks["budget"].detail.split()[0])
    assert 0 < remaining < 500, "the viewer query costs a few points"


def test_doctor_reports_a_rejected_token(
    emulator_factory: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    server = emulator_factory(scale="tiny", token=TOKEN)
    other = "another-token-that-the-server-does-not-know"
    env = api_env(tmp_path, server.url, other)
    result = CliRunner().invoke(app, ["doctor"], env=env)
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if line.startswith("✗ token valid"))
    assert "401" in line
    assert other not in result.output


def test_served_file_check_says_whether_1x_clients_can_open_it(tmp_path: Path) -> None:
    from producthuntdb.doctor import check_served
    from producthuntdb.warehouse import create_file

    settings = Settings(data_dir=tmp_path, environment="testing")
    assert check_served(settings).ok and "will be published" in check_served(settings).detail
    duckdb.connect(str(settings.served_path)).close()  # DuckDB 2.0's own default format
    stale = check_served(settings)
    assert not stale.ok and "cannot open it" in stale.detail and "producthuntdb serve" in stale.fix
    settings.served_path.unlink()
    create_file(settings.served_path, settings.storage_version)
    unpublished = check_served(settings)
    assert not unpublished.ok and "meta.publication" in unpublished.detail and "producthuntdb serve" in unpublished.fix
    with duckdb.connect(str(settings.served_path)) as con:  # what serve writes beside the marts (none here)
        con.execute("create schema meta")
        con.execute(
            "create table meta.publication as select '2026-10-01' as published_at, 'r' as run_id, "
            "true as gate_passed, 1 as gate_evaluated, '{}' as row_counts"
        )
    good = check_served(settings)
    assert good.ok and "what readers open" in good.detail
