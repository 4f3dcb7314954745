"""Both pagers (``source/helpers.py``) on a real ``HarvestRun``, the API a listing in memory.

``paginate`` reads every node of a connection once and in order, whatever the page size, pays
at most ``DOUBTS_BELIEVED`` second asks to a server whose pages are short by design, and gets
past a page that came back stale once. ``paginate_aliased`` reads every connection of its
``todo`` once, however the requests are batched, and a run stopped between requests resumes
from ``todo`` without reading a node twice.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from producthuntdb.api.client import PAGE_CAP
from producthuntdb.api.queries import batched_topic_posts_query
from producthuntdb.source.guards import DOUBTS_BELIEVED
from producthuntdb.source.helpers import ChunkLimits, paginate, paginate_aliased
from tests.unit.harvest_fakes import FakeApi, connection, harvest_run

FAST = settings(max_examples=30, deadline=None)


def listing(ids: list[str], size: int, stale: frozenset[int] = frozenset()) -> FakeApi:
    """``topics`` pages of ``size`` at cursor offsets; page numbers in ``stale`` first answer the page before."""
    served: set[int] = set()

    def answer(variables: dict[str, Any]) -> dict[str, Any]:
        start = int(variables.get("cursor") or 0)
        number = start // size
        if number in stale and number not in served:
            served.add(number)
            start -= size  # a stale cache: the page before, already had
        chunk = ids[start : start + size]
        end = start + len(chunk)
        return {"topics": connection(chunk, str(end), end < len(ids))}

    return FakeApi({"TopicsPage": answer})


@FAST
@given(count=st.integers(0, 90), size=st.integers(1, 25))
def test_paginate_reads_every_node_once_in_order_and_believes_a_server_of_short_pages(count: int, size: int) -> None:
    ids = [f"t{k}" for k in range(count)]
    api = listing(ids, size)
    with harvest_run(api) as run:
        pages = list(paginate(run, "topics_page", {}, ("topics",)))
        assert [n["id"] for p in pages for n in p["nodes"]] == ids
        assert not run.interrupted and run.stats.pages == len(api.calls)
    pages_needed = max(1, -(-count // size))
    extra = len(api.calls) - pages_needed
    if size >= PAGE_CAP or pages_needed == 1:
        assert extra == 0
    else:  # each short page with more to come is asked twice until the server is believed
        assert extra == min(DOUBTS_BELIEVED, pages_needed - 1)


@FAST
@given(count=st.integers(21, 120), stale=st.frozensets(st.integers(1, 5)))
def test_paginate_gets_past_pages_that_come_back_stale_once(count: int, stale: frozenset[int]) -> None:
    ids = [f"t{k}" for k in range(count)]
    api = listing(ids, PAGE_CAP, stale)
    with harvest_run(api) as run:
        got = [n["id"] for p in paginate(run, "topics_page", {}, ("topics",)) for n in p["nodes"]]
        assert got == ids and run.error is None
    pages = -(-count // PAGE_CAP)
    assert len(api.calls) == pages + len({s for s in stale if s < pages})


def test_paginate_starts_from_a_page_in_hand_and_ends_when_the_object_is_gone() -> None:
    comments = FakeApi({"PostComments": lambda v: {"post": None}})
    with harvest_run(comments) as run:
        first = connection(["c1", "c2"], "2", True)
        pages = list(paginate(run, "post_comments", {"id": "p1"}, ("post", "comments"), first_page=first))
        assert pages == [first] and not run.interrupted
    assert comments.sent("PostComments") == [{"id": "p1", "cursor": "2"}]


def test_paginate_ends_early_when_the_run_must_stop() -> None:
    api = listing([f"t{k}" for k in range(60)], PAGE_CAP)
    with harvest_run(api) as run:
        pages = paginate(run, "topics_page", {}, ("topics",))
        assert len(next(pages)["nodes"]) == PAGE_CAP
        run.client.governor.max_points = 0
        assert list(pages) == [] and run.stop_reason == "max_points"
    assert len(api.calls) == 1


Topics = dict[str, list[str]]


def aliased_api(topics: Topics, size: int) -> FakeApi:
    """``TopicsPosts``: for alias i, page ``size`` of topic ``$topic{i}`` from offset ``$cursor{i}``."""
    def answer(variables: dict[str, Any]) -> dict[str, Any]:
        data = {}
        for i in range(MAX_ALIASES):
            if f"topic{i}" not in variables:
                break
            ids, start = topics[variables[f"topic{i}"]], int(variables[f"cursor{i}"] or 0)
            first = min(size, int(variables.get(f"first{i}") or size))
            end = min(len(ids), start + first)
            data[f"t{i}"] = connection(ids[start:end], str(end), end < len(ids))
        return data

    return FakeApi({"TopicsPosts": answer})


MAX_ALIASES = 20


@st.composite
def topic_lists(draw: st.DrawFn) -> Topics:
    sizes = draw(st.lists(st.integers(0, 45), min_size=1, max_size=8))
    return {f"s{n}": [f"s{n}-p{k}" for k in range(size)] for n, size in enumerate(sizes)}


def read_all(topics: Topics, api: FakeApi, todo: list[list[Any]], batch: int, chunk_pages: int) -> list[str]:
    """Every node ``paginate_aliased`` yields, in chunks of ``chunk_pages`` requests resumed from ``todo``
    (as ``sync.py`` does: a fresh pager per chunk, the position in between)."""
    def plan(todo: list[list[Any]]) -> list[tuple[list[Any], dict[str, Any]]]:
        return [(entry, {"topic": entry[1], "first": PAGE_CAP}) for entry in todo[:batch]]

    got: list[str] = []
    enough = 1 + sum(len(ids) + 1 for ids in topics.values())  # chunks: each reads a page at least
    with harvest_run(api, limits=ChunkLimits(pages=chunk_pages)) as run:
        for _ in range(enough):
            run.new_chunk()
            pages = paginate_aliased(run, "topics_posts", todo, plan, batched_topic_posts_query, {})
            got += [n["id"] for request in pages for _, nodes in request for n in nodes]
            assert run.error is None
            if not todo:
                break
    return got


@FAST
@given(topics=topic_lists(), size=st.integers(1, 20), batch=st.integers(1, 5), chunk_pages=st.integers(1, 4))
def test_paginate_aliased_reads_every_connection_once_however_batched_and_resumed(
    topics: Topics, size: int, batch: int, chunk_pages: int
) -> None:
    todo: list[list[Any]] = [[slug, slug, len(ids), None, 0] for slug, ids in topics.items()]
    got = read_all(topics, aliased_api(topics, size), todo, batch, chunk_pages)
    assert sorted(got) == sorted(i for ids in topics.values() for i in ids)
    assert not todo


def test_paginate_aliased_moves_each_entrys_cursor_and_count_as_it_yields() -> None:
    topics = {"a": [f"a{k}" for k in range(25)], "b": ["b0"]}
    todo: list[list[Any]] = [["a", "a", 25, None, 0], ["b", "b", 1, None, 0]]
    api = aliased_api(topics, 20)

    def plan(todo: list[list[Any]]) -> list[tuple[list[Any], dict[str, Any]]]:
        return [(entry, {"topic": entry[1], "first": 20}) for entry in todo]

    with harvest_run(api) as run:
        pages = paginate_aliased(run, "topics_posts", todo, plan, batched_topic_posts_query, {"postedAfter": "x"})
        first = next(pages)
        assert [(entry[0], len(nodes)) for entry, nodes in first] == [("a", 20), ("b", 1)]
        assert todo == [["a", "a", 25, "20", 20]], "b is done; a goes on from its cursor"
        assert [len(nodes) for _, nodes in next(pages)] == [5] and todo == []
    assert api.sent("TopicsPosts")[1] == {"postedAfter": "x", "topic0": "a", "first0": 20, "cursor0": "20"}
