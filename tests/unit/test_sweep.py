"""The sweep's arithmetic (``source/sweep.py``): credit earned on the API's clock, the cycle in days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from producthuntdb.source.sweep import cycle_days, describe, earn, new_sweep, points_a_day, points_per_post

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


def test_credit_accrues_with_the_api_clock_capped_at_a_day_and_a_cycle() -> None:
    sweep = new_sweep(T0)
    assert earn(sweep, T0, rate=2.0, cycle_cost=10**9) == 0.0  # nothing earned yet
    assert earn(sweep, T0 + timedelta(hours=1), rate=2.0, cycle_cost=10**9) == 7200.0
    assert sweep["credited_at"] == "2026-10-01T13:00:00Z"
    # ten days later: at most a day's worth, never more than one round of the history costs
    assert earn(sweep, T0 + timedelta(days=10), rate=2.0, cycle_cost=10**9) == 2.0 * 86_400
    assert earn(sweep, T0 + timedelta(days=11), rate=2.0, cycle_cost=850) == 850
    # a clock that went back earns nothing (and takes nothing)
    assert earn(sweep, T0, rate=2.0, cycle_cost=10**9) == 850


def test_cycle_days_follow_the_history_and_the_share() -> None:
    daily = points_a_day()  # 6,250 points per 15 minutes
    assert daily == 600_000
    assert points_a_day(budget_share=0.5) == 300_000
    price = points_per_post()
    assert price == pytest.approx(85 / 19)
    # a million posts at 5 % of the budget: every post re-read about every five months
    assert cycle_days(1_000_000, 0.05, price, daily) == pytest.approx(149.1, abs=0.1)
    assert cycle_days(1_000_000, 0.10, price, daily) == pytest.approx(74.6, abs=0.1)
    assert cycle_days(1_000_000, 0.0, price, daily) is None


def test_status_line_says_the_cycle_in_days() -> None:
    line = describe(1_000_000, 0.05, 1.0, None)
    assert line.startswith("sweep: every post's counts re-read at least every 150 days (1,000,000 posts")
    assert "5% of 600,000 points a day" in line
    assert "every 0.45 days (3,000 posts × 4.47 points" in describe(3_000, 0.05, 1.0, None)
    assert "every 3.0 days" in describe(3_000, 0.05, 1.0, {"points_per_post": 30.0})  # a pricier server, measured
    assert describe(200, 0.05, 1.0, {"last_cycle_days": 0.5}).endswith("the last full cycle took 0.50 days")
    assert describe(200, 0.0, 1.0, None).startswith("sweep: off")
