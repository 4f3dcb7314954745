"""End to end, once: ``producthuntdb demo`` on a tiny emulated world, then ``status --json``.

The demo is run in-process through the real CLI (so the run is measured by coverage) with the
process's stdout/stderr file descriptors captured too, so that anything a child process (dbt)
writes is seen by the token-leak test in ``test_token_never_leaks.py``, which shares this run.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
import pytest
from loguru import logger
from typer.testing import CliRunner

from producthuntdb.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]
KNOWN_TOKEN = "e2eKnownToken-7f3a9c1d2b4e6f8a0c5d"
WIDE = {"TERMINAL_WIDTH": "200", "COLUMNS": "200"}


@dataclass
class DemoRun:
    out: Path
    exit_code: int
    stdout: str
    stderr: str
    fd_output: str
    seconds: float
    status_exit: int
    status: dict[str, Any]
    status_stdout: str


_RUNS: dict[str, DemoRun] = {}


def _capture_fds(body: Any) -> tuple[Any, str]:
    """Run ``body()`` with fds 1 and 2 redirected to a file; returns (result, what was written)."""
    with tempfile.TemporaryFile() as sink:
        saved = [os.dup(1), os.dup(2)]
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            result = body()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
        sink.seek(0)
        return result, sink.read().decode("utf-8", "replace")


def demo_run(root: Path) -> DemoRun:
    """The one demo run of the session (cached: it costs ~30-60 s)."""
    if "run" in _RUNS:
        return _RUNS["run"]
    out = root / "demo"
    env = {
        **WIDE,
        "PRODUCTHUNT_TOKEN": KNOWN_TOKEN,
        "PRODUCTHUNT_DBT_PROJECT_DIR": str(REPO_ROOT / "dbt_project"),
    }
    cleared = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("PRODUCTHUNT_")}
    cwd = os.getcwd()
    os.chdir(root)  # no .env or .dlt/secrets.toml from the repository
    try:
        started = time.monotonic()
        result, fd_output = _capture_fds(
            lambda: CliRunner().invoke(app, ["demo", "--scale", "tiny", "--out", str(out)], env=env)
        )
        seconds = time.monotonic() - started
        logger.remove()
        status_env = {
            **env,
            "PRODUCTHUNT_DUCKDB_PATH": str(out / "producthunt.duckdb"),
            "PRODUCTHUNT_DATA_DIR": str(out),
        }
        status = CliRunner().invoke(app, ["status", "--json"], env=status_env)
        logger.remove()
    finally:
        os.chdir(cwd)
        os.environ.update(cleared)
    try:
        status_data = json.loads(status.stdout)
    except ValueError:
        status_data = {}
    run = DemoRun(
        out=out,
        exit_code=result.exit_code,
        stdout=result.stdout,
        stderr=result.stderr,
        fd_output=fd_output,
        seconds=seconds,
        status_exit=status.exit_code,
        status=status_data,
        status_stdout=status.stdout,
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        run.stderr += f"\n{type(result.exception).__name__}: {result.exception}"
    _RUNS["run"] = run
    return run


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return demo_run(tmp_path_factory.mktemp("e2e"))


pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_exits_0_and_fills_the_marts(demo: DemoRun) -> None:
    assert demo.exit_code == 0, f"{demo.stdout}\n{demo.stderr}"
    db = demo.out / "producthunt.duckdb"
    assert db.is_file()
    con = duckdb.connect(str(db), read_only=True)
    try:
        posts = con.execute("select count(*) from marts.posts").fetchone()[0]  # type: ignore[index]
        runs = con.execute("select status from raw._sync_runs").fetchall()
    finally:
        con.close()
    assert posts > 0
    assert runs == [("ok",)]
    assert "marts.posts" in demo.stdout and f"{posts:,}" in demo.stdout
    assert f"duckdb -readonly {db}" in demo.stdout
    assert "API points spent" in demo.stdout


def test_demo_writes_parquet_exports_and_data_docs(demo: DemoRun) -> None:
    assert demo.exit_code == 0
    export = demo.out / "export"
    parquet = sorted(p.name for p in export.rglob("*.parquet"))
    assert any(name.startswith("posts") for name in parquet), parquet
    assert len(parquet) >= 5
    docs = list(demo.out.rglob("data_docs/**/index.html")) or list(demo.out.rglob("index.html"))
    assert docs, "Data Docs were not written"
    assert str(docs[0].parent) in demo.stdout or "Data Docs" in demo.stdout


def test_status_json_shows_the_post_count(demo: DemoRun) -> None:
    assert demo.status_exit == 0, demo.status_stdout
    con = duckdb.connect(str(demo.out / "producthunt.duckdb"), read_only=True)
    try:
        posts = con.execute("select count(*) from marts.posts").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    assert demo.status["posts"] == posts
    assert demo.status["tables"]["marts"]["posts"] == posts
    assert demo.status["last_runs"][0]["status"] == "ok"
    assert demo.status["budget"]["points_last_run"] > 0


def test_emulator_is_stopped_after_the_demo(demo: DemoRun) -> None:
    line = next(line for line in demo.stdout.splitlines() if "listening on http://" in line)
    url = urlparse(line.split("listening on ", 1)[1].strip())
    with socket.socket() as sock:
        sock.settimeout(2)
        assert sock.connect_ex((url.hostname or "127.0.0.1", url.port or 0)) != 0, "emulator still listening"


def test_demo_logs_are_json_lines_with_run_id_per_stage(demo: DemoRun) -> None:
    files = list((demo.out / "logs").glob("*.jsonl"))
    assert files
    records = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert records and all(r["run_id"] for r in records)
    stages = {r["stage"] for r in records}
    assert {"demo", "sync", "build", "check", "export"} <= stages, stages


def test_demo_rerun_refuses_a_foreign_directory(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["demo", "--out", str(foreign)], env=WIDE)
    logger.remove()
    assert result.exit_code == 1
    assert "not made by the demo" in result.stderr
    assert (foreign / "precious.txt").read_text() == "keep me"
