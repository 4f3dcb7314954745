"""The API's clock, read from the ``Date`` header of its responses.

Post times (``createdAt``) come from the API's clock; an observation of a post's metrics
must carry a time from that same clock, or a launch's trajectory is distorted by the
machine's skew (or, against the emulator, by months). ``ServerClock.now()`` is the last
``Date`` the API sent plus the time elapsed since, on this machine's monotonic clock.
Without any ``Date`` it falls back to the machine's clock, and says so once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from loguru import logger

SKEW_NOTICE_SECONDS = 5.0
"""A skew at least this large between the API's clock and this machine's is logged at INFO."""


class ServerClock:
    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._anchor: tuple[float, float] | None = None  # (server epoch, local monotonic)
        self.skew_seconds: float | None = None
        """Server minus machine, from the first ``Date`` seen."""
        self._fallback_said = False

    def observe(self, headers: Mapping[str, str]) -> None:
        """Re-anchor on the response's ``Date`` (ignored when missing or unreadable)."""
        value = headers.get("date")
        if not value:
            return
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        server = moment.timestamp()
        self._anchor = (server, self._monotonic())
        if self.skew_seconds is None:
            self.skew_seconds = server - self._wall()
            if abs(self.skew_seconds) >= SKEW_NOTICE_SECONDS:
                logger.info(
                    "the API's clock is {} {} this machine's; observation times follow the API",
                    _duration(abs(self.skew_seconds)), "ahead of" if self.skew_seconds > 0 else "behind",
                )

    @property
    def known(self) -> bool:
        return self._anchor is not None

    def epoch(self) -> float:
        """Seconds since 1970 on the API's clock (the machine's when the API sent no ``Date``)."""
        if self._anchor is None:
            if not self._fallback_said:
                self._fallback_said = True
                logger.info("the API sent no Date header: observation times use this machine's clock")
            return self._wall()
        server, at = self._anchor
        return server + (self._monotonic() - at)

    def now(self) -> datetime:
        """The API's current time, timezone-aware (UTC)."""
        return datetime.fromtimestamp(self.epoch(), UTC)


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds:.0f}s"
