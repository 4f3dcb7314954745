"""The export directory survives kills, races and neighbours (issue 21).

At every instant the export directory holds the previous complete export or the new one; a kill at
any rename step leaves a state the next export puts right by itself; three exports at once all
succeed (they wait for each other's lock); and only temporary directories the export marked as its
own are ever removed. The served file here is a small hand-made one (marts and ``meta.publication``):
these tests are about the files around the export, which a real world would only make slower.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from producthuntdb.export import MANIFEST, run_export
from producthuntdb.settings import Settings

PRODUCTHUNTDB = str(Path(sys.executable).with_name("producthuntdb"))
FOREIGN = {"NOTES.md": "my notes\n", "notebooks/explore.ipynb": "{}\n"}
"""A maintainer's files in the export directory: never the export's."""
KILL_AT_STEP = """
import os, signal, sys
from producthuntdb.export import run_export
from producthuntdb.settings import Settings

step, calls = int(sys.argv[1]), [0]

def counted(function):
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == step:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)
    return wrapper

os.rename, os.replace = counted(os.rename), counted(os.replace)
try:
    from producthuntdb import dirswap
    dirswap.exchange = counted(dirswap.exchange)
except ImportError:  # a release without the one-step swap
    pass
run_export(Settings(environment="testing", data_dir=sys.argv[2], duckdb_path=sys.argv[3]))
print("steps", calls[0])
"""


def make_served(path: Path, posts: int) -> None:
    """A served file as ``serve`` shapes it: marts and a ``meta.publication`` whose counts match them."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.posts as select range::varchar as post_id, 'post ' || range as name, "
            "timestamp '2026-09-01 00:00:00' + to_hours(range) as created_at from range(?)",
            [posts],
        )
        con.execute("create table marts.topics as select range::varchar as topic_id from range(3)")
        con.execute("create schema meta")
        con.execute(
            "create table meta.publication (published_at varchar, run_id varchar, gate_passed boolean, "
            "gate_evaluated integer, row_counts varchar)"
        )
        counts = json.dumps({"posts": posts, "topics": 3})
        con.execute("insert into meta.publication values ('2026-10-01T12:00:00+00:00', 'r', true, 1, ?)", [counts])
    finally:
        con.close()


def export_state(target: Path) -> int:
    """The posts rows of the complete export ``target`` holds: its manifest and every file it lists, checksums matching."""
    manifest = json.loads((target / MANIFEST).read_text("utf-8"))
    for info in manifest["tables"].values():
        for entry in info["files"].values():
            data = (target / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
    return int(manifest["tables"]["posts"]["rows"])


def temporaries(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.name.startswith(".export.tmp-"))


def foreign_files(target: Path) -> dict[str, str]:
    return {name: (target / name).read_text("utf-8") for name in FOREIGN if (target / name).is_file()}


@pytest.fixture
def exported(tmp_path: Path) -> Settings:
    """A data directory with an export of 5 posts, a maintainer's files in it and beside it, and 6 posts served."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = Settings(environment="testing", data_dir=data_dir, duckdb_path=data_dir / "producthunt.duckdb")
    make_served(settings.served_path, 5)
    run_export(settings)
    for name, text in FOREIGN.items():
        (settings.export_path / name).parent.mkdir(exist_ok=True)
        (settings.export_path / name).write_text(text, "utf-8")
    mine = data_dir / ".export.tmp-my-notes"
    mine.mkdir()
    (mine / "precious.txt").write_text("keep me\n", "utf-8")
    make_served(settings.served_path, 6)
    return settings


def test_a_kill_at_every_rename_step_leaves_a_complete_export_that_the_next_export_repairs(
    exported: Settings, tmp_path: Path
) -> None:
    pristine = tmp_path / "pristine"
    shutil.copytree(exported.data_dir, pristine)
    step, states = 1, []
    while True:
        shutil.rmtree(exported.data_dir)
        shutil.copytree(pristine, exported.data_dir)
        killed = subprocess.run(
            [sys.executable, "-c", KILL_AT_STEP, str(step), str(exported.data_dir), str(exported.served_path)],
            capture_output=True, text=True, timeout=120,
        )
        assert killed.returncode in (0, -9), killed.stderr[-2000:]
        states.append(export_state(exported.export_path))  # old (5) or new (6), whole, at every step
        report = run_export(exported)  # the next export puts right what the kill left

        assert report.tables["posts"] == export_state(exported.export_path) == 6, step
        assert foreign_files(exported.export_path) == FOREIGN, step
        assert (exported.data_dir / ".export.tmp-my-notes" / "precious.txt").read_text("utf-8") == "keep me\n"
        assert temporaries(exported.data_dir) == [".export.tmp-my-notes"], step
        if killed.returncode == 0:
            break
        step += 1
    assert step >= 5, "the swap has several rename steps and each was killed once"
    assert states[0] == 5 and states[-1] == 6 and set(states) == {5, 6}, states
    assert states == sorted(states), "once the new export is in place, no kill brings the old one back"


def test_three_concurrent_exports_all_succeed(exported: Settings) -> None:
    env = {
        **os.environ,
        "PRODUCTHUNT_ENVIRONMENT": "testing",
        "PRODUCTHUNT_DATA_DIR": str(exported.data_dir),
        "PRODUCTHUNT_DUCKDB_PATH": str(exported.served_path),
    }
    exports = [
        subprocess.Popen([PRODUCTHUNTDB, "export"], env=env, cwd=exported.data_dir, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [process.communicate(timeout=300)[1] for process in exports]

    assert [process.returncode for process in exports] == [0, 0, 0], errors
    assert not any("Traceback" in err for err in errors)
    assert export_state(exported.export_path) == 6
    assert foreign_files(exported.export_path) == FOREIGN
    assert temporaries(exported.data_dir) == [".export.tmp-my-notes"]
    assert (exported.data_dir / ".export.tmp-my-notes" / "precious.txt").is_file()


def test_a_temporary_directory_without_the_export_marker_is_never_removed(exported: Settings) -> None:
    unmarked = exported.data_dir / ".export.tmp-deadbeef"  # e.g. left by an older release: not provably ours
    unmarked.mkdir()
    (unmarked / "posts.csv").write_text("old\n", "utf-8")
    run_export(exported)

    assert (exported.data_dir / ".export.tmp-my-notes" / "precious.txt").read_text("utf-8") == "keep me\n"
    assert (unmarked / "posts.csv").read_text("utf-8") == "old\n"
    assert temporaries(exported.data_dir) == [".export.tmp-deadbeef", ".export.tmp-my-notes"]


def test_a_marked_temporary_directory_left_by_a_killed_export_is_removed(exported: Settings) -> None:
    from producthuntdb import dirswap

    marked = dirswap.temp_dir(exported.export_path)
    (marked / "posts.csv").write_text("half\n", "utf-8")
    run_export(exported)
    assert not marked.exists()
    assert temporaries(exported.data_dir) == [".export.tmp-my-notes"]


def test_an_export_waits_for_the_lock_and_gives_up_with_one_line_naming_the_holder(exported: Settings) -> None:
    hold = (
        "import sys, time; from producthuntdb.locks import exclusive; from producthuntdb.settings import Settings\n"
        "with exclusive(__import__('pathlib').Path(sys.argv[1]), Settings(environment='testing'), 'export'):\n"
        "    print('held', flush=True); sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(exported.export_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        env = {
            **os.environ,
            "PRODUCTHUNT_ENVIRONMENT": "testing",
            "PRODUCTHUNT_DATA_DIR": str(exported.data_dir),
            "PRODUCTHUNT_LOCK_WAIT_SECONDS": "1",
        }
        done = subprocess.run([PRODUCTHUNTDB, "export"], env=env, cwd=exported.data_dir, capture_output=True, text=True)
    finally:
        holder.communicate("", timeout=30)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    waiting = [line for line in done.stderr.splitlines() if "waiting to export (" in line]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert waiting and f"{exported.export_path} is locked by PID {holder.pid} (" in waiting[0], done.stderr
    assert len(errors) == 1 and errors[0].startswith(f"error: {exported.export_path} is locked by PID {holder.pid} (")
    assert f"PID {holder.pid} ({sys.executable[:40]}" in errors[0], "the holder's command line is named"
    assert errors[0].endswith("gave up waiting to export after 1 s (PRODUCTHUNT_LOCK_WAIT_SECONDS=1); nothing was changed")
    assert export_state(exported.export_path) == 5, "the export that gave up changed nothing"


def test_a_kill_between_the_renames_of_a_swap_without_renameat2_is_put_right(exported: Settings) -> None:
    """Where the kernel cannot exchange two directories, the swap is three renames: a kill after the
    first leaves no export directory at all, and the next export puts the previous one back first."""
    from producthuntdb import dirswap

    target = exported.export_path
    new = dirswap.temp_dir(target)
    carried = ["NOTES.md", "notebooks"]
    dirswap.write_marker(new, target, dirswap.NEW, carried=carried)
    for name in carried:  # what swap_in does before the exchange
        os.rename(target / name, new / name)
    dirswap.write_marker(target, target, dirswap.PREVIOUS)
    os.rename(target, exported.data_dir / ".export.tmp-0aside00")  # exchange()'s first rename, then the kill
    assert not target.exists()

    report = run_export(exported)

    assert report.tables["posts"] == export_state(target) == 6
    assert foreign_files(target) == FOREIGN
    assert temporaries(exported.data_dir) == [".export.tmp-my-notes"]
