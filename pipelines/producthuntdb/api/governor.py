"""The budget governor: spend the API's points fully, never trip a 429, count what was charged.

The API gives an application a fixed budget of complexity points per window and reports,
on every response, ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and
``X-Rate-Limit-Reset``. The governor:

* budgets each request with its *price*: the larger of the client's estimate and what the
  server was seen to charge for the same query shape (``PriceBook``). Our estimate is a
  model of graphql-ruby's rule; the server may use another rule or charge more, and a run
  that trusted the estimate would provoke a 429 per window;
* counts *charged* points — the drop of ``X-Rate-Limit-Remaining`` across a request, or
  the price when the server reports nothing — so ``--max-points``, ``_sync_runs.points``
  and ``status`` speak of what was really spent;
* never sends a request costing more than what remains minus the share reserved for other
  applications (``budget_share``); when short, it sleeps until the reset (plus a margin);
  without rate headers it keeps its own ledger of a window (the last limit and window it
  learned, else the API's documented 6,250 points / 15 minutes);
* reads ``X-Rate-Limit-Reset`` as seconds, or as a Unix time when the value is far larger
  than any window, and never sleeps longer than a window (the largest reset seen, else
  15 minutes); a 429 waits for ``Retry-After``, the announced reset, or the known reset;
* enforces the run's bounds: ``max_points`` (a request that would exceed it is not sent)
  and a deadline (checked before every request, including before a long wait).

Bounds raise ``StopRun``, which is not an error: the sync loads what it has and saves its
position.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from loguru import logger

from producthuntdb.errors import ApiError

RESET_MARGIN_SECONDS = 0.05
"""Sleep a little past the announced reset so the server's window has surely rolled over."""

NOTICE_WAIT_SECONDS = 5.0
"""Budget waits at least this long are logged at INFO (shorter ones at DEBUG)."""

DEFAULT_429_WAIT_SECONDS = 5.0
"""Wait used when a 429 says nothing usable about when to come back."""

DOCUMENTED_LIMIT = 6250
DOCUMENTED_WINDOW_SECONDS = 900.0
"""The API's documented budget; used only until the server has told us its own."""

EPOCH_THRESHOLD = 1_000_000.0
"""A reset value this large (11 days) cannot be seconds of a window: it is a Unix time."""


class StopRun(Exception):
    """A run bound was reached; ``reason`` is ``max_points`` or ``max_minutes``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RateState:
    """What the last response said about the window (or our own ledger when it said nothing)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # monotonic time at which the window resets
    reported: bool = False
    """True when ``remaining`` came from the server, False when it is our own ledger."""


@dataclass
class PriceBook:
    """What each query shape was seen to cost, against what we estimated for it.

    A shape is the query text plus its page size; a shape never seen is priced with the
    ratio seen for the same query at another page size, else the largest ratio seen for
    any query (a server that charges more for one query likely does for the next).
    """

    observed: dict[Hashable, int] = field(default_factory=dict)
    query_ratio: dict[Hashable, float] = field(default_factory=dict)
    max_ratio: float = 1.0

    def price(self, query_key: Hashable, shape: Hashable, estimate: int) -> int:
        if shape in self.observed:
            return max(estimate, self.observed[shape])
        ratio = self.query_ratio.get(query_key, self.max_ratio)
        return max(estimate, math.ceil(estimate * ratio - 1e-9))

    def learn(self, query_key: Hashable, shape: Hashable, estimate: int, charged: int) -> None:
        if estimate <= 0 or charged <= 0:
            return
        self.observed[shape] = charged
        ratio = charged / estimate
        self.query_ratio[query_key] = ratio
        self.max_ratio = max(self.max_ratio, ratio)


@dataclass
class BudgetGovernor:
    """Paces requests against the server-announced window; see the module docstring."""

    budget_share: float = 1.0
    max_points: int | None = None
    deadline: float | None = None  # monotonic
    margin: float = RESET_MARGIN_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    server_time: Callable[[], float] = time.time
    """The API's clock in Unix seconds (the client passes its ``ServerClock``): epoch resets are read on it."""
    rate: RateState = field(default_factory=RateState)
    prices: PriceBook = field(default_factory=PriceBook)
    points: int = 0
    """Points charged by the server (measured), not estimated."""
    estimated_points: int = 0
    requests: int = 0
    n_429: int = 0
    waited_seconds: float = 0.0
    window_seconds: float | None = None
    """The longest window the server announced (largest reset in seconds seen)."""
    window_usage: list[float] = field(default_factory=list)
    """Share of the window's budget used when the governor had to wait for a reset."""
    _sent_with: tuple[int, bool] | None = None
    """(remaining, same window) as known when the last request left."""

    def reserve(self) -> float:
        """Points of each window left for other applications."""
        limit = self.rate.limit or 0
        return limit * (1.0 - self.budget_share)

    def window_cap(self) -> float:
        """No wait is ever longer than this: one whole window."""
        return self.window_seconds or DOCUMENTED_WINDOW_SECONDS

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
        if rate.remaining is None:
            self._sent_with = None
            return
        if rate.reset_at is None or rate.limit is None:
            self._sent_with = (rate.remaining, False)  # no reset known: nothing to pace on
            return
        now = self.clock()
        if now >= rate.reset_at:
            self._roll()
            return
        if rate.remaining - self.reserve() >= cost:
            self._sent_with = (rate.remaining, True)
            return
        wait = min(rate.reset_at - now, self.window_cap()) + self.margin
        self.check_deadline(wait)
        self.window_usage.append((rate.limit - rate.remaining) / rate.limit)
        # A long wait is said at INFO: a real window is 15 minutes, and a silent sync looks hung.
        level = "INFO" if wait >= NOTICE_WAIT_SECONDS else "DEBUG"
        logger.log(
            level, "budget: {} points left, need {}; waiting {:.0f}s for the window to reset",
            rate.remaining, cost, wait,
        )
        self._sleep(wait)
        self._roll()

    def _roll(self) -> None:
        """The window has reset since we last heard: full budget, and the next drop is ours alone."""
        rate = self.rate
        assert rate.limit is not None
        rate.remaining = rate.limit
        rate.reset_at = None
        self._sent_with = (rate.limit, False)

    def observe(self, headers: Mapping[str, str]) -> bool:
        """Record the window as the server reports it; True when it reported ``remaining``."""
        limit = _int(headers.get("x-rate-limit-limit"))
        remaining = _int(headers.get("x-rate-limit-remaining"))
        reset = self._reset_seconds(headers.get("x-rate-limit-reset"))
        if limit is not None:
            self.rate.limit = limit
        if remaining is not None:
            self.rate.remaining = remaining
            self.rate.reported = True
        if reset is not None:
            self.rate.reset_at = self.clock() + reset
        return remaining is not None

    def _reset_seconds(self, value: str | None) -> float | None:
        """Seconds until the reset: a count of seconds, or a Unix time read on the API's clock."""
        number = _float(value)
        if number is None or number < 0:
            return None
        if number >= EPOCH_THRESHOLD:
            seconds = number - self.server_time()
            if not 0 <= seconds <= self.window_cap():
                logger.debug("reset {} read as a Unix time is {:.0f}s away: capped to a window", value, seconds)
            return min(max(seconds, 0.0), self.window_cap())
        self.window_seconds = max(self.window_seconds or 0.0, number)
        return number

    def settle(
        self, headers: Mapping[str, str], estimate: int, price: int, ran: bool,
        query_key: Hashable = None, shape: Hashable = None,
    ) -> int:
        """After a response: read its rate headers, count and learn what it was charged.

        ``ran``: the server executed the request (charged it). Returns the points charged.
        """
        sent_with, self._sent_with = self._sent_with, None
        reported = self.observe(headers)
        charged = 0
        if reported and self.rate.remaining is not None:
            if sent_with is not None and self.rate.remaining <= sent_with[0]:
                charged = sent_with[0] - self.rate.remaining
                if ran and shape is not None:
                    self.prices.learn(query_key, shape, estimate, charged)
            elif ran:
                charged = price  # nothing known of the window before: trust the price
        elif ran:
            charged = price
            self._ledger(price)
        if ran:
            self.requests += 1
            self.estimated_points += estimate
        self.points += charged
        return charged

    def _ledger(self, cost: int) -> None:
        """No rate headers: keep our own account of a window so pacing still happens."""
        rate, now = self.rate, self.clock()
        if rate.reported and rate.reset_at is not None and now < rate.reset_at and rate.remaining is not None:
            rate.remaining = max(0, rate.remaining - cost)
            return
        if rate.reported or rate.reset_at is None or rate.remaining is None or now >= rate.reset_at:
            rate.limit = rate.limit or DOCUMENTED_LIMIT
            rate.remaining = rate.limit
            rate.reset_at = now + self.window_cap()
            rate.reported = False
        rate.remaining = max(0, rate.remaining - cost)

    def charged(self, cost: int) -> None:
        """Count ``cost`` charged points for a request whose response said nothing (tests, tools)."""
        self.points += cost
        self.requests += 1

    def on_429(self, headers: Mapping[str, str]) -> float:
        """The window is exhausted (another app, or a price we did not know): wait, return the wait."""
        self.n_429 += 1
        self._sent_with = None
        self.observe(headers)
        wait = self._retry_after(headers.get("retry-after"))
        source = "Retry-After"
        announced = self._reset_seconds(headers.get("x-rate-limit-reset"))
        if wait is None and announced is not None:
            wait, source = announced, "the announced reset"
        if wait is None and self.rate.reset_at is not None and self.clock() < self.rate.reset_at:
            wait, source = self.seconds_to_reset(), "the known reset"
        if wait is None:
            wait, source = DEFAULT_429_WAIT_SECONDS, "no reset announced"
        wait = min(wait, self.window_cap()) + self.margin
        self.check_deadline(wait)
        logger.warning("HTTP 429 from the API: waiting {:.1f}s ({})", wait, source)
        self._sleep(wait)
        if source in ("the announced reset", "the known reset") and self.rate.limit is not None:
            self._roll()
        else:  # waited on a guess: the window may not have rolled, so nothing is known until it says
            self.rate.remaining = self.rate.reset_at = None
        return wait

    def _retry_after(self, value: str | None) -> float | None:
        """``Retry-After`` as seconds, or as an HTTP date read on the API's clock."""
        if not value:
            return None
        seconds = _float(value)
        if seconds is not None:
            return max(0.0, seconds)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, moment.timestamp() - self.server_time())

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
