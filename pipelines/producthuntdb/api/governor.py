"""The budget governor: spend the API's points fully, never trip a 429.

The API gives an application a fixed budget of complexity points per window and reports,
on every response, ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and
``X-Rate-Limit-Reset`` (seconds until the window resets). The governor:

* prices each request before it is sent (``query_cost``, the server's own rule);
* never sends a request costing more than what remains minus the share reserved for other
  applications (``budget_share``); when short, it sleeps until the reset (plus a small
  margin) — the window is used up to the last request that fits, and no 429 is provoked;
* enforces the run's bounds: ``max_points`` (a request that would exceed it is not sent)
  and a deadline (checked before every request, including before a long wait);
* if a 429 arrives anyway (another app spent the budget), waits for the reset it announces.

Bounds raise ``StopRun``, which is not an error: the sync loads what it has and saves its
position.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from loguru import logger

from producthuntdb.errors import ApiError

RESET_MARGIN_SECONDS = 0.05
"""Sleep a little past the announced reset so the server's window has surely rolled over."""

NOTICE_WAIT_SECONDS = 5.0
"""Budget waits at least this long are logged at INFO (shorter ones at DEBUG)."""

DEFAULT_429_WAIT_SECONDS = 5.0
"""Wait used when a 429 comes without a usable ``X-Rate-Limit-Reset``."""


class StopRun(Exception):
    """A run bound was reached; ``reason`` is ``max_points`` or ``max_minutes``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RateState:
    """What the last response said about the window."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # monotonic time at which the window resets


@dataclass
class BudgetGovernor:
    """Paces requests against the server-announced window; see the module docstring."""

    budget_share: float = 1.0
    max_points: int | None = None
    deadline: float | None = None  # monotonic
    margin: float = RESET_MARGIN_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rate: RateState = field(default_factory=RateState)
    points: int = 0
    requests: int = 0
    n_429: int = 0
    waited_seconds: float = 0.0
    window_usage: list[float] = field(default_factory=list)
    """Share of the window's budget used when the governor had to wait for a reset."""

    def reserve(self) -> float:
        """Points of each window left for other applications."""
        limit = self.rate.limit or 0
        return limit * (1.0 - self.budget_share)

    def check_deadline(self, extra_seconds: float = 0.0) -> None:
        if self.deadline is not None and self.clock() + extra_seconds > self.deadline:
            raise StopRun("max_minutes")

    def before(self, cost: int) -> None:
        """Block until a request of ``cost`` points may be sent, or raise ``StopRun``."""
        if self.max_points is not None and self.points + cost > self.max_points:
            raise StopRun("max_points")
        self.check_deadline()
        rate = self.rate
        if rate.limit is not None and cost > rate.limit * self.budget_share:
            raise ApiError(
                f"a query costs {cost} points, more than this app's share of the window "
                f"({rate.limit * self.budget_share:.0f}); raise --budget-share or fix the query"
            )
        if rate.remaining is None or rate.reset_at is None or rate.limit is None:
            return
        now = self.clock()
        if now >= rate.reset_at:
            rate.remaining = rate.limit  # the window has rolled over since we last heard
            rate.reset_at = None
            return
        if rate.remaining - self.reserve() >= cost:
            return
        wait = rate.reset_at - now + self.margin
        self.check_deadline(wait)
        self.window_usage.append((rate.limit - rate.remaining) / rate.limit)
        # A long wait is said at INFO: a real window is 15 minutes, and a silent sync looks hung.
        level = "INFO" if wait >= NOTICE_WAIT_SECONDS else "DEBUG"
        logger.log(
            level, "budget: {} points left, need {}; waiting {:.0f}s for the window to reset",
            rate.remaining, cost, wait,
        )
        self._sleep(wait)
        rate.remaining = rate.limit
        rate.reset_at = None

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record the window as the server reports it (every response, 429s included)."""
        limit = _int(headers.get("x-rate-limit-limit"))
        remaining = _int(headers.get("x-rate-limit-remaining"))
        reset = _float(headers.get("x-rate-limit-reset"))
        if limit is not None:
            self.rate.limit = limit
        if remaining is not None:
            self.rate.remaining = remaining
        if reset is not None:
            self.rate.reset_at = self.clock() + reset

    def charged(self, cost: int) -> None:
        """A request succeeded and was charged ``cost`` points."""
        self.points += cost
        self.requests += 1

    def on_429(self, headers: Mapping[str, str]) -> None:
        """Another app (or a bad estimate) exhausted the window: wait for the reset it announces."""
        self.n_429 += 1
        self.observe(headers)
        reset = _float(headers.get("x-rate-limit-reset"))
        wait = (reset if reset is not None else DEFAULT_429_WAIT_SECONDS) + self.margin
        self.check_deadline(wait)
        logger.warning("HTTP 429 from the API: waiting {:.1f}s for the window to reset", wait)
        self._sleep(wait)
        if self.rate.limit is not None:
            self.rate.remaining = self.rate.limit
            self.rate.reset_at = None

    def room(self) -> int | None:
        """Points that may be spent now without waiting (window share and ``max_points``), if known."""
        limits: list[float] = []
        rate = self.rate
        known = rate.limit is not None and rate.remaining is not None and rate.reset_at is not None
        if known and rate.remaining is not None and rate.reset_at is not None and self.clock() < rate.reset_at:
            limits.append(rate.remaining - self.reserve())
        if self.max_points is not None:
            limits.append(self.max_points - self.points)
        return int(min(limits)) if limits else None

    def seconds_to_reset(self) -> float | None:
        if self.rate.reset_at is None:
            return None
        return max(0.0, self.rate.reset_at - self.clock())

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)
            self.waited_seconds += seconds


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
