"""A full disk during a sync: one error line, exit 1, nothing fetched lost — the next sync, with
room again, loads what was pending and ends equal to the emulator's truth.

The data directory is a 1 MB tmpfs (mounting needs root, as on CI's machines; elsewhere the test
is skipped), grown to 200 MB for the rerun."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from producthuntdb.emulator import EmulatorServer
from producthuntdb.settings import Settings
from tests.plugins.pipeline import TEST_TOKEN, UNTHROTTLED, assert_complete, emulator_truth

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB filesystem of its own (tmpfs), unmounted at teardown."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def sync(data_dir: Path, api_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ, "PRODUCTHUNT_DATA_DIR": str(data_dir), "PRODUCTHUNT_API_URL": api_url,
        "PRODUCTHUNT_TOKEN": TEST_TOKEN, "PRODUCTHUNT_ENVIRONMENT": "testing",
    }
    return subprocess.run(
        [sys.executable, str(REPO / "pipelines" / "producthunt.py")], env=env, cwd=data_dir.parent,
        capture_output=True, text=True, timeout=300,
    )


def test_a_full_disk_is_one_line_and_the_next_sync_completes(
    small_disk: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    data_dir = small_disk / "data"

    full = sync(data_dir, server.url)
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr and "Logging error" not in full.stderr, full.stderr
    assert "logger_name=dlt" not in full.stderr, "dlt's own lines stay in the JSON log"
    last = full.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "the disk is full" in last and "next sync resumes" in last, full.stderr

    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    again = sync(data_dir, server.url)
    assert again.returncode == 0, again.stderr
    assert_complete(Settings(data_dir=data_dir, environment="testing"), emulator_truth(server.base_url))
