"""Marked temporary directories, and a directory replaced in one step: what export and serve write through.

A stage that replaces a path (the export directory, the served file) builds the new version in a
temporary sibling ``.<name>.tmp-<hex>``. That directory carries a marker file naming its owner and
its target, and clean-up removes marked directories only: ``DATA/.export.tmp-my-notes/`` is
somebody's, whatever its name. Clean-up happens under the target's lock (``locks.exclusive``), so
it never removes the temporary directory of a stage still running.

The export directory is swapped whole: :func:`swap_in` exchanges the new directory with the old
one in a single ``renameat2(RENAME_EXCHANGE)``, so at every instant the target holds either the
previous complete export or the new one — never a manifest beside files it does not describe.
Entries of the target the export does not own (a ``NOTES.md``, ``notebooks/``, the report's
charts) move into the new directory first and so survive the swap; each move is written in the
marker before it is made. A kill at any step leaves marked directories that :func:`recover` (run
by the next writer, under the lock) puts right: entries that are not the export's go back into the
target, the rest is removed. Where the kernel or file system cannot exchange, three renames do the
same, and :func:`recover` puts the previous directory back if a kill fell between them.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loguru import logger

MARKER = ".producthuntdb-temp.json"
OWNER = "producthuntdb"
NEW, PREVIOUS = "new", "previous"
"""A temporary directory's role: a version being built, or the one it replaced (to be removed)."""
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def temp_dir(target: Path) -> Path:
    """A new marked temporary directory beside ``target`` (same file system: it is renamed into place)."""
    path = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    (path / MARKER).write_text(json.dumps(_marker(target, NEW, [])), "utf-8")  # no rename: marked at once
    return path


def _marker(target: Path, role: str, carried: list[str]) -> dict[str, Any]:
    return {"owner": OWNER, "target": str(target), "role": role, "carried": carried, "pid": os.getpid()}


def write_marker(directory: Path, target: Path, role: str, carried: list[str] | None = None) -> None:
    """Mark ``directory`` as ours, for ``target``: a complete file renamed over the marker, which never goes missing."""
    partial = directory / f"{MARKER}.partial"
    partial.write_text(json.dumps(_marker(target, role, carried or [])), "utf-8")
    os.replace(partial, directory / MARKER)


def read_marker(directory: Path, target: Path) -> dict[str, Any] | None:
    """The marker of ``directory`` when it is one of ours for ``target``; None for anything else.

    A marker cut short by a kill while :func:`temp_dir` wrote it still marks a new, empty version.
    """
    try:
        text = (directory / MARKER).read_text("utf-8")
    except OSError:
        return None
    try:
        marker = json.loads(text)
    except ValueError:
        return _marker(target, NEW, [])
    if not isinstance(marker, dict) or marker.get("owner") != OWNER or marker.get("target") != str(target):
        return None
    return marker


def marked_temps(target: Path) -> list[Path]:
    """Temporary directories a writer of ``target`` left (killed, or failed before it cleaned up)."""
    candidates = target.parent.glob(f".{target.name}.tmp-*")
    return sorted(p for p in candidates if p.is_dir() and not p.is_symlink() and read_marker(p, target) is not None)


def remove_marked(directory: Path) -> None:
    """Remove a marked temporary directory, its marker last: killed half-way, it is still ours next time."""
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.name == MARKER:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (directory / MARKER).unlink(missing_ok=True)
    directory.rmdir()


def exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (Linux ``renameat2``); three renames where that is not available."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
            return
        error = ctypes.get_errno()
        if error not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # else: no exchange here, rename
            raise OSError(error, os.strerror(error), str(b))
    aside = b.parent / f".{b.name}.tmp-{uuid.uuid4().hex[:8]}"
    os.rename(b, aside)  # b carries its PREVIOUS marker: a kill here is undone by recover()
    os.rename(a, b)
    os.rename(aside, a)


def swap_in(new: Path, target: Path, owned: set[str]) -> None:
    """Make the marked directory ``new`` the ``target`` directory in one step.

    ``owned`` are the target's entries that the new version replaces or drops; every other entry
    is carried into ``new`` first, so it is still in the target after the swap. ``new`` ends up
    holding the previous version and is removed.
    """
    if not target.exists():
        os.rename(new, target)
        (target / MARKER).unlink()
        return
    foreign = sorted(p.name for p in target.iterdir() if p.name not in owned and not p.name.startswith(MARKER))
    write_marker(new, target, NEW, carried=foreign)
    for name in foreign:
        os.rename(target / name, new / name)
    write_marker(target, target, PREVIOUS)
    exchange(new, target)
    (target / MARKER).unlink()
    # `new` now holds the previous version: anything written into the target while we swapped goes back
    if _restore(_foreign_in(new, PREVIOUS, owned, []), target):
        remove_marked(new)


def recover(target: Path, owned_by: Callable[[Path], set[str]]) -> None:
    """Put right what killed writers of ``target`` left; call it holding the target's lock.

    ``owned_by(directory)`` names the entries a version in ``directory`` owns (its manifest's files).
    """
    temps = marked_temps(target)
    if not target.exists():  # killed between the renames of an exchange without renameat2
        previous = [t for t in temps if (read_marker(t, target) or {}).get("role") == PREVIOUS]
        if previous:
            os.rename(previous[0], target)
            temps.remove(previous[0])
            logger.warning("{}: put back the version a killed writer had moved aside", target)
    if target.is_dir() and not target.is_symlink():
        for leftover in target.glob(f"{MARKER}*"):
            leftover.unlink()
    for temp in temps:
        marker = read_marker(temp, target)
        if marker is None:
            continue
        try:
            owned = owned_by(temp) if marker["role"] == PREVIOUS else set()
        except Exception as exc:  # an unreadable manifest: keep everything, say so
            logger.warning("{} left as it is: {}", temp, exc)
            continue
        if _restore(_foreign_in(temp, str(marker["role"]), owned, list(marker.get("carried") or [])), target):
            remove_marked(temp)
            logger.info("removed {} (left by a killed or failed writer of {})", temp, target)


def _foreign_in(temp: Path, role: str, owned: set[str], carried: list[str]) -> list[Path]:
    """Entries of ``temp`` that are not the writer's: carried from the target, or written there meanwhile."""
    if role == NEW:
        return [temp / name for name in carried if (temp / name).exists() or (temp / name).is_symlink()]
    return [p for p in temp.iterdir() if p.name not in owned and not p.name.startswith(MARKER)]


def _restore(entries: list[Path], target: Path) -> bool:
    """Move ``entries`` back into ``target``; False (nothing removed then) if one cannot go back."""
    restored = True
    for entry in entries:
        destination = target / entry.name
        if destination.exists() or destination.is_symlink():
            logger.warning("{} kept: {} exists again in {}", entry.parent, entry.name, target)
            restored = False
            continue
        os.rename(entry, destination)
    return restored
