"""Paths that reach SQL and URLs that reach a log are safe (issue 21).

A ``'`` in the data directory reached dlt's load SQL unquoted: every load failed after the
harvest had spent its points. It is refused (exit 2, one line) before the first request. A
password in ``PRODUCTHUNT_API_URL`` (``http://user:pw@host``) is masked wherever the URL is
printed or logged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorServer
from tests.plugins.cli import api_env, closed_port_url
from tests.plugins.emulator import admin
from tests.plugins.pipeline import TEST_TOKEN

pytestmark = pytest.mark.usefixtures("isolated_cli")

PASSWORD = "hunter2-in-the-url"


@pytest.mark.parametrize("command", ["sync", "run"])
def test_a_quote_in_the_data_dir_is_refused_before_any_point_is_spent(
    command: str, emulator: EmulatorServer, tmp_path: Path
) -> None:
    data_dir = tmp_path / "Bob's data"
    result = CliRunner().invoke(app, [command], env=api_env(data_dir, emulator.url, TEST_TOKEN))

    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "contains a single quote (')" in errors[0], result.stderr
    assert "PRODUCTHUNT_DATA_DIR" in errors[0] and "Traceback" not in result.output
    stats = admin(emulator, "stats")
    assert stats["requests"] == 0 and stats["points_spent"] == 0
    assert not list(data_dir.rglob("*.duckdb"))


def test_a_password_in_the_api_url_is_masked_wherever_the_url_is_printed_or_logged(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    with_password = emulator.url.replace("http://", f"http://reader:{PASSWORD}@")
    unreachable = closed_port_url().replace("http://", f"http://reader:{PASSWORD}@")
    outputs = []
    for url, command in ((with_password, "sync"), (with_password, "doctor"), (unreachable, "sync"), (unreachable, "doctor")):
        env = {**api_env(tmp_path, url, TEST_TOKEN), "PRODUCTHUNT_MAX_RETRIES": "0", "PRODUCTHUNT_LOG_LEVEL": "DEBUG"}
        result = CliRunner().invoke(app, [command], env=env)
        assert result.exit_code != 0 and "Traceback" not in result.output, result.output
        outputs.append(result.output)
    logs = "".join(path.read_text("utf-8") for path in sorted((tmp_path / "logs").glob("*.jsonl")))

    assert "reader:***@127.0.0.1" in "".join(outputs), "the URL is shown, its password masked"
    assert "reader:***@" in logs
    assert PASSWORD not in "".join(outputs) + logs
