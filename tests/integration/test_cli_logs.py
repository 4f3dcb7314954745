"""Logs: JSON lines on disk carry run_id and stage, --log-json makes the console JSON, secrets are masked
in every sink (loguru records, stdlib records from dlt/dbt, tracebacks)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger
from typer.testing import CliRunner

from producthuntdb import logs
from producthuntdb.cli import app
from producthuntdb.settings import Settings
from tests.plugins.cli import WIDE

TOKEN = "log-token-abcdefghijklmnopqrstuvwxyz-0123"

pytestmark = pytest.mark.usefixtures("isolated_cli")


@pytest.fixture(autouse=True)
def _reset_stdlib_logging() -> Iterator[None]:
    yield
    logging.basicConfig(handlers=[logging.NullHandler()], force=True)


def read_records(log_dir: Path) -> list[dict[str, object]]:
    files = sorted(log_dir.glob("*.jsonl"))
    assert files, f"no JSON log in {log_dir}"
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_json_log_lines_parse_and_carry_run_id(tmp_path: Path) -> None:
    env = {**WIDE, "PRODUCTHUNT_DATA_DIR": str(tmp_path), "PRODUCTHUNT_TOKEN": TOKEN}
    for _ in range(2):
        result = CliRunner().invoke(app, ["--log-level", "DEBUG", "status"], env=env)
        assert result.exit_code == 0, result.output
    records = read_records(tmp_path / "logs")
    assert len(records) >= 2
    run_ids = {r["run_id"] for r in records}
    assert len(run_ids) == 2 and all(isinstance(r, str) and r for r in run_ids), "one run_id per invocation"
    for record in records:
        assert record["stage"] == "status"
        assert {"time", "level", "message", "logger"} <= set(record)
    assert all(TOKEN not in f.read_text() for f in (tmp_path / "logs").glob("*.jsonl"))


def test_log_json_flag_makes_the_console_json(tmp_path: Path) -> None:
    env = {**WIDE, "PRODUCTHUNT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["--log-json", "--log-level", "DEBUG", "status"], env=env)
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "DEBUG start line expected on stderr"
    for line in lines:
        record = json.loads(line)
        assert record["run_id"] and record["stage"] == "status"


def test_text_console_is_readable(tmp_path: Path) -> None:
    env = {**WIDE, "PRODUCTHUNT_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["--log-text", "--log-level", "DEBUG", "status"], env=env)
    line = next(line for line in result.stderr.splitlines() if "command status starting" in line)
    assert "DEBUG" in line and "status" in line and not line.startswith("{")


def test_every_sink_masks_secrets(tmp_path: Path) -> None:
    import io

    settings = Settings(data_dir=tmp_path, token=TOKEN, kaggle_username="me", kaggle_key="kaggle-key-123456")
    stream = io.StringIO()
    logs.setup_logging(settings, "run-1", "unit", stream=stream)
    logger.info("sending Bearer {}", TOKEN, header=f"Bearer {TOKEN}", nested={"k": ["kaggle-key-123456"]})
    logging.getLogger("some.library").warning("library saw %s", TOKEN)  # stdlib records use the same sinks
    logging.getLogger("dlt").warning(
        "dlt saw %s", TOKEN
    )  # dlt's logger does not propagate: routed explicitly
    try:
        raise RuntimeError(f"boom {TOKEN}")
    except RuntimeError:
        logger.opt(exception=True).error("crash")
    with logs.stage_context("sync"):
        logger.info("inside a stage")
    text = (tmp_path / "logs").glob("*.jsonl")
    content = "".join(p.read_text() for p in text)
    assert TOKEN not in content and "kaggle-key-123456" not in content
    assert TOKEN not in stream.getvalue()
    records = [json.loads(line) for line in content.splitlines()]
    assert records[0]["fields"]["header"] == "Bearer ***"
    assert records[0]["fields"]["nested"] == {"k": ["***"]}
    assert any(r["message"] == "library saw ***" and r["level"] == "WARNING" for r in records)
    assert any(r["message"] == "dlt saw ***" for r in records)
    crash = next(r for r in records if r["message"] == "crash")
    assert "RuntimeError: boom ***" in crash["exception"]["traceback"]
    inside = next(r for r in records if r["message"] == "inside a stage")
    assert inside["stage"] == "sync" and inside["run_id"] == "run-1"
    assert logs.current_run_id() == "run-1"
    assert logs.current_log_file() is not None and logs.current_log_file().parent == tmp_path / "logs"  # type: ignore[union-attr]


def test_unwritable_log_dir_keeps_the_console(tmp_path: Path) -> None:
    import io

    blocker = tmp_path / "file"
    blocker.write_text("x")
    stream = io.StringIO()
    settings = Settings(data_dir=tmp_path, log_dir=blocker / "logs")
    logs.setup_logging(settings, "run-2", "unit", stream=stream)
    logger.info("still here")
    assert "JSON log disabled" in stream.getvalue() and "still here" in stream.getvalue()
    assert logs.current_log_file() is None
