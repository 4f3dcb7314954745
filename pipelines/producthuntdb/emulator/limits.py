"""The complexity budget: ``budget`` points per fixed window of ``window_seconds``.

A window opens at the first request after the previous one closed (so an idle server
always offers a full budget) and ``X-Rate-Limit-Reset`` is the whole seconds left in it.
A request costing more than what remains is refused and costs nothing.
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
        self, budget: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.budget = budget
        self.window = window_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._window_end: float | None = None
        self._remaining = budget

    def _roll(self, now: float) -> None:
        if self._window_end is None or now >= self._window_end:
            self._window_end = now + self.window
            self._remaining = self.budget

    def _quota(self, now: float) -> Quota:
        assert self._window_end is not None
        return Quota(self.budget, self._remaining, max(0, math.ceil(self._window_end - now - 1e-6)))

    def peek(self) -> Quota:
        with self._lock:
            now = self._clock()
            if self._window_end is None or now >= self._window_end:
                return Quota(self.budget, self.budget, math.ceil(self.window))
            return self._quota(now)

    def try_spend(self, cost: int) -> tuple[bool, Quota]:
        """Take ``cost`` points if they remain; (False, quota) and nothing taken otherwise."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            if cost > self._remaining:
                return False, self._quota(now)
            self._remaining -= cost
            return True, self._quota(now)

    def refund(self, cost: int) -> Quota:
        """Give back points reserved for a request that turned out not to run."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            self._remaining = min(self.budget, self._remaining + cost)
            return self._quota(now)

    def reconfigure(self, budget: int | None = None, window_seconds: float | None = None) -> None:
        """New limits take effect with a fresh, full window."""
        with self._lock:
            if budget is not None:
                self.budget = budget
            if window_seconds is not None:
                self.window = window_seconds
            self._window_end = None
            self._remaining = self.budget
