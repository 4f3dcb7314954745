"""The complexity budget: ``budget`` points per fixed window of ``window_seconds``.

A window opens at the first request after the previous one closed (so an idle server
always offers a full budget) and ``X-Rate-Limit-Reset`` is the whole seconds left in it.
A request costing more than what remains is refused and costs nothing.

``foreign_spend`` models another tool of the same application: it wants that many points per
second from the same window. What it cannot get because the window is spent it asks again as
soon as there are points (up to one window's worth: it gives up on older work), so over time
it takes its rate whoever else spends. It never stops, so its windows follow one another
without a gap (the next opens where the last closed) and a client meets a window already
partly spent. What it spent is counted apart (``foreign_points``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    """What the three rate-limit headers report."""

    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": str(self.reset),
        }


class RateLimiter:
    def __init__(
        self,
        budget: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        foreign_spend: float = 0.0,
    ) -> None:
        self.budget = budget
        self.window = window_seconds
        self.foreign_spend = foreign_spend
        self.foreign_points = 0.0
        """Points the other tool spent, in all (``/_emulator/stats``)."""
        self._clock = clock
        self._lock = threading.Lock()
        self._window_end: float | None = None
        self._remaining = float(budget)
        self._drained_to = 0.0
        self._owed = 0.0
        """What the other tool wanted and could not get yet (it asks again)."""

    def _roll(self, now: float) -> None:
        if self._window_end is None or now >= self._window_end:
            if self.foreign_spend > 0 and self._window_end is not None:
                self._drain(self._window_end)  # the rest of the window that closed
                skipped = math.floor((now - self._window_end) / self.window)
                if skipped:
                    self.foreign_points += skipped * min(self.budget, self.foreign_spend * self.window)
                    self._owed = 0.0
                start = self._window_end + skipped * self.window
            else:
                start = now
            self._window_end = start + self.window
            self._remaining = float(self.budget)
            self._drained_to = start
        self._drain(now)

    def _drain(self, now: float) -> None:
        """What the other tool spent since the last look, as far as the window had points."""
        if self.foreign_spend <= 0 or now <= self._drained_to:
            return
        wanted = self._owed + self.foreign_spend * (now - self._drained_to)
        spent = min(self._remaining, wanted)
        self._remaining -= spent
        self.foreign_points += spent
        self._owed = min(wanted - spent, self.foreign_spend * self.window)
        self._drained_to = now

    def _quota(self, now: float) -> Quota:
        assert self._window_end is not None
        return Quota(self.budget, math.floor(self._remaining), max(0, math.ceil(self._window_end - now - 1e-6)))

    def peek(self) -> Quota:
        with self._lock:
            now = self._clock()
            if self._window_end is None or (now >= self._window_end and self.foreign_spend <= 0):
                return Quota(self.budget, self.budget, math.ceil(self.window))
            self._roll(now)
            return self._quota(now)

    def try_spend(self, cost: int) -> tuple[bool, Quota]:
        """Take ``cost`` points if they remain; (False, quota) and nothing taken otherwise."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            if cost > math.floor(self._remaining):
                return False, self._quota(now)
            self._remaining -= cost
            return True, self._quota(now)

    def refund(self, cost: int) -> Quota:
        """Give back points reserved for a request that turned out not to run."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            self._remaining = min(float(self.budget), self._remaining + cost)
            return self._quota(now)

    def reconfigure(
        self, budget: int | None = None, window_seconds: float | None = None, foreign_spend: float | None = None
    ) -> None:
        """New limits take effect with a fresh, full window."""
        with self._lock:
            if budget is not None:
                self.budget = budget
            if window_seconds is not None:
                self.window = window_seconds
            if foreign_spend is not None:
                self.foreign_spend = foreign_spend
            self._window_end = None
            self._remaining = float(self.budget)
            self._owed = 0.0
