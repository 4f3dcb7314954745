"""The budget governor against a fake clock: waits exactly when a request would not fit."""

from __future__ import annotations

import pytest

from producthuntdb.api.governor import BudgetGovernor, StopRun
from producthuntdb.errors import ApiError


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


def test_budget_share_reserves_points_for_other_apps() -> None:
    t = FakeTime()
    g = governor(t, budget_share=0.8)
    g.observe(headers(6250, 1500, 10))  # 1500 - 1250 reserved = 250 usable
    g.before(200)
    assert t.sleeps == []
    g.before(465)
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


def test_a_429_waits_for_the_announced_reset_and_is_counted() -> None:
    t = FakeTime()
    g = governor(t)
    g.on_429(headers(6250, 0, 4))
    assert g.n_429 == 1
    assert t.sleeps == [pytest.approx(4.05)]
    g.before(465)
    assert len(t.sleeps) == 1


def test_a_query_larger_than_the_share_is_an_error_not_an_endless_wait() -> None:
    t = FakeTime()
    g = governor(t, budget_share=0.1)
    g.observe(headers(3000, 3000, 4))
    with pytest.raises(ApiError, match="more than this app's share"):
        g.before(465)


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
    assert g.settle(headers(3000, 2436, 5), 465, 465, True, "q", ("q", 20)) == 465  # nothing known before
    g.before(465)
    assert g.settle(headers(3000, 1872, 5), 465, 465, True, "q", ("q", 20)) == 564
    assert g.prices.price("q", ("q", 20), 465) == 564
    t.now += 6  # the window rolled: the next drop is counted from the full budget
    g.before(564)
    assert g.settle(headers(3000, 2436, 10), 465, 564, True, "q", ("q", 20)) == 564
    g.before(564)
    assert g.settle(headers(3000, 2436, 10), 465, 564, False, "q", ("q", 20)) == 0  # refused, not charged
    assert g.points == 465 + 564 + 564
