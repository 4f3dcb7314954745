"""``doctor`` against a real PostgreSQL destination: healthy, stopped, wrong password, no create rights.

Each broken case is exactly one ✗ line (plus its fix) and exit 1; the API check passes (a real
emulator), so the exit code is the warehouse's doing. A stopped server is a port nothing listens
on — what a client sees when the server is down.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorServer
from tests.plugins.cli import api_env
from tests.plugins.emulator import EMULATOR_TOKEN
from tests.plugins.postgres import PgDatabase

pytestmark = pytest.mark.usefixtures("isolated_cli")
CHECK = "postgres destination"


def _doctor(emulator: EmulatorServer, tmp_path: Path, url: str) -> tuple[int, list[str], str]:
    env = {
        **api_env(tmp_path, emulator.url, EMULATOR_TOKEN),
        "PRODUCTHUNT_DESTINATION": "postgres",
        "PRODUCTHUNT_POSTGRES_URL": url,
    }
    result = CliRunner().invoke(app, ["doctor"], env=env)
    failed = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    return result.exit_code, failed, result.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_doctor_passes_on_a_healthy_server(emulator: EmulatorServer, tmp_path: Path, pg_database: PgDatabase) -> None:
    code, failed, output = _doctor(emulator, tmp_path, pg_database.url)
    assert code == 0 and failed == [], output
    line = next(line for line in output.splitlines() if CHECK in line)
    assert line.startswith("✓") and "PostgreSQL 1" in line and "may create schemas" in line
    assert "pg-test-superuser-pw" not in output


def test_stopped_server(emulator: EmulatorServer, tmp_path: Path) -> None:
    code, failed, output = _doctor(emulator, tmp_path, f"postgresql://postgres:pw-x@127.0.0.1:{_closed_port()}/db")
    assert code == 1 and len(failed) == 1, output
    assert CHECK in failed[0] and "server not reachable" in failed[0]
    assert "pw-x" not in output and "Traceback" not in output


def test_wrong_password(emulator: EmulatorServer, tmp_path: Path, pg_database: PgDatabase) -> None:
    server = pg_database.server
    url = server.url(pg_database.name, password="not-the-password")
    code, failed, output = _doctor(emulator, tmp_path, url)
    assert code == 1 and len(failed) == 1, output
    assert CHECK in failed[0] and "wrong user or password" in failed[0]
    assert "not-the-password" not in output


def test_database_without_create_rights(emulator: EmulatorServer, tmp_path: Path, pg_database: PgDatabase) -> None:
    server = pg_database.server
    role = f"reader_{pg_database.name}"
    server.create_role(role, "reader-pw-123")
    try:
        code, failed, output = _doctor(emulator, tmp_path, server.url(pg_database.name, role, "reader-pw-123"))
        assert code == 1 and len(failed) == 1, output
        assert CHECK in failed[0] and f"user {role} may not create schemas" in failed[0]
        assert "GRANT CREATE ON DATABASE" in output
        # the fix it names is the fix: granted, the same check passes
        server.execute(f'grant create on database "{pg_database.name}" to "{role}"')
        code, failed, output = _doctor(emulator, tmp_path, server.url(pg_database.name, role, "reader-pw-123"))
        assert code == 0 and failed == [], output
    finally:
        server.execute(f'drop owned by "{role}" cascade', database=pg_database.name)
        server.execute(f'drop role "{role}"')


def test_sync_to_a_stopped_server_is_one_line_and_spends_nothing(emulator: EmulatorServer, tmp_path: Path) -> None:
    env = {
        **api_env(tmp_path, emulator.url, EMULATOR_TOKEN),
        "PRODUCTHUNT_DESTINATION": "postgres",
        "PRODUCTHUNT_POSTGRES_URL": f"postgresql://postgres:pw-y@127.0.0.1:{_closed_port()}/db",
    }
    result = CliRunner().invoke(app, ["sync"], env=env)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "server not reachable" in lines[0] and "nothing was harvested" in lines[0], lines
    assert "pw-y" not in result.output
    stats = httpx.get(f"{emulator.base_url}/_emulator/stats", timeout=10).json()
    assert stats["points_spent"] == 0
