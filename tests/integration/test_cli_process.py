"""The installed console script as a user runs it: exit codes, one-line errors, `api serve` lifecycle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

SCRIPT = Path(sys.executable).with_name("producthuntdb")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCTHUNT_")}
    env.update(PRODUCTHUNT_DATA_DIR=str(tmp_path), **extra)
    return env


@pytest.fixture(autouse=True)
def _script_exists() -> None:
    assert SCRIPT.exists(), f"console script missing at {SCRIPT}: is the package installed?"


def test_short_token_sync_exits_2_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(SCRIPT), "sync"],
        env=clean_env(tmp_path, PRODUCTHUNT_TOKEN="short"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: PRODUCTHUNT_TOKEN is malformed")
    assert not (tmp_path / "producthunt.duckdb").exists(), "nothing is written on a config error"
    assert not (tmp_path / "work" / "producthunt.duckdb").exists(), "nothing is written on a config error"


def test_usage_error_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(SCRIPT), "sync", "--max-points", "lots"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--max-points" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr


def test_a_failing_check_is_exit_1(tmp_path: Path) -> None:
    """A command's own exit code (doctor: 1 when any check fails) survives the console script."""
    proc = subprocess.run(
        [str(SCRIPT), "doctor"],
        env=clean_env(
            tmp_path,
            PRODUCTHUNT_TOKEN="a-well-formed-token-0123456789",
            PRODUCTHUNT_API_URL="http://127.0.0.1:9/v2/api/graphql",
            PRODUCTHUNT_MAX_RETRIES="0",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_api_serve_answers_and_stops_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(SCRIPT), "api", "serve", "--port", "0", "--scale", "tiny", "--budget", "300"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first + (proc.stderr.read() if proc.poll() else "")
        url = first.split("listening on ", 1)[1].strip()
        response = httpx.post(
            url,
            json={"query": "{ viewer { user { id } } }"},
            headers={"Authorization": "Bearer any-token-of-twenty-chars"},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.headers["X-Rate-Limit-Limit"] == "300"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert "emulator stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
