"""The budget governor: spend our share of the API's points, never trip a 429, count what was ours.

The API gives an *application* a fixed budget of complexity points per window and reports,
on every response, ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and
``X-Rate-Limit-Reset``. Other tools of the same application spend from the same window, so
the governor:

* budgets each request with its *price* (``api/prices.py``): what the server was seen to
  charge for the shape — the smallest of its recent observations — else our estimate scaled by
  the ratio the server charges over it;
* attributes to itself only what it sent: the drop of ``Remaining`` across a request, capped at
  the shape's known price (or, for a shape not seen before, less the spend the others were seen
  to make meanwhile). The rest is *foreign spend*: counted (``foreign_points``), logged, never a
  price. ``points`` — what ``--max-points``, ``_sync_runs.points`` and ``status`` speak of — is ours;
* never sends a request costing more than what the server says remains, less what the others
  are expected to spend before it arrives (their measured rate); ``budget_share`` applies to what
  the server says remains — of the window the others left (what remains plus what we spent in
  it), we spend at most that share, so their spending shrinks our share and never starves it;
  when short, it sleeps until the reset. A request larger than our share goes when the server
  says it fits: spending that is not ours never aborts a run. Without rate headers it keeps its
  own ledger of a window (the last limit and window it learned, else the API's documented 6,250
  points / 15 minutes);
* reads ``X-Rate-Limit-Reset`` as seconds, or as a Unix time when the value is far larger than
  any window, and never sleeps longer than a window;
* answers a 429 as the real API means it: ``Retry-After`` when given; a 429 while our own
  accounting of the window (the last ``Remaining`` a response told us, less what we and the others
  at their measured rate spent since; what we spent of the limit when we know nothing better)
  shows at least a fifth of it left, or with no rate information at all, is a *throttle* — back
  off a few seconds, doubling, capped at the reset — and only the third in a row waits for the
  reset (``X-Rate-Limit-Reset`` or the body's ``details.reset_in``); a 429 once our accounting
  shows the window spent waits for the reset at once;
* enforces the run's bounds: ``max_points`` (a request that would pass it is not sent) and a
  deadline (checked before every request, including before a long wait).

Bounds raise ``StopRun``, which is not an error: the sync loads what it has and saves its
position.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from loguru import logger

from producthuntdb.api.prices import PriceBook

RESET_MARGIN_SECONDS = 0.05
"""Sleep a little past the announced reset so the server's window has surely rolled over."""

NOTICE_WAIT_SECONDS = 5.0
"""Budget waits at least this long are logged at INFO (shorter ones at DEBUG)."""

DEFAULT_429_WAIT_SECONDS = 5.0
"""Wait used when a 429 that is no throttle says nothing about when to come back."""

THROTTLE_BACKOFF_SECONDS = 1.0
"""The first wait after a throttling 429; doubled for the next one in a row."""

THROTTLES_BEFORE_RESET = 3
"""The third 429 in a row waits for the window's reset instead of backing off."""

THROTTLE_SHARE = 0.2
"""A 429 while our own spending leaves at least this share of the window is a throttle."""

DOCUMENTED_LIMIT = 6250
DOCUMENTED_WINDOW_SECONDS = 900.0
"""The API's documented budget; used only until the server has told us its own."""

EPOCH_THRESHOLD = 1_000_000.0
"""A reset value this large (11 days) cannot be seconds of a window: it is a Unix time."""

SAME_WINDOW_SECONDS = 1.25
"""Two resets announced this close are the same window (whole seconds, plus latency); in a window
whose length we have read, anything under half of it is (``_new_window``)."""

FOREIGN_LEAD_SECONDS = 0.05
"""Foreign spend is expected at least this long after we decide to send, until the server charges us
(longer when our recent requests took longer: a busy machine or network)."""

ROUND_TRIPS = 20
"""The lead is the slowest of this many recent requests."""

FOREIGN_MARGIN = 0.01
"""Once others were seen spending, this share of the window is kept in hand: their next points may
land between our reading of ``Remaining`` and our request, before their rate is measured."""

FOREIGN_SAMPLES = 10
"""The others' rate is measured over this many recent pauses of ours."""

FOREIGN_SAMPLE_SECONDS = 0.25
"""A pause at least this long (a load, a wait) measures the others' rate. Between requests sent
back to back their spend is a few points, which the smallest recent drop of a shape already holds."""


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
    read_at: float | None = None
    """When ``remaining`` was true (monotonic): the others have spent since."""
    own: int = 0
    """Points charged to us in this window: our own accounting of it."""


@dataclass
class _Sent:
    """The window as known when a request left: the drop across it is measured from here."""

    remaining: int
    read_at: float | None
    reset_at: float | None
    assumed: bool = False
    """``remaining`` is the full budget assumed at a reset, not a reading: the others' spend since
    (a tool spending its backlog as the window opens) cannot be told from our price."""


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
    throttle_backoff: float = THROTTLE_BACKOFF_SECONDS
    rate: RateState = field(default_factory=RateState)
    prices: PriceBook = field(default_factory=PriceBook)
    points: int = 0
    """Points charged to us (measured, foreign spend excluded), not estimated."""
    foreign_points: int = 0
    """Drops of ``Remaining`` our requests cannot explain: another tool of this application."""
    estimated_points: int = 0
    requests: int = 0
    n_429: int = 0
    waited_seconds: float = 0.0
    longest_wait: float = 0.0
    window_seconds: float | None = None
    """The longest window the server announced (largest reset in seconds seen)."""
    window_usage: list[float] = field(default_factory=list)
    """Share of the window's budget spent (by anyone) when the governor had to wait for a reset."""
    _sent: _Sent | None = None
    _throttles: int = 0
    """429s in a row (any other answer resets it)."""
    _foreign: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=FOREIGN_SAMPLES))
    """(foreign points, seconds) of recent observations: the others' rate."""
    _over_share_said: bool = False
    _sent_at: float | None = None
    _round_trips: deque[float] = field(default_factory=lambda: deque(maxlen=ROUND_TRIPS))
    """Seconds our recent requests took: how long the others spend before ours is charged."""

    def window_cap(self) -> float:
        """No wait is ever longer than this: one whole window."""
        return self.window_seconds or DOCUMENTED_WINDOW_SECONDS

    def foreign_rate(self) -> float:
        """Points per second the others were seen to spend over our recent pauses."""
        seconds = sum(s for _, s in self._foreign)
        return sum(p for p, _ in self._foreign) / seconds if seconds > 0 else 0.0

    def check_deadline(self, extra_seconds: float = 0.0) -> None:
        if self.deadline is not None and self.clock() + extra_seconds > self.deadline:
            raise StopRun("max_minutes")

    def _available(self, now: float) -> float:
        """What the server will have left when a request sent now arrives (the others spend meanwhile)."""
        rate = self.rate
        assert rate.remaining is not None
        since = now - rate.read_at if rate.read_at is not None else 0.0
        lead = max([FOREIGN_LEAD_SECONDS, *self._round_trips])
        others = self.foreign_rate() * (max(0.0, since) + lead)
        if self.foreign_points > 0:
            others = max(others, FOREIGN_MARGIN * (rate.limit or DOCUMENTED_LIMIT))
        return rate.remaining - others

    def _ours(self, available: float) -> float:
        """Of ``available``, what our share lets us spend: the share of the window the others left
        (what the server says remains plus what we spent of it), less what we spent."""
        rate = self.rate
        if self.budget_share >= 1.0 or rate.remaining is None:
            return available
        return min(available, self.budget_share * (rate.remaining + rate.own) - rate.own)

    def before(self, cost: int) -> None:
        """Block until a request of ``cost`` points may be sent, or raise ``StopRun``."""
        if self.max_points is not None and self.points + cost > self.max_points:
            raise StopRun("max_points")
        self.check_deadline()
        self._pace(cost)
        self._sent_at = self.clock()

    def _pace(self, cost: int) -> None:
        rate = self.rate
        if rate.remaining is None:
            self._sent = None
            return
        if rate.reset_at is None or rate.limit is None:  # no reset known: nothing to pace on
            self._sent = _Sent(rate.remaining, rate.read_at, None)
            return
        now = self.clock()
        if now >= rate.reset_at:
            self._roll()
            return
        available = self._available(now)
        if self._ours(available) >= cost or self._over_share(cost, available):
            self._sent = _Sent(rate.remaining, rate.read_at, rate.reset_at)
            return
        wait = min(rate.reset_at - now, self.window_cap()) + self.margin
        self.check_deadline(wait)
        self.window_usage.append((rate.limit - rate.remaining) / rate.limit)  # by us and the others alike
        # A long wait is said at INFO: a real window is 15 minutes, and a silent sync looks hung.
        level = "INFO" if wait >= NOTICE_WAIT_SECONDS else "DEBUG"
        others = self.foreign_rate()
        logger.log(
            level, "budget: {} points left{}, need {}; waiting {:.0f}s for the window to reset",
            max(0, int(self._ours(available))), f" (other tools spend ~{others:.0f}/s)" if others >= 1 else "",
            cost, wait,
        )
        self._sleep(wait)
        self._roll()

    def _over_share(self, cost: int, available: float) -> bool:
        """A request larger than our share of a window goes when the server has room for it (said once)."""
        limit = self.rate.limit
        if limit is None or cost <= limit * self.budget_share or cost > available:
            return False
        if not self._over_share_said:
            self._over_share_said = True
            logger.info(
                "a query costs {} points, more than this app's share of the window ({:.0f}): "
                "it is sent when the window has room for it", cost, limit * self.budget_share,
            )
        return True

    def _roll(self) -> None:
        """The window has reset since we last heard: full budget, counted from its start."""
        rate = self.rate
        assert rate.limit is not None
        started = rate.reset_at
        rate.remaining, rate.reset_at, rate.own = rate.limit, None, 0
        rate.read_at = started if started is not None else self.clock()
        self._sent = _Sent(rate.limit, rate.read_at, None, assumed=True)

    def observe(self, headers: Mapping[str, str], *, remaining: bool = True) -> bool:
        """Record the window as the server reports it; True when it reported ``remaining``.

        ``remaining=False``: keep the limit and the reset but not ``Remaining`` (a throttling 429's).
        """
        limit = _int(headers.get("x-rate-limit-limit"))
        left = _int(headers.get("x-rate-limit-remaining")) if remaining else None
        reset = self._reset_seconds(headers.get("x-rate-limit-reset"))
        now = self.clock()
        if limit is not None:
            self.rate.limit = limit
        if reset is not None:
            reset_at = now + reset
            if self.rate.reset_at is None or self._new_window(self.rate.reset_at, reset_at):
                self.rate.own = 0  # a window we had not seen: nothing of it is ours yet
            self.rate.reset_at = reset_at
        if left is not None:
            self.rate.remaining, self.rate.read_at = left, now
            self.rate.reported = True
        return left is not None

    def _new_window(self, before: float, after: float) -> bool:
        """Whether a reset read as ``after`` belongs to a later window than one read as ``before``.

        A reset in whole seconds read late (a loaded machine, a slow network) moves on by the delay,
        which can pass ``SAME_WINDOW_SECONDS``; a new window moves it by about a window. Taking the
        delay for a new window priced the request at our estimate instead of the drop measured."""
        slack = max(SAME_WINDOW_SECONDS, (self.window_seconds or 0.0) / 2)
        return after > before + slack

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
        operation: str = "", shape: str = "",
    ) -> int:
        """After a response: read its rate headers, count what was ours and what was foreign, learn.

        ``ran``: the server executed the request (charged it). Returns the points charged to us.
        """
        sent, self._sent = self._sent, None
        self._throttles = 0
        self._round_trip()
        reported = self.observe(headers)
        rate = self.rate
        charged = 0
        if reported and rate.remaining is not None:
            drop = self._drop(sent)
            if drop is None:  # nothing known of the window before, or a new one began: trust the price
                charged = price if ran else 0
            elif not ran:
                self._foreign_spent(drop, sent)
            elif sent is not None and sent.assumed:  # ours is what we budgeted; nothing is learned
                charged = min(drop, price)
                self._count_foreign(drop - charged)
            else:
                charged = self._attribute(drop, sent, shape)
                # the whole drop is an upper bound of the price: the book keeps the smallest recent one
                self.prices.learn(operation, shape, estimate, drop)
        elif ran:
            charged = price
            self._ledger(price)
        if ran:
            self.requests += 1
            self.estimated_points += estimate
        self.points += charged
        rate.own += charged
        return charged

    def _drop(self, sent: _Sent | None) -> int | None:
        """How far ``Remaining`` fell since the request left, if both readings are of one window."""
        rate = self.rate
        assert rate.remaining is not None
        if sent is None or rate.remaining > sent.remaining:
            return None
        if sent.reset_at is not None and rate.reset_at is not None and self._new_window(sent.reset_at, rate.reset_at):
            return None
        return sent.remaining - rate.remaining

    def _attribute(self, drop: int, sent: _Sent | None, shape: str) -> int:
        """Our part of ``drop``: at most the shape's known price; for a new shape, the drop less the
        others' expected spend (their measured rate). The rest is foreign (and, against a known
        price, measures their rate)."""
        seconds = self._since(sent)
        known = self.prices.known(shape)
        if known is not None:
            own = min(drop, known)
            self._sample(drop - own, seconds)
        else:
            own = max(0, drop - round(self.foreign_rate() * seconds))
        self._count_foreign(drop - own)
        return own

    def _foreign_spent(self, drop: int, sent: _Sent | None) -> None:
        """A request the server did not charge, yet ``Remaining`` fell: all of it was the others'."""
        self._sample(drop, self._since(sent))
        self._count_foreign(drop)

    def _sample(self, points: int, seconds: float) -> None:
        if seconds >= FOREIGN_SAMPLE_SECONDS:
            self._foreign.append((float(points), seconds))

    def _since(self, sent: _Sent | None) -> float:
        read_at = sent.read_at if sent is not None else None
        return max(0.0, self.clock() - read_at) if read_at is not None else 0.0

    def _count_foreign(self, points: int) -> None:
        if points <= 0:
            return
        if self.foreign_points == 0:
            logger.info(
                "another tool spends this application's budget too ({} points beyond our request): "
                "counted as foreign spend, never as our price", points,
            )
        self.foreign_points += points

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
            rate.reported, rate.read_at, rate.own = False, now, 0
        rate.remaining = max(0, rate.remaining - cost)

    def charged(self, cost: int) -> None:
        """Count ``cost`` charged points for a request whose response said nothing (tests, tools)."""
        self.points += cost
        self.requests += 1

    def on_429(self, headers: Mapping[str, str], reset_in: float | None = None) -> float:
        """A 429: a throttle to back off from, or a spent window to wait out; returns the wait.

        ``reset_in``: the seconds the 429's JSON body announced (``details.reset_in``), if any.
        """
        self.n_429 += 1
        self._sent = None
        self._throttles += 1
        self._round_trip()
        informed = reset_in is not None or any(
            headers.get(name) is not None for name in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
        )
        limit = self.rate.limit or _int(headers.get("x-rate-limit-limit")) or DOCUMENTED_LIMIT
        throttle = not informed or self._left(limit) >= THROTTLE_SHARE * limit
        self.observe(headers, remaining=not throttle)
        announced = self._reset_seconds(headers.get("x-rate-limit-reset"))
        if announced is None and reset_in is not None and reset_in >= 0:
            announced = min(float(reset_in), self.window_cap())
            self.rate.reset_at = self.clock() + announced
        if announced is None and self.rate.reset_at is not None and self.clock() < self.rate.reset_at:
            announced = self.seconds_to_reset()
        retry_after = self._retry_after(headers.get("retry-after"))
        if retry_after is not None:
            wait, source, rolls = retry_after, "Retry-After", False
        elif throttle and self._throttles < THROTTLES_BEFORE_RESET:
            backoff = self.throttle_backoff * 2 ** (self._throttles - 1)
            wait = min(backoff, announced) if announced is not None else backoff
            source, rolls = f"a throttle, {self._throttles} in a row: we spent little of this window", False
        elif announced is not None:
            wait, source, rolls = announced, "the window's reset", True
        else:
            wait, source, rolls = DEFAULT_429_WAIT_SECONDS, "no reset announced", False
        wait = min(wait, self.window_cap()) + self.margin
        self.check_deadline(wait)
        logger.warning("HTTP 429 from the API: waiting {:.1f}s ({})", wait, source)
        self._sleep(wait)
        if rolls and self.rate.limit is not None:
            self._throttles = 0
            self._roll()
        else:  # the window may not have rolled: nothing is known of it until the server says
            self.rate.remaining = None
        return wait

    def _left(self, limit: int) -> float:
        """Our accounting of what the window has left: the last reading less what we and the others
        spent since, else what we spent of the limit."""
        rate, now = self.rate, self.clock()
        if rate.remaining is not None and rate.reset_at is not None and now < rate.reset_at:
            return self._available(now)
        return limit - rate.own

    def _round_trip(self) -> None:
        if self._sent_at is not None:
            self._round_trips.append(self.clock() - self._sent_at)
            self._sent_at = None

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
        now = self.clock()
        if rate.limit is not None and rate.remaining is not None and rate.reset_at is not None and now < rate.reset_at:
            limits.append(self._ours(self._available(now)))
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
            self.longest_wait = max(self.longest_wait, seconds)


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
