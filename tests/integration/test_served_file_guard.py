"""No client can poison the served file, and ``doctor`` checks it as readers will meet it (issue 21).

A client that holds the served file read-write across a swap would, at its next checkpoint, leave
a WAL beside the new file that no reader can replay: ``serve`` refuses to swap under such a client
(one line naming it, exit 1, the previous snapshot stays). A stray WAL that got there anyway is
found by ``doctor`` and removed by ``serve`` before its swap. A truncated or foreign served file is
✗ in ``doctor`` with the fix. The served file is a copy of the session's gated ``small`` snapshot;
``serve`` republishes from the session's (unchanged) working file and gate report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from producthuntdb.cli import app
from producthuntdb.settings import Settings
from producthuntdb.warehouse import create_file
from tests.plugins.cli import WIDE, hold_duckdb_lock

pytestmark = pytest.mark.usefixtures("isolated_cli")

READ = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).execute('select count(*) from marts.posts').fetchone()[0])"


@pytest.fixture
def served_copy(small_served: Settings, tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    """A data directory with a copy of the served snapshot and the last check's report: settings, CLI env."""
    data_dir = tmp_path / "data"
    shutil.copytree(small_served.data_dir / "quality", data_dir / "quality")
    served = data_dir / "producthunt.duckdb"
    shutil.copyfile(small_served.served_path, served)
    settings = small_served.model_copy(update={"data_dir": data_dir, "duckdb_path": served})
    env = {
        **WIDE,
        "PRODUCTHUNT_ENVIRONMENT": "testing",
        "PRODUCTHUNT_DATA_DIR": str(data_dir),
        "PRODUCTHUNT_WORK_DUCKDB_PATH": str(small_served.db_path),
        "PRODUCTHUNT_DBT_PROJECT_DIR": str(small_served.dbt_project_dir),
        "PRODUCTHUNT_API_URL": "http://127.0.0.1:9/v2/api/graphql",
    }
    return settings, env


def served_line(output: str) -> str:
    return next(line for line in output.splitlines() if "served file:" in line)


def read_posts(path: Path) -> subprocess.CompletedProcess[str]:
    """A reader in another process, as a notebook would open the served file."""
    return subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True, text=True, timeout=60)


def test_serve_refuses_to_swap_under_a_read_write_client_and_the_previous_snapshot_stays(
    served_copy: tuple[Settings, dict[str, str]],
) -> None:
    settings, env = served_copy
    served = settings.served_path
    before = served.stat().st_ino
    with hold_duckdb_lock(served) as pid:
        result = CliRunner().invoke(app, ["serve"], env=env)
        doctor = CliRunner().invoke(app, ["doctor"], env=env)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"open read-write in PID {pid} (" in errors[0], result.stderr
    assert "readers keep the previous snapshot" in errors[0] and "Traceback" not in result.output
    assert served.stat().st_ino == before, "the served file was not replaced"
    assert [p.name for p in served.parent.iterdir() if ".tmp-" in p.name] == []
    assert served_line(doctor.stdout).startswith("✗") and f"PID {pid}" in served_line(doctor.stdout)
    # the client is gone (it wrote nothing): readers open the previous snapshot as before
    reader = read_posts(served)
    assert reader.returncode == 0 and int(reader.stdout) > 0, reader.stderr


def test_a_stray_wal_is_found_by_doctor_and_removed_by_serve_before_its_swap(
    served_copy: tuple[Settings, dict[str, str]], tmp_path: Path
) -> None:
    settings, env = served_copy
    served = settings.served_path
    # a WAL of another database: what a client that kept an older snapshot open read-write writes
    other = tmp_path / "other.duckdb"
    stray = (
        "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); c.execute('create table t as select 1 as x');"
        "c.execute('pragma disable_checkpoint_on_shutdown'); c.execute('insert into t values (2)'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", stray, str(other)], check=True, timeout=60)
    shutil.copyfile(other.with_name("other.duckdb.wal"), served.with_name(served.name + ".wal"))
    assert read_posts(served).returncode != 0, "the stray WAL breaks readers: the test shows the danger"

    doctor = CliRunner().invoke(app, ["doctor"], env=env)
    line = served_line(doctor.stdout)
    assert doctor.exit_code == 1 and line.startswith("✗") and "stray WAL" in line, doctor.stdout
    assert "fix: run `producthuntdb serve`" in doctor.stdout

    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert "a stray WAL that does not belong to" in result.stderr
    assert not served.with_name(served.name + ".wal").exists()
    reader = read_posts(served)
    assert reader.returncode == 0 and int(reader.stdout) > 0, reader.stderr
    assert served_line(CliRunner().invoke(app, ["doctor"], env=env).stdout).startswith("✓")


def test_doctor_fails_a_truncated_or_foreign_served_file_with_the_fix(
    served_copy: tuple[Settings, dict[str, str]],
) -> None:
    settings, env = served_copy
    served = settings.served_path
    assert served_line(CliRunner().invoke(app, ["doctor"], env=env).stdout).startswith("✓")

    os.truncate(served, 100_000)
    doctor = CliRunner().invoke(app, ["doctor"], env=env)
    assert doctor.exit_code == 1 and served_line(doctor.stdout).startswith("✗"), doctor.stdout
    assert "fix: run `producthuntdb serve` to republish it from the working file" in doctor.stdout

    served.unlink()
    create_file(served, settings.storage_version)  # a DuckDB file readers can open, but not one serve published
    con = duckdb.connect(str(served))
    con.execute("create schema marts; create table marts.posts as select 1 as post_id")
    con.close()
    doctor = CliRunner().invoke(app, ["doctor"], env=env)
    line = served_line(doctor.stdout)
    assert line.startswith("✗") and "meta.publication" in line, doctor.stdout

    result = CliRunner().invoke(app, ["serve"], env=env)  # the fix doctor names
    assert result.exit_code == 0, result.output
    assert served_line(CliRunner().invoke(app, ["doctor"], env=env).stdout).startswith("✓")
