"""Getting at the database a stage writes: waiting out another process's lock, one-line errors.

DuckDB allows one writer per file, and a BI tool or a notebook may hold it; dlt wraps whatever
goes wrong in its own exceptions several layers deep. Every write (and sync's reads through dlt)
goes through :func:`wait_for_lock`, which waits the way ``locks.wait_turn`` waits for any lock,
and failures become one :class:`ProductHuntDBError` line through :func:`as_error` — a full disk
said as such, never dlt's multi-line object dump. ``Warehouse.check_ready`` refuses a corrupt file
(or an unreachable server) before a sync spends a single point.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any, TypeVar

from producthuntdb.errors import ProductHuntDBError
from producthuntdb.locks import Busy, wait_turn
from producthuntdb.settings import Settings
from producthuntdb.warehouse.files import DatabaseUnavailable, lock_holder

T = TypeVar("T")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _holder(e: BaseException) -> dict[str, Any] | None:
    return e.holder if isinstance(e, DatabaseUnavailable) else lock_holder(e)


def _is_lock(exc: BaseException) -> bool:
    return any(
        "Could not set lock" in (e.reason if isinstance(e, DatabaseUnavailable) else str(e)) or _holder(e) is not None
        for e in _chain(exc)
    )


def one_line(exc: BaseException) -> str:
    """The innermost cause of ``exc`` as one line (never dlt's multi-line object dump)."""
    for e in _chain(exc):
        if isinstance(e, ProductHuntDBError):
            return str(e)
    root = _chain(exc)[-1]
    text = (str(root).strip().splitlines() or [""])[0]
    return f"{root.__class__.__name__}: {text}" if text else root.__class__.__name__


def as_error(exc: BaseException, doing: str) -> ProductHuntDBError:
    for e in _chain(exc):
        if isinstance(e, ProductHuntDBError):
            return e
    if any(_is_disk_full(e) for e in _chain(exc)):
        return ProductHuntDBError(
            f"{doing} failed: the disk is full (No space left on device); free some space and sync again: "
            "what was not loaded stays pending and the next sync resumes"
        )
    return ProductHuntDBError(f"{doing} failed: {one_line(exc)}")


def _is_disk_full(exc: BaseException) -> bool:
    """ENOSPC from Python, or DuckDB's own wording of it (its errors carry no errno)."""
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def wait_for_lock(
    settings: Settings, doing: str, action: Callable[[], T],
    outcome: str = "nothing fetched is lost, the next sync resumes",
) -> T:
    """``action()``, retried while another process holds the database's lock (``locks.wait_turn``:
    the holder named on the console; after ``lock_wait_seconds`` one line, what was not loaded stays pending)."""

    def attempt() -> T:
        try:
            return action()
        except Exception as exc:
            if not _is_lock(exc):
                raise
            raise Busy(next((h for h in (_holder(e) for e in _chain(exc)) if h), None)) from None

    return wait_turn(settings, settings.db_path, doing, attempt, outcome)
