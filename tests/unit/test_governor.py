"""The budget governor against a fake clock: waits exactly when a request would not fit, counts
only its own points, backs off from a throttle and waits for the reset only when the window is spent."""

from __future__ import annotations

import pytest

from producthuntdb.api.governor import BudgetGovernor, StopRun
from producthuntdb.api.prices import PriceBook


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def governor(t: FakeTime, **kwargs: object) -> BudgetGovernor:
    return BudgetGovernor(clock=t.clock, sleep=t.sleep, margin=0.05, **kwargs)  # type: ignore[arg-type]


def headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset),
    }


def test_sends_without_waiting_while_the_window_has_room() -> None:
    t = FakeTime()
    g = governor(t)
    g.before(465)  # nothing known yet: go
    g.observe(headers(6250, 5785, 800))
    g.before(465)
    assert t.sleeps == []


def test_waits_for_the_reset_when_the_next_request_would_not_fit() -> None:
    t = FakeTime()
    g = governor(t)
    g.observe(headers(3000, 400, 2.5))
    g.before(465)
    assert t.sleeps == [pytest.approx(2.55)]
    assert g.window_usage == [pytest.approx(2600 / 3000)]
    g.before(465)  # the window was reset: no second wait
    assert len(t.sleeps) == 1


def test_exact_fit_is_sent() -> None:
    t = FakeTime()
    g = governor(t)
    g.observe(headers(3000, 465, 3))
    g.before(465)
    assert t.sleeps == []


def test_budget_share_leaves_a_share_of_the_window_to_other_apps() -> None:
    t = FakeTime()
    g = governor(t, budget_share=0.8)
    for _ in range(4):
        spend(g, 1000, limit=6250, reset=10)  # 4,000 of our 5,000 (80 % of 6,250)
    g.before(1000)
    assert t.sleeps == []
    g.settle(headers(6250, 6250 - 5000, 10), 1000, 1000, True, "Q", "Q(1000)")
    g.before(100)  # our share is spent though the server has 1,250 left
    assert t.sleeps == [pytest.approx(10.05)]


def test_budget_share_applies_to_what_the_others_left() -> None:
    t = FakeTime()
    g = governor(t, budget_share=0.5)
    g.observe(headers(6250, 3000, 10))  # the others spent 3,250 of this window before we came
    g.before(1400)  # half of the 3,000 they left is ours: no abort, no wait
    assert t.sleeps == []
    g.settle(headers(6250, 1600, 10), 1400, 1400, True, "Q", "Q(1400)")
    g.before(200)  # 1,400 of our 1,500 spent
    assert t.sleeps == [pytest.approx(10.05)]


def test_a_known_elapsed_reset_means_a_full_window() -> None:
    t = FakeTime()
    g = governor(t)
    g.observe(headers(3000, 10, 1.0))
    t.now += 2
    g.before(465)
    assert t.sleeps == []


def test_max_points_stops_before_the_request_that_would_exceed_it() -> None:
    t = FakeTime()
    g = governor(t, max_points=1000)
    g.before(465)
    g.charged(465)
    g.before(465)
    g.charged(465)
    with pytest.raises(StopRun) as stop:
        g.before(465)
    assert stop.value.reason == "max_points"
    assert g.points == 930


def test_deadline_stops_instead_of_a_wait_that_would_pass_it() -> None:
    t = FakeTime()
    g = governor(t, deadline=t.now + 60)
    g.observe(headers(6250, 10, 600))
    with pytest.raises(StopRun) as stop:
        g.before(465)
    assert stop.value.reason == "max_minutes"
    assert t.sleeps == []


def test_deadline_passed_stops() -> None:
    t = FakeTime()
    g = governor(t, deadline=t.now + 1)
    t.now += 2
    with pytest.raises(StopRun):
        g.before(3)


def spend(g: BudgetGovernor, points: int, limit: int = 3000, reset: float = 40) -> None:
    """One request of ``points`` the server charged us alone."""
    before = g.rate.remaining if g.rate.remaining is not None else limit
    g.before(points)
    g.settle(headers(limit, before - points, reset), points, points, True, "Q", f"Q({points})")


def test_a_429_once_our_own_spending_used_the_window_waits_for_the_announced_reset() -> None:
    t = FakeTime()
    g = governor(t)
    for _ in range(5):
        spend(g, 500)  # 2,500 of 3,000 are ours: less than a fifth is left
    g.on_429(headers(3000, 0, 4))
    assert g.n_429 == 1
    assert t.sleeps == [pytest.approx(4.05)]
    g.before(465)
    assert len(t.sleeps) == 1


def test_a_429_while_our_accounting_shows_the_window_left_is_a_throttle_backed_off() -> None:
    t = FakeTime()
    g = governor(t)
    spend(g, 300)
    g.on_429(headers(3000, 0, 30))  # a spurious 429: we spent a tenth of the window
    g.on_429(headers(3000, 0, 29))
    assert t.sleeps == [pytest.approx(1.05), pytest.approx(2.05)]  # a few seconds, doubling
    g.on_429(headers(3000, 0, 26))  # the third in a row waits for the reset
    assert t.sleeps[-1] == pytest.approx(26.05)
    spend(g, 300)  # any answer ends the streak
    g.on_429({})
    assert t.sleeps[-1] == pytest.approx(1.05)


def test_a_bare_429_is_a_throttle_capped_at_the_known_reset() -> None:
    t = FakeTime()
    g = governor(t, throttle_backoff=4.0)
    spend(g, 300, reset=3)
    g.on_429({})  # no rate information at all
    assert t.sleeps == [pytest.approx(3.05)]  # 4 s of backoff, but the window resets in 3


def test_the_reset_in_of_a_429_body_is_read_when_the_headers_say_nothing() -> None:
    t = FakeTime()
    g = governor(t)
    for _ in range(3):
        spend(g, 900, reset=600)
    g.on_429({}, reset_in=102)  # the real API's body: {"details": {"remaining": -50, "reset_in": 102}}
    assert t.sleeps == [pytest.approx(102.05)]


def test_a_query_larger_than_the_share_is_sent_when_the_window_has_room_never_an_error() -> None:
    t = FakeTime()
    g = governor(t, budget_share=0.1)
    g.observe(headers(3000, 3000, 4))
    g.before(465)  # 465 > 300, our share: it goes, the server has room
    assert t.sleeps == []
    g.observe(headers(3000, 400, 4))
    g.before(465)  # no room now: wait for the reset, do not abort
    assert t.sleeps == [pytest.approx(4.05)]


def test_a_drop_beyond_what_our_request_explains_is_foreign_spend_never_a_price() -> None:
    t = FakeTime()
    g = governor(t)
    g.before(325)
    g.settle(headers(3000, 3000, 40), 325, 325, True, "P", "P(20)")
    for remaining in (2675, 2350):  # 325 a page, twice: the price
        g.before(325)
        g.settle(headers(3000, remaining, 40), 325, 325, True, "P", "P(20)")
    g.before(325)
    charged = g.settle(headers(3000, 1525, 40), 325, 325, True, "P", "P(20)")  # another tool spent 500 meanwhile
    assert charged == 325 and g.foreign_points == 500
    assert g.points == 325 * 4
    assert g.prices.price("P", "P(20)", 325) == 325


def test_the_price_is_the_smallest_recent_observation_and_follows_a_server_that_charges_more() -> None:
    book = PriceBook()
    for drop in (400, 330, 900):  # 900: a burst of foreign spend
        book.learn("P", "P(20)", 325, drop)
    assert book.price("P", "P(20)", 325) == 330
    for drop in (975, 975, 975):  # the server now charges three times: seen every time
        book.learn("P", "P(20)", 325, drop)
    assert book.price("P", "P(20)", 325) == 975
    assert book.price("P", "P(10)", 165) == 495  # the operation's ratio prices its unseen shapes


def test_the_others_rate_is_expected_before_sending() -> None:
    t = FakeTime()
    g = governor(t)
    for remaining in (2900, 2800):  # alone: the price is 100
        g.before(100)
        g.settle(headers(3000, remaining, 40), 100, 100, True, "Q", "Q")
    for _ in range(3):  # then 100 ours a request and 100 foreign a second
        t.now += 1
        before = g.rate.remaining or 0
        g.before(100)
        g.settle(headers(3000, before - 200, 40), 100, 100, True, "Q", "Q")
    assert g.foreign_rate() == pytest.approx(100)
    g.observe(headers(3000, 600, 20))
    t.now += 3  # the others spent ~300 since the server said 600: 500 points would not fit
    g.before(500)
    assert t.sleeps == [pytest.approx(17.05)]


def test_a_price_book_survives_the_harvest_state() -> None:
    book = PriceBook()
    book.learn("P", "P(20)", 325, 975)
    book.learn("P", "P(20)", 325, 980)
    book.refused(300)
    book.fit_size("C", "first", 8)
    book.fit_aliases("T", 2)
    again = PriceBook.load(book.dump())
    assert again.price("P", "P(20)", 325) == 975
    assert again.price("X", "X(20)", 100) == 302  # a stored ratio (the largest, 980 / 325) counts as confirmed
    assert (again.max_complexity, again.sizes, again.aliases) == (300, {"C": {"first": 8}}, {"T": 2})
    assert PriceBook.load({"version": 99, "shapes": {"P(20)": 1}}).recent == {}


def test_garbage_headers_are_ignored() -> None:
    t = FakeTime()
    g = governor(t)
    g.observe({"x-rate-limit-limit": "lots", "x-rate-limit-remaining": "", "x-rate-limit-reset": "soon"})
    g.before(465)
    assert g.rate.limit is None and t.sleeps == []


def test_a_long_wait_for_the_window_is_said_at_info_a_short_one_at_debug() -> None:
    from loguru import logger

    records: list[tuple[str, str]] = []
    sink = logger.add(lambda m: records.append((m.record["level"].name, m.record["message"])), level="DEBUG")
    try:
        t = FakeTime()
        g = governor(t)
        g.observe(headers(6250, 100, 880))
        g.before(465)  # a real 15-minute window: the operator must see why nothing happens
        g.observe(headers(3000, 400, 0.5))
        g.before(465)
    finally:
        logger.remove(sink)
    waits = [(level, text) for level, text in records if "waiting" in text]
    assert [level for level, _ in waits] == ["INFO", "DEBUG"], waits
    assert "waiting 880s for the window to reset" in waits[0][1]


def test_an_epoch_reset_is_seconds_on_the_api_clock_and_never_longer_than_a_window() -> None:
    t = FakeTime()
    g = governor(t)
    g.server_time = lambda: 1_790_856_000.0
    g.observe(headers(3000, 3000, 10))  # a 10 s window, learned
    g.observe(headers(3000, 100, 1_790_856_000 + 4))
    assert g.seconds_to_reset() == pytest.approx(4)
    g.observe(headers(3000, 100, 2_000_000_000))  # a reset years away is a bad header, not a plan
    g.before(465)
    assert t.sleeps == [pytest.approx(10.05)]


def test_charged_points_are_the_drop_of_remaining_and_a_fresh_window_counts_from_the_limit() -> None:
    t = FakeTime()
    g = governor(t)
    g.before(465)
    assert g.settle(headers(3000, 2436, 5), 465, 465, True, "q", "q(20)") == 465  # nothing known before
    g.before(465)
    assert g.settle(headers(3000, 1872, 5), 465, 465, True, "q", "q(20)") == 564
    assert g.prices.price("q", "q(20)", 465) == 564
    t.now += 6  # the window rolled: the next drop is counted from the full budget
    g.before(564)
    assert g.settle(headers(3000, 2436, 10), 465, 564, True, "q", "q(20)") == 564
    g.before(564)
    assert g.settle(headers(3000, 2436, 10), 465, 564, False, "q", "q(20)") == 0  # refused, not charged
    assert g.points == 465 + 564 + 564 and g.foreign_points == 0
