"""The posts pager's poison handling (``source/quarantine.py``) on a real ``HarvestRun``: a page that
fails whole or answers partially is narrowed, its good posts kept in order, each bad post set
aside once with the cursor that asks it again, and paging goes on after it.

The API is a listing of posts in memory; a page holding a poisoned post fails whole (a non-null
list) or, ``partial``, answers that post ``null`` with an error at its index.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from producthuntdb.api.client import PAGE_CAP
from producthuntdb.source.helpers import paginate
from producthuntdb.source.quarantine import posts_connection
from producthuntdb.source.times import iso, ts
from tests.unit.harvest_fakes import T0, FakeApi, Reply, Tables, harvest_run

WINDOW = {"postedAfter": iso(T0 - timedelta(days=3)), "postedBefore": iso(T0)}


def listing(size: int, poisoned: set[str], partial: bool) -> FakeApi:
    """``posts`` newest first at cursor offsets (``after: "i"`` starts at ``i + 1``), and its ids listing."""
    ids = [f"p{k}" for k in range(size)]

    def start(variables: dict[str, Any]) -> int:
        return 0 if variables.get("cursor") is None else int(variables["cursor"]) + 1

    def page(variables: dict[str, Any]) -> dict[str, Any] | Reply:
        at = start(variables)
        chunk = ids[at : at + int(variables["first"])]
        info = {"hasNextPage": at + len(chunk) < size, "endCursor": str(at + len(chunk) - 1)}
        bad = [k for k, i in enumerate(chunk) if i in poisoned]
        nodes = [None if k in bad else {"id": i, "createdAt": iso(T0 - timedelta(hours=1 + at + k))}
                 for k, i in enumerate(chunk)]
        if not bad:
            return {"posts": {"nodes": nodes, "pageInfo": info}}
        messages = [f"Post {chunk[k]} could not be resolved" for k in bad]
        if partial:
            return Reply({"posts": {"nodes": nodes, "pageInfo": info}}, messages, [["posts", "nodes", k] for k in bad])
        return Reply(None, messages[:1])

    def identify(variables: dict[str, Any]) -> dict[str, Any]:
        at = start(variables)
        chunk = ids[at : at + int(variables["first"])]
        return {"posts": {"edges": [{"cursor": str(at + k), "node": {"id": i}} for k, i in enumerate(chunk)],
                          "pageInfo": {"hasNextPage": at + len(chunk) < size}}}

    return FakeApi({"PostsPage": page, "PostsIds": identify})


def test_a_page_that_fails_whole_keeps_its_good_posts_and_quarantines_the_bad_one() -> None:
    api = listing(25, {"p7"}, partial=False)
    with harvest_run(api) as run:
        page = posts_connection(run, WINDOW, None)
        assert page is not None and not run.interrupted
        assert [n["id"] for n in page["nodes"]] == [f"p{k}" for k in range(20) if k != 7]
        assert page["set_aside"] == ["p7"] and page["pageInfo"] == {"hasNextPage": True, "endCursor": "19"}
        [row] = run.quarantine
        assert (row["id"], row["entity"], row["after_cursor"], row["attempts"], row["resolved_at"]) == ("p7", "post", "6", 1, None)
        assert row["window_after"] == ts(WINDOW["postedAfter"]) and "Post p7 could not be resolved" in row["error"]
        assert run.stats.quarantined == 1
    assert len(api.sent("PostsIds")) == 1, "one cheap listing names the posts of the page"


def test_a_partial_page_is_asked_once_more_and_then_only_its_nulls_are_set_aside() -> None:
    api = listing(20, {"p3", "p12"}, partial=True)
    with harvest_run(api) as run:
        page = posts_connection(run, WINDOW, None)
        assert page is not None
        assert [n["id"] for n in page["nodes"]] == [f"p{k}" for k in range(20) if k not in (3, 12)]
        assert [(r["id"], r["after_cursor"]) for r in run.quarantine] == [("p3", "2"), ("p12", "11")]
        assert "Post p12" in run.quarantine[1]["error"], "each null gets the error at its index"
    assert [name for name, _ in api.calls] == ["PostsPage", "PostsPage", "PostsIds"]


def test_a_post_quarantined_before_keeps_its_first_sighting_and_counts_another_attempt() -> None:
    tables = Tables()
    first_seen = T0 - timedelta(days=2)
    tables.create("_quarantine", "entity VARCHAR, id VARCHAR, first_seen TIMESTAMPTZ, attempts BIGINT",
                  [("post", "p1", first_seen, 2)])
    with harvest_run(listing(5, {"p1"}, partial=False), tables) as run:
        posts_connection(run, WINDOW, None)
        [row] = run.quarantine
        assert row["first_seen"] == first_seen and row["attempts"] == 3


def test_a_page_whose_every_post_fails_is_the_querys_fault_and_ends_the_run() -> None:
    with harvest_run(listing(4, {"p0", "p1", "p2", "p3"}, partial=False)) as run:
        assert posts_connection(run, WINDOW, None) is None
        assert run.error is not None and "refused every post of a page" in str(run.error)
        assert run.quarantine == []


@settings(max_examples=25, deadline=None)
@given(size=st.integers(1, 60), data=st.data(), partial=st.booleans())
def test_paging_a_poisoned_window_reads_every_good_post_once_and_sets_each_bad_one_aside_once(
    size: int, data: st.DataObject, partial: bool
) -> None:
    ids = [f"p{k}" for k in range(size)]
    poisoned = data.draw(st.sets(st.sampled_from(ids), max_size=4))
    if len(poisoned) > 1 and any(set(ids[at : at + PAGE_CAP]) <= poisoned for at in range(0, size, PAGE_CAP)):
        poisoned = set(sorted(poisoned)[:1])  # a page of nothing but bad posts ends the run (tested above)
    with harvest_run(listing(size, poisoned, partial)) as run:
        pages = list(paginate(run, "posts_page", WINDOW, ("posts",),
                              fetch_page=lambda at: posts_connection(run, WINDOW, at)))
        assert run.error is None
        assert [n["id"] for p in pages for n in p["nodes"]] == [i for i in ids if i not in poisoned]
        assert sorted(r["id"] for r in run.quarantine) == sorted(poisoned)
