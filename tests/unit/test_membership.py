"""Membership planning (``source/membership.py``) alone: which topics are probed and paged, for
which range, and that a scan stopped at any request resumes to the same links.

The API is a map topic → its posts (id, created at) answering the aliased ``TopicTotals``
probes and ``TopicsPosts`` pages; the raw tables (topics, loaded posts) are in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from producthuntdb.source.helpers import ChunkLimits
from producthuntdb.source.membership import MAX_ALIASES, PROBES_PER_REQUEST, scan_due, topic_links
from producthuntdb.source.times import iso, ts
from producthuntdb.source.windows import BOUNDARY, PRODUCT_HUNT_EPOCH, new_state
from tests.unit.harvest_fakes import T0, FakeApi, Tables, connection, harvest_run

FLOOR = datetime(2026, 1, 1, tzinfo=UTC)
THROUGH = FLOOR + timedelta(days=100)
HIGH = FLOOR + timedelta(days=110)
World = dict[str, list[tuple[str, datetime]]]
"""Topic slug → its posts (id, created at)."""


def in_range(posts: list[tuple[str, datetime]], variables: dict[str, Any]) -> list[str]:
    """The topic's post ids in the request's dates, newest first (``order: NEWEST``)."""
    after, before = ts(variables.get("postedAfter")), ts(variables.get("postedBefore"))
    kept = [(t, i) for i, t in posts if (after is None or t > after) and (before is None or t < before)]
    return [i for _, i in sorted(kept, reverse=True)]


def topics_api(world: World, remaining: int = 1_000_000) -> FakeApi:
    def aliases(variables: dict[str, Any]) -> list[tuple[int, str]]:
        return [(i, variables[f"topic{i}"]) for i in range(100) if f"topic{i}" in variables]

    def totals(variables: dict[str, Any]) -> dict[str, Any]:
        return {f"t{i}": {"totalCount": len(in_range(world[slug], variables))} for i, slug in aliases(variables)}

    def pages(variables: dict[str, Any]) -> dict[str, Any]:
        data = {}
        for i, slug in aliases(variables):
            ids, start = in_range(world[slug], variables), int(variables[f"cursor{i}"] or 0)
            end = min(len(ids), start + int(variables[f"first{i}"]))
            data[f"t{i}"] = connection(ids[start:end], str(end), end < len(ids))
        return data

    return FakeApi({"TopicTotals": totals, "TopicsPosts": pages}, remaining=remaining)


def raw(world: World, loaded: set[str], counts: dict[str, int] | None = None) -> Tables:
    """Raw ``topics`` (id = slug upper-cased) and the ``posts`` the harvest loaded."""
    tables = Tables()
    tables.create("topics", "id VARCHAR, slug VARCHAR, posts_count BIGINT",
                  [(slug.upper(), slug, (counts or {}).get(slug, len(posts))) for slug, posts in sorted(world.items())])
    created = {i: t for posts in world.values() for i, t in posts}
    tables.create("posts", "id VARCHAR, created_at TIMESTAMPTZ", [(i, created[i]) for i in sorted(loaded) if i in created])
    return tables


def scan(world: World, loaded: set[str], state: dict[str, Any], chunk_pages: int = 400,
         remaining: int = 1_000_000, counts: dict[str, int] | None = None) -> tuple[set[tuple[str, str]], FakeApi]:
    """Run ``topic_links`` chunk after chunk until it finishes: the links, and the API's log."""
    api, tables = topics_api(world, remaining), raw(world, loaded, counts)
    links: list[tuple[str, str]] = []
    with harvest_run(api, tables, limits=ChunkLimits(pages=chunk_pages)) as run:
        for _ in range(500):
            run.new_chunk()
            links += [(r["post_id"], r["topic_id"]) for rows in topic_links(run, state) for r in rows]
            assert run.error is None
            if "topic_links" in run.finished:
                break
    assert len(links) == len(set(links)), "a link read twice: a stopped scan resumed behind its position"
    return set(links), api


def expected(world: World, loaded: set[str], after: datetime, before: datetime) -> set[tuple[str, str]]:
    span = {"postedAfter": iso(after - BOUNDARY), "postedBefore": iso(before + BOUNDARY)}
    return {(i, slug.upper()) for slug, posts in world.items() for i in in_range(posts, span) if i in loaded}


@st.composite
def worlds(draw: st.DrawFn) -> tuple[World, set[str]]:
    """Up to 30 topics sharing posts created around the scanned range, some of them not loaded."""
    n_posts = draw(st.integers(0, 80))
    times = [FLOOR + timedelta(days=draw(st.integers(95, 115)), seconds=k) for k in range(n_posts)]
    world = {
        f"s{n}": [(f"p{k}", times[k]) for k in sorted(draw(st.sets(st.integers(0, max(0, n_posts - 1)), max_size=45)))
                  if k < n_posts]
        for n in range(draw(st.integers(1, 30)))
    }
    loaded = {f"p{k}" for k in range(n_posts) if draw(st.booleans()) or k % 3}
    return world, loaded


@settings(max_examples=30, deadline=None)
@given(world_loaded=worlds(), chunk_pages=st.sampled_from([1, 2, 400]))
def test_an_incremental_scan_reads_the_loaded_posts_links_of_its_range_however_chunked(
    world_loaded: tuple[World, set[str]], chunk_pages: int
) -> None:
    world, loaded = world_loaded
    state = {**new_state(FLOOR), "high_water": iso(HIGH), "links_through": iso(THROUGH)}
    links, api = scan(world, loaded, state, chunk_pages)
    assert links == expected(world, loaded, THROUGH, HIGH)
    assert state["links_through"] == iso(HIGH) and state["links_scan"] is None and not scan_due(state)
    probed = [v[f"topic{i}"] for v in api.sent("TopicTotals") for i in range(PROBES_PER_REQUEST) if f"topic{i}" in v]
    assert sorted(probed) == sorted(world), "every known topic is probed once"
    paged = {v[f"topic{i}"] for v in api.sent("TopicsPosts") for i in range(MAX_ALIASES) if f"topic{i}" in v}
    span = {"postedAfter": iso(THROUGH - BOUNDARY), "postedBefore": iso(HIGH + BOUNDARY)}
    assert paged == {slug for slug, posts in world.items() if in_range(posts, span)}, "only topics with posts are paged"
    assert all(v["postedAfter"] == span["postedAfter"] and v["postedBefore"] == span["postedBefore"] for _, v in api.calls)


def test_nothing_is_scanned_while_the_harvest_has_not_moved_past_the_links() -> None:
    state = new_state(FLOOR)
    assert not scan_due(state)  # nothing harvested yet
    state["high_water"] = iso(THROUGH)
    assert scan_due(state)  # the first harvest: from the floor
    state["links_through"] = iso(THROUGH)
    assert not scan_due(state)
    links, api = scan({"a": [("p1", THROUGH)]}, {"p1"}, state)
    assert links == set() and api.calls == []
    state["links_scan"] = {"after": iso(FLOOR), "before": iso(THROUGH), "unprobed": [], "todo": []}
    assert scan_due(state), "a scan a stopped run left is finished first"


def test_the_first_scan_of_a_whole_history_takes_the_topics_counts_instead_of_probing() -> None:
    world = {"a": [(f"a{k}", FLOOR + timedelta(days=k)) for k in range(25)], "b": [], "c": [("c0", FLOOR)]}
    state = {**new_state(PRODUCT_HUNT_EPOCH), "high_water": iso(HIGH), "topics_refreshed_at": iso(T0)}
    everything = {i for posts in world.values() for i, _ in posts}
    links, api = scan(world, everything, state, counts={"a": 21})  # a count that fell short
    assert links == expected(world, everything, PRODUCT_HUNT_EPOCH, HIGH)
    assert api.sent("TopicTotals") == [], "the probe is saved"
    firsts = [{k: v for k, v in r.items() if k.startswith(("topic", "first"))} for r in api.sent("TopicsPosts")]
    assert firsts == [{"topic0": "a", "first0": 20, "topic1": "c", "first1": 1}, {"topic0": "a", "first0": 1},
                      {"topic0": "a", "first0": 20}], "pages ask for what the count leaves, then go on by full pages"


def test_a_scan_of_an_older_history_probes_even_right_after_reading_the_topics() -> None:
    state = {**new_state(FLOOR), "high_water": iso(HIGH), "topics_refreshed_at": iso(T0)}
    _, api = scan({"a": [("p1", HIGH)]}, {"p1"}, state)
    assert len(api.sent("TopicTotals")) == 1


def test_the_rate_windows_last_points_bound_a_request_of_topic_pages() -> None:
    world = {f"s{n}": [(f"p{n}", HIGH - timedelta(hours=1))] for n in range(5)}
    state = {**new_state(FLOOR), "high_water": iso(HIGH), "links_through": iso(THROUGH)}
    links, api = scan(world, {f"p{n}" for n in range(5)}, state, remaining=20)
    assert len(links) == 5
    # a topic page of one link costs 6 points; 20 left: three aliases a request
    assert [sum(k.startswith("topic") for k in v) for v in api.sent("TopicsPosts")] == [3, 2]
