"""The completeness ledger (``source/ledger.py``) alone: a window closes with what the API listed,
is counted again and paged once more when short, and records a gap when still short.

Ids come from three places — this run's tally, posts stored by an earlier chunk or run, and
quarantined posts — read from in-memory raw tables; recounts are ``posts_total`` answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from producthuntdb.source.ledger import RECOUNTS, close_or_reask, tally
from producthuntdb.source.times import iso
from producthuntdb.source.windows import BOUNDARY
from tests.unit.harvest_fakes import FakeApi, Tables, harvest_run

AFTER = datetime(2026, 9, 1, tzinfo=UTC)
BEFORE = AFTER + timedelta(days=10)


def window(expected: int | None, **more: Any) -> dict[str, Any]:
    return {"after": iso(AFTER), "before": iso(BEFORE), "top": iso(BEFORE - timedelta(hours=1)),
            "resume_before": iso(AFTER + timedelta(hours=1)), "expected": expected, **more}


def counts(*answers: int) -> FakeApi:
    """``posts_total`` answering these counts in turn (the last one from then on)."""
    said = list(answers)
    return FakeApi({"PostsTotal": lambda v: {"posts": {"totalCount": said.pop(0) if len(said) > 1 else said[0]}}})


def raw(stored: tuple[str, ...] = (), quarantined: tuple[str, ...] = ()) -> Tables:
    tables = Tables()
    tables.create("posts", "id VARCHAR, created_at TIMESTAMPTZ",
                  [(i, AFTER + timedelta(hours=2)) for i in stored] + [("outside", BEFORE + timedelta(hours=1))])
    tables.create("_quarantine", "id VARCHAR, entity VARCHAR, resolved_at TIMESTAMPTZ, window_after TIMESTAMPTZ",
                  [(i, "post", None, AFTER - BOUNDARY) for i in quarantined])
    return tables


def test_a_window_that_received_what_the_api_listed_closes_without_a_request() -> None:
    api = counts(0)
    with harvest_run(api, raw(stored=("s1", "s2"), quarantined=("q1",))) as run:
        w = window(5)
        tally(run, w).take([{"id": "a"}, {"id": "s1"}], ["b"])
        assert close_or_reask(run, w)
        assert not run.tallies and not run.gaps
    assert api.calls == [], "ids stored by an earlier chunk and quarantined ones count as received"


def test_a_short_window_is_counted_again_and_the_smallest_count_is_believed() -> None:
    api = counts(2, 9)  # the second count from a server that forgot the dates
    with harvest_run(api, raw()) as run:
        w = window(3)
        tally(run, w).take([{"id": "a"}, {"id": "b"}], [])
        assert close_or_reask(run, w)
        assert w["expected"] == 2 and not run.gaps
    assert len(api.calls) == RECOUNTS
    assert api.sent("PostsTotal")[0] == {"postedAfter": iso(AFTER - BOUNDARY), "postedBefore": iso(BEFORE)}


def test_still_short_it_is_paged_again_from_its_top_then_recorded_as_a_gap() -> None:
    api = counts(3)
    with harvest_run(api, raw(quarantined=("q",))) as run:
        w = window(3, paging={"run_id": "unit", "cursor": "c"})
        tally(run, w).take([{"id": "a"}, {"id": None}, {"id": "a"}], [])
        assert not close_or_reask(run, w)
        assert w["reasked"] and w["resume_before"] is None and w["paging"] is None
        assert w["top"] is not None, "the top stays: an open window closes at it"
        assert not run.gaps and run.tallies, "the tally goes on over the second paging"

        assert close_or_reask(run, w)  # paged again, still one short: recorded, closed
        [gap] = run.gaps
        assert (gap["expected"], gap["received"], gap["quarantined"], gap["unusable"]) == (3, 2, 1, 2)
        assert gap["window_after"] == AFTER and gap["window_before"] == BEFORE and gap["run_id"] == "unit"
        assert gap["reason"] == "1 node(s) repeated in a page, 1 node(s) without an id"
        assert (run.stats.gaps, run.stats.missing) == (1, 1) and not run.tallies
    assert len(api.calls) == RECOUNTS, "the second paging is not counted again"


def test_a_window_planned_before_the_ledger_closes_and_a_stopped_recount_keeps_it_open() -> None:
    with harvest_run(counts(0), raw()) as run:
        assert close_or_reask(run, window(None))
        run.client.governor.max_points = 0
        w = window(5)
        assert not close_or_reask(run, w)
        assert run.interrupted and "reasked" not in w and w["expected"] == 5


@settings(max_examples=40, deadline=None)
@given(
    here=st.sets(st.sampled_from("abcdefgh")), stored=st.sets(st.sampled_from("efghijkl")),
    quarantined=st.sets(st.sampled_from("mnop")), expected=st.integers(0, 16), recount=st.integers(0, 16),
)
def test_it_closes_without_a_gap_exactly_when_every_listed_post_was_received(
    here: set[str], stored: set[str], quarantined: set[str], expected: int, recount: int
) -> None:
    received = len(here | stored | quarantined)
    with harvest_run(counts(recount), raw(tuple(sorted(stored)), tuple(sorted(quarantined)))) as run:
        w = window(expected)
        tally(run, w).take([{"id": i} for i in sorted(here)], [])
        closed = close_or_reask(run, w)
        assert closed == (received >= min(expected, recount) or received >= expected)
        assert not run.gaps
        if not closed:
            assert w["reasked"] and w["expected"] == min(expected, recount)
            assert close_or_reask(run, w) and run.gaps[0]["received"] == received
            assert run.stats.missing == min(expected, recount) - received
