"""The governor's accounting as properties (the examples are in ``test_governor.py``): whatever
other tools of the application spend meanwhile, every point the window lost is counted once —
ours or foreign — ours is never less than what our requests cost, foreign never more than the
others spent, ``room`` never promises more than the server or ``--max-points`` allow, and
without rate headers its own ledger never spends more than the documented window.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from producthuntdb.api.governor import DOCUMENTED_LIMIT, BudgetGovernor
from producthuntdb.api.prices import RECENT
from tests.unit.test_governor import FakeTime, governor, headers

LIMIT = 100_000
WINDOW = 900.0
FAST = settings(max_examples=60, deadline=None)
steps = st.lists(st.tuples(st.integers(0, 500) | st.just(0), st.floats(0.0, 3.0)), min_size=1, max_size=30)
"""Per request: points the other tools spent before it arrived, and seconds since the last one."""


def serve(g: BudgetGovernor, t: FakeTime, price: int, plan: list[tuple[int, float]]) -> tuple[int, int, list[int]]:
    """Requests of one shape costing ``price`` against a window of ``LIMIT``; returns what the
    window lost in all, what the others spent of it, and what the governor charged each request."""
    remaining, start, others, charged = LIMIT, t.now, 0, []
    for k, (spent, pause) in enumerate(plan):
        t.now += pause
        g.before(price)
        spent = spent if k else 0  # before the first answer nothing is known: the first is priced, not measured
        remaining -= spent + price
        others += spent
        reset = WINDOW - (t.now - start)
        charged.append(g.settle(headers(LIMIT, remaining, reset), price, price, True, "Q", "Q(20)"))
    return LIMIT - remaining, others, charged


@FAST
@given(price=st.sampled_from([2, 25, 100, 325]), plan=steps)
def test_every_point_the_window_lost_is_counted_once_ours_never_short_foreign_never_over(
    price: int, plan: list[tuple[int, float]]
) -> None:
    t = FakeTime()
    g = governor(t)
    lost, others, charged = serve(g, t, price, plan)
    assert t.sleeps == [], "the window always had room"
    assert g.points + g.foreign_points == lost
    assert g.points == sum(charged) >= price * len(plan)
    assert g.foreign_points <= others
    assert all(c >= price for c in charged)
    if others == 0:
        assert g.points == price * len(plan) and g.foreign_points == 0, "spend that is not there is never invented"
    for k in range(2, len(plan)):  # once a recent request was alone, the price is known and the rest is foreign
        if any(plan[j][0] == 0 for j in range(max(1, k - RECENT), k)):
            assert charged[k] == price


@FAST
@given(
    price=st.sampled_from([25, 325]), plan=steps, share=st.sampled_from([1.0, 0.5, 0.1]),
    max_points=st.one_of(st.none(), st.integers(0, 20_000)),
)
def test_room_never_promises_more_than_the_server_our_share_or_max_points_allow(
    price: int, plan: list[tuple[int, float]], share: float, max_points: int | None
) -> None:
    t = FakeTime()
    g = governor(t, budget_share=share)
    serve(g, t, price, plan)
    g.max_points = max_points
    room = g.room()
    rate = g.rate
    assert room is not None and rate.remaining is not None
    assert room <= rate.remaining
    assert room <= share * (rate.remaining + rate.own) - rate.own + 1
    if max_points is not None:
        assert room <= max_points - g.points


@FAST
@given(prices=st.lists(st.integers(1, 700), min_size=1, max_size=60))
def test_without_rate_headers_its_own_ledger_never_spends_more_than_the_documented_window(prices: list[int]) -> None:
    t = FakeTime()
    g = governor(t)
    spent_since_wait, waits = 0, 0
    for price in prices:
        g.before(price)
        if len(t.sleeps) > waits:  # a wait for the window: a fresh one begins
            waits, spent_since_wait = len(t.sleeps), 0
            assert t.sleeps[-1] <= WINDOW + 0.05
        spent_since_wait += price
        assert spent_since_wait <= DOCUMENTED_LIMIT
        g.settle({}, price, price, True, "Q", "Q(20)")
    assert g.points == sum(prices) and g.foreign_points == 0
    assert waits >= -(-sum(prices) // DOCUMENTED_LIMIT) - 1


@FAST
@given(
    charges=st.lists(st.integers(1, 700), min_size=2, max_size=30),
    delays=st.lists(st.floats(0.0, 5.0), min_size=30, max_size=30),
)
def test_a_reset_read_late_is_still_the_same_window_and_what_it_lost_is_ours(
    charges: list[int], delays: list[float]
) -> None:
    """The reset comes in whole seconds, and an answer can be read seconds after the server wrote it
    (a loaded machine, a slow network): it is still one window, and each request is charged what the
    window lost across it, never our estimate in its place."""
    t = FakeTime()
    g = governor(t)
    remaining, start = LIMIT, t.now
    for k, (charge, delay) in enumerate(zip(charges, delays[: len(charges)], strict=True)):
        t.now += 0.1
        g.before(100)
        remaining -= charge
        reset = int(WINDOW - (t.now - start))  # whole seconds, as the server wrote them
        t.now += delay  # read this much later
        g.settle(headers(LIMIT, remaining, reset), 100, 100, True, "Q", f"Q({k})")
    assert g.foreign_points == 0
    assert g.points == 100 + sum(charges[1:]), "the first is priced (nothing known before it), the rest measured"
