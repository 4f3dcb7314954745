"""The world's "now": only what was created at or before it exists; tests move it forward.

Epoch seconds (int) everywhere inside the emulator: comparisons and bisects on integer
arrays are what keep a 500,000-post world fast.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime


def to_epoch(moment: datetime) -> int:
    """Whole seconds since 1970 (UTC); naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def iso(seconds: int) -> str:
    """The API's DateTime format: ISO-8601 UTC with a ``Z`` and whole seconds."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> int:
    """A DateTime argument as epoch seconds; raises ValueError on anything else."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return to_epoch(value)


class Clock:
    """Thread-safe, manually advanced clock: the emulator never follows the wall clock."""

    def __init__(self, start: datetime) -> None:
        self._now = to_epoch(start)
        self._lock = threading.Lock()

    @property
    def now(self) -> int:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> int:
        """Move forward (never back: a world does not un-create posts); returns the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += int(seconds)
            return self._now

    def set(self, moment: int) -> int:
        with self._lock:
            if moment < self._now:
                raise ValueError("the clock only moves forward")
            self._now = moment
            return self._now
