"""Window planning and paging (``source/windows.py``) against a history held in memory.

The API is a sorted list of post times answering ``posts_total`` probes the way the emulator
does (``postedAfter < createdAt < postedBefore``); ``plan_window`` runs on a real ``HarvestRun``.
The properties: skipped stretches hold no post, a closed window's size follows the sizing rule,
its ``expected`` is what the API counted, and paging a window page by page — resumed from the
saved position after every page — skips no post and ends with ``high_water`` past it.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producthuntdb.source.times import iso, ts
from producthuntdb.source.windows import (
    BOUNDARY,
    MAX_WINDOW_DAYS,
    MAX_WINDOW_POSTS,
    MIN_WINDOW_DAYS,
    MIN_WINDOW_POSTS,
    close_window,
    new_state,
    note_page,
    plan_window,
    remaining_ranges,
    start_of_next_window,
    whole_window,
    window_variables,
)
from tests.unit.harvest_fakes import FakeApi, harvest_run

FLOOR = datetime(2024, 1, 1, tzinfo=UTC)
NEWEST = FLOOR + timedelta(days=400)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class History:
    """Post times, sorted; answers ``posts`` listings and counts like the API."""

    def __init__(self, times: list[datetime]) -> None:
        self.times = sorted(times)

    def between(self, variables: dict[str, Any]) -> list[datetime]:
        after, before = ts(variables.get("postedAfter")), ts(variables.get("postedBefore"))
        lo = 0 if after is None else bisect.bisect_right(self.times, after)
        hi = len(self.times) if before is None else max(lo, bisect.bisect_left(self.times, before))
        return self.times[lo:hi]

    def api(self) -> FakeApi:
        return FakeApi({"PostsTotal": lambda v: {"posts": {"totalCount": len(self.between(v))}}})


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Bursts of posts (some denser than a window holds) over quiet stretches, at whole seconds."""
    bursts = draw(st.lists(st.tuples(
        st.integers(0, 399 * 86_400), st.integers(1, 6_000), st.integers(60, 40 * 86_400)
    ), max_size=5))
    seconds = {start + (k * spread) // count for start, count, spread in bursts for k in range(count)}
    return History([FLOOR + timedelta(seconds=s) for s in seconds if s < 400 * 86_400])


@FAST
@given(history=histories(), window_days=st.sampled_from([MIN_WINDOW_DAYS, 1.0, 30.0, 365.0]))
def test_a_planned_window_follows_the_sizing_rule_and_expects_what_the_api_counted(
    history: History, window_days: float
) -> None:
    api = history.api()
    state = {**new_state(FLOOR), "window_days": window_days}
    with harvest_run(api) as run:
        window = plan_window(run, state, FLOOR, NEWEST)
    assert window is not None
    after, days = ts(window["after"]), state["window_days"]
    assert after is not None and FLOOR <= after <= NEWEST
    assert not history.between({"postedAfter": iso(FLOOR - BOUNDARY), "postedBefore": iso(after)}), "a skipped stretch held posts"
    assert state["high_water"] == (iso(after) if after > FLOOR else None)
    assert len(api.calls) <= 61
    assert window["expected"] == len(history.between(whole_window(window)))
    if window["before"] is None:  # the open window: what is left reaches the newest post
        assert after + timedelta(days=days) >= NEWEST
        return
    before = ts(window["before"])
    assert before is not None and before < NEWEST and before - after == timedelta(days=days)
    assert window["expected"] > 0
    assert window["expected"] >= MIN_WINDOW_POSTS or days == MAX_WINDOW_DAYS
    half = len(history.between({"postedAfter": window["after"], "postedBefore": iso(after + timedelta(days=days / 2))}))
    assert window["expected"] <= MAX_WINDOW_POSTS or days == MIN_WINDOW_DAYS or half < MIN_WINDOW_POSTS


def test_an_empty_past_is_skipped_for_a_few_probes_and_a_young_world_gets_one_open_window() -> None:
    history = History([NEWEST - timedelta(hours=h) for h in range(1, 50)])
    api = history.api()
    state = new_state(FLOOR)
    with harvest_run(api) as run:
        window = plan_window(run, state, FLOOR, NEWEST)
    assert window is not None and window["before"] is None and window["expected"] == 49
    assert ts(state["high_water"]) == ts(window["after"]) and ts(window["after"]) > FLOOR  # type: ignore[operator]
    assert len(api.calls) <= 8, "empty stretches double, they are not walked a month at a time"
    assert run.stats.pages == len(api.calls)


def test_a_stopped_run_plans_nothing_and_keeps_what_it_learned_was_empty() -> None:
    history = History([NEWEST - timedelta(days=1)])
    state = new_state(FLOOR)
    with harvest_run(history.api()) as run:
        run.client.governor.max_points = 0  # the first probe would pass --max-points
        assert plan_window(run, state, FLOOR, NEWEST) is None
        assert run.stop_reason == "max_points" and state["high_water"] is None

    api = history.api()
    with harvest_run(api) as run:
        answer = api.answers["PostsTotal"]

        def stop_after_two(variables: dict[str, Any]) -> dict[str, Any]:
            if len(api.calls) == 2:
                run.client.governor.max_points = 0
            return answer(variables)

        api.answers["PostsTotal"] = stop_after_two
        assert plan_window(run, state, FLOOR, NEWEST) is None
    assert ts(state["high_water"]) == FLOOR + timedelta(days=30 + 60), "two empty stretches were learned"
    assert start_of_next_window(state) == FLOOR + timedelta(days=90)


def page(history: History, variables: dict[str, Any], size: int) -> list[datetime]:
    """The newest ``size`` posts of the range, as ``posts(order: NEWEST)`` lists them."""
    return history.between(variables)[::-1][:size]


@FAST
@given(
    offsets=st.sets(st.integers(0, 20 * 86_400), max_size=120),
    size=st.integers(2, 20),
    closed=st.booleans(),
)
def test_paging_a_window_resumed_after_every_page_skips_nothing_and_moves_high_water_past_it(
    offsets: set[int], size: int, closed: bool
) -> None:
    history = History([FLOOR + timedelta(days=5, seconds=s) for s in offsets])
    after = FLOOR + timedelta(days=5)
    before = after + timedelta(days=10) if closed else None
    state = {**new_state(FLOOR), "high_water": iso(after)}
    state["window"] = {"after": iso(after), "before": iso(before), "top": None, "resume_before": None}
    everything = set(history.between({"postedAfter": iso(FLOOR)}))
    in_window = set(history.between(whole_window(state["window"])))
    fetched: set[datetime] = set()
    for _ in range(200):
        left = set(history.between(window_variables(state["window"])))
        assert in_window - fetched <= left, "a post of the window fell outside what is left of it"
        pending = set().union(*(history.between(r) for r in remaining_ranges(state)))
        # an estimate: its ranges start at the window's ``after`` itself, not a second before
        assert everything - fetched - {after} <= pending, "the estimate's ranges miss a post"
        got = page(history, window_variables(state["window"]), size)
        fetched.update(got)
        note_page(state["window"], got)
        if len(got) < size:
            break
    assert in_window <= fetched
    top = state["window"]["top"]
    close_window(state)
    assert state["window"] is None
    expected_high = before if before is not None else max(after, ts(top) or after)
    assert start_of_next_window(state) == expected_high
    assert not set(history.between({"postedAfter": iso(after - BOUNDARY), "postedBefore": iso(expected_high)})) - fetched


def test_the_boundaries_are_sent_a_second_wide() -> None:
    window = {"after": "2026-01-01T00:00:00Z", "before": "2026-01-02T00:00:00Z", "top": None, "resume_before": None}
    assert window_variables(window) == {"postedAfter": "2025-12-31T23:59:59Z", "postedBefore": "2026-01-02T00:00:00Z"}
    note_page(window, [datetime(2026, 1, 1, 20, tzinfo=UTC), datetime(2026, 1, 1, 18, tzinfo=UTC)])
    assert window["top"] == "2026-01-01T20:00:00Z" and window["resume_before"] == "2026-01-01T18:00:00Z"
    assert window_variables(window)["postedBefore"] == "2026-01-01T18:00:01Z"
    assert whole_window(window) == window_variables({**window, "resume_before": None})
    note_page(window, [])
    assert window["resume_before"] == "2026-01-01T18:00:00Z"
