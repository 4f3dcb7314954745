"""CLI test helpers: an isolated working directory, a wide terminal, a closed port, a held DuckDB lock.

* ``isolated_cli`` — fixture: no ``PRODUCTHUNT_*`` variable of the shell, the working directory is
  ``tmp_path``, and loguru's sinks (which point at CliRunner's streams) are removed at teardown.
  A module opts in with ``pytestmark = pytest.mark.usefixtures("isolated_cli")``.
* ``WIDE`` — environment for ``CliRunner().invoke`` so rich does not wrap lines.
* ``api_env(data_dir, api_url, token)`` — ``WIDE`` plus the data directory, the API URL and a token.
* ``closed_port_url()`` — a loopback API URL nothing listens on.
* ``hold_duckdb_lock(db)`` — context manager: another process holds ``db``'s write lock; yields its PID.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from loguru import logger

WIDE = {"TERMINAL_WIDTH": "200", "COLUMNS": "200"}


def api_env(data_dir: Path, api_url: str, token: str) -> dict[str, str]:
    """The ``CliRunner`` environment of a command that talks to the API at ``api_url``."""
    return {
        **WIDE,
        "PRODUCTHUNT_DATA_DIR": str(data_dir),
        "PRODUCTHUNT_API_URL": api_url,
        "PRODUCTHUNT_TOKEN": token,
    }


@pytest.fixture
def isolated_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("PRODUCTHUNT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield
    logger.remove()  # sinks point at CliRunner's streams, which are gone after the test


def closed_port_url() -> str:
    """A loopback URL nothing listens on (bound then released), so 'unreachable' is immediate."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v2/api/graphql"


@contextmanager
def hold_duckdb_lock(db: Path) -> Iterator[int]:
    """Another process holds the write lock of the DuckDB file ``db`` until exit; yields its PID."""
    code = f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()
