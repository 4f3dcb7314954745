"""A PostgreSQL URL without a password (trust auth, peer auth, ``.pgpass``) works like one with a password.

Local servers commonly trust loopback connections; dlt's PostgreSQL credentials want a password and
failed inside dlt's configuration (``ConfigFieldMissingException: … credentials``) before this test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from producthuntdb.emulator import EmulatorServer
from producthuntdb.export import run_export
from producthuntdb.quality import run_gate
from producthuntdb.transform import run_build
from tests.plugins.pipeline import UNTHROTTLED, emulator_truth, run_sync_into
from tests.plugins.postgres import PgServer
from tests.plugins.warehouse import DBT_PROJECT_DIR

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_a_url_without_a_password_syncs_builds_checks_and_exports(
    pg_server: PgServer, emulator_factory: type[EmulatorServer], tmp_path: Path
) -> None:
    role = pg_server.trust_role("ph_trusted")
    database = pg_server.create_database("trusted_world", owner=role)
    url = f"postgresql://{role}@{pg_server.host}:{pg_server.port}/{database}"
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    overrides = {"destination": "postgres", "postgres_url": SecretStr(url), "dbt_project_dir": DBT_PROJECT_DIR}

    settings, sync = run_sync_into(tmp_path, server.url, overrides)
    assert sync.status == "ok", sync
    build = run_build(settings)
    assert build.failures == []
    gate = run_gate(settings)
    assert gate.passed, gate.failures
    export = run_export(settings, gate=gate)

    truth = emulator_truth(server.base_url)
    assert build.mart_rows["posts"] == truth["posts"] > 0
    assert export.manifest_path.exists()
