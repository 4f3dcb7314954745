"""A throwaway PostgreSQL server: the machine's own binaries, a temp dir, a free loopback port.

* ``pg_server`` (session) — ``initdb`` + ``pg_ctl start`` once per test session, stopped and
  deleted at teardown. Host authentication is scram-sha-256, so a wrong password really fails.
  When the tests run as root, the server runs as the ``postgres`` user (PostgreSQL refuses root).
* ``PgServer.url(database, user, password)`` — a ``postgresql://`` URL;
  ``PgServer.create_database(name)`` / ``create_role(name, password, createdb=False)`` /
  ``trust_role(name)`` (a role that logs in over TCP without a password, as ``trust``, peer auth
  and ``.pgpass`` setups do) /
  ``execute(sql, database=...)`` — superuser administration for test set-up.
* ``pg_database`` — a fresh, empty database per test (owned by the superuser); ``.url`` connects.

``.ci/run`` installs Debian's ``postgresql`` when no ``initdb`` is found, so CI has the binaries.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "pg-test-superuser-pw"


def postgres_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: on PATH, or Debian's versioned directory."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A running server; every helper connects over TCP as the superuser."""

    bin_dir: Path
    data_dir: Path
    port: int
    as_user: list[str]
    host: str = "127.0.0.1"

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str = SUPERUSER_PASSWORD) -> str:
        return f"postgresql://{user}:{password}@{self.host}:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres", params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg2

        con = psycopg2.connect(self.url(database))
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            con.close()

    def create_database(self, name: str, owner: str = SUPERUSER) -> str:
        self.execute(f'create database "{name}" owner "{owner}"')
        return name

    def create_role(self, name: str, password: str, createdb: bool = False) -> str:
        self.execute(
            f'create role "{name}" login password %s {"createdb" if createdb else "nocreatedb"}', params=(password,)
        )
        return name

    def trust_role(self, name: str) -> str:
        """A login role without a password that ``pg_hba.conf`` trusts from loopback."""
        self.execute(f'create role "{name}" login')
        hba = self.data_dir / "db" / "pg_hba.conf"
        hba.write_text(f"host all {name} 127.0.0.1/32 trust\n" + hba.read_text())
        done = self._ctl("reload")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl reload failed: {done.stderr.strip()}")
        return name

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir / "db"), *args],
            capture_output=True, text=True, check=False, timeout=120,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses={self.host} -k {self.data_dir} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
        )
        done = self._ctl("-w", "-t", "60", "-o", options, "-l", str(self.data_dir / "server.log"), "start")
        if done.returncode != 0:
            log = (self.data_dir / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()}\n{log}")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


def start_server() -> PgServer:
    """initdb into a new temp dir and start a server on a free port (the caller stops it)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.fail("PostgreSQL server binaries not found (initdb): `apt-get install postgresql` (.ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="phdb-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, SUPERUSER, SUPERUSER)
        as_user = ["runuser", "-u", SUPERUSER, "--"]
    pwfile = root / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    if as_user:
        shutil.chown(pwfile, SUPERUSER, SUPERUSER)
    done = subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(root / "db"), "-U", SUPERUSER, "--pwfile", str(pwfile),
         "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        capture_output=True, text=True, check=False, timeout=180,
    )
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr.strip()[-1000:]}")
    server = PgServer(bin_dir=bin_dir, data_dir=root, port=_free_port(), as_user=as_user)
    try:
        server.start()
    except Exception:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


@dataclass
class PgDatabase:
    server: PgServer
    name: str

    @property
    def url(self) -> str:
        return self.server.url(self.name)


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[PgDatabase]:
    name = pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    yield PgDatabase(pg_server, name)
    pg_server.execute(f'drop database if exists "{name}" with (force)')
