"""Waiting for another process, and the lock every writer of the export or the served file takes.

Two kinds of lock make a stage wait: DuckDB's own lock on the working file (a BI tool, a second
sync; see ``warehouse.access.wait_for_lock``) and :func:`exclusive`, an advisory lock on a file beside a path
that several commands replace (the export directory, the served file). Both wait the same way —
up to ``PRODUCTHUNT_LOCK_WAIT_SECONDS``, saying every few seconds who holds the lock and how long
we have waited — so a scheduled run that meets a second one says so in the same words, whatever
the lock.

The lock is ``flock`` on ``.<name>.lock`` beside the path: the kernel drops it when its holder
dies, even by SIGKILL, so a killed export never blocks the next one. The holder writes its PID
and command line into the file; a waiter reads them to name it. The file itself is never
removed (removing a lock file others may hold open would let two holders in).
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from loguru import logger

from producthuntdb.errors import ProductHuntDBError
from producthuntdb.settings import Settings

T = TypeVar("T")
SAY_EVERY_SECONDS = 5.0
HOLDER_TEXT_LIMIT = 120


class Busy(Exception):
    """Raised by an attempt while another process holds what it needs; ``holder`` names it when known."""

    def __init__(self, holder: dict[str, Any] | None = None) -> None:
        super().__init__("busy")
        self.holder = holder


def describe_holder(holder: dict[str, Any]) -> str:
    """``PID n (command line)``, the command line cut in the middle when long.

    A BI tool's command line can be kilobytes of classpath; its head (the program) and its
    tail (the script or file) are what tell a stuck sync from a notebook, and the error
    stays one readable line.
    """
    what = " ".join(str(holder.get("cmdline") or holder.get("exe")).split())  # one line, even for `python -c` scripts
    if len(what) > HOLDER_TEXT_LIMIT:
        half = HOLDER_TEXT_LIMIT // 2
        what = f"{what[:half]}…{what[-half:]}"
    return f"PID {holder['pid']} ({what})"


def wait_turn(settings: Settings, subject: Path, doing: str, attempt: Callable[[], T], outcome: str) -> T:
    """``attempt()``, retried with backoff while it raises :class:`Busy`, up to ``lock_wait_seconds``.

    Says on the console who holds ``subject`` and how long we have waited; then gives up with one
    line that ends with ``outcome`` (what the give-up leaves behind).
    """
    started = time.monotonic()
    delay, last_said = 0.05, -math.inf
    while True:
        try:
            return attempt()
        except Busy as busy:
            who = describe_holder(busy.holder) if busy.holder else "another process"
            waited = time.monotonic() - started
            if waited + delay > settings.lock_wait_seconds:
                raise ProductHuntDBError(
                    f"{subject} is locked by {who}: gave up waiting to {doing} after {waited:.0f} s "
                    f"(PRODUCTHUNT_LOCK_WAIT_SECONDS={settings.lock_wait_seconds:g}); {outcome}"
                ) from None
            if time.monotonic() - last_said >= SAY_EVERY_SECONDS:
                last_said = time.monotonic()
                logger.warning(
                    "{} is locked by {}: waiting to {} ({:.0f} s so far, up to {:g} s)",
                    subject, who, doing, waited, settings.lock_wait_seconds,
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def lock_path(target: Path) -> Path:
    """The lock file of ``target``: ``.<name>.lock`` in the same directory (symbolic links resolved, so
    every writer of one directory takes the same lock whatever path it was given)."""
    resolved = target.resolve()
    return resolved.parent / f".{resolved.name}.lock"


@contextmanager
def exclusive(
    target: Path, settings: Settings, doing: str, outcome: str = "nothing was changed"
) -> Iterator[None]:
    """Hold ``target``'s lock while replacing it; wait (saying who holds it) while another process does."""
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def attempt() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy(_holder(path)) from None

        wait_turn(settings, target, doing, attempt, outcome)
        _say_holder(fd)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _say_holder(fd: int) -> None:
    """Write this process's PID and command line into the lock file, for the waiters' messages."""
    text = json.dumps({"pid": os.getpid(), "cmdline": " ".join(sys.orig_argv)}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, text, 0)


def _holder(path: Path) -> dict[str, Any] | None:
    try:
        holder = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None  # the holder is between taking the lock and writing its name
    return holder if isinstance(holder, dict) and "pid" in holder else None
