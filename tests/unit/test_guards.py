"""The pagers' progress guard, the ledger's tally and the screening of unstorable values, alone (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from producthuntdb.source.guards import DOUBTS_BELIEVED, PageGuard, StreamStuck, inspect_page
from producthuntdb.source.helpers import paginate, paginate_aliased
from producthuntdb.source.ledger import Tally
from producthuntdb.source.values import screen_post

WINDOW = {"postedAfter": "2026-09-01T00:00:00Z", "postedBefore": "2026-09-02T00:00:00Z"}
NOW = datetime(2026, 10, 1, tzinfo=UTC)


def page(ids: list[Any], more: bool = True, end: str | None = "E", created: str = "2026-09-01T12:00:00Z") -> dict[str, Any]:
    return {
        "nodes": [{"id": i, "createdAt": created} for i in ids],
        "pageInfo": {"hasNextPage": more, "endCursor": end},
    }


def test_a_healthy_page_passes() -> None:
    assert inspect_page(page(["1", "2"]), "C", {"0"}, WINDOW, 2).ok
    assert inspect_page(page(["1"], more=False), "C", set(), WINDOW, 20).ok  # a last page may be short


@pytest.mark.parametrize(
    ("connection", "cursor", "seen", "found"),
    [
        (page(["1", "2"], end="C"), "C", set(), "cursor 'C'"),
        (page([]), "C", set(), "no nodes"),
        (page(["1", "2"]), "C", {"1", "2"}, "only ids it had sent before"),
        (page(["1", "2"], created="2025-01-01T00:00:00Z"), None, set(), "ignored the date filter"),
        (page(["1"], more=False, created="2026-09-02T00:00:01Z"), None, set(), "outside"),
    ],
)
def test_a_page_that_cannot_move_the_stream_on_is_stuck(
    connection: dict[str, Any], cursor: str | None, seen: set[str], found: str
) -> None:
    verdict = inspect_page(connection, cursor, seen, WINDOW, 2)
    assert verdict.stuck is not None and found in verdict.stuck


def test_within_a_second_of_the_bounds_is_rounding_not_an_ignored_filter() -> None:
    assert inspect_page(page(["1"], created="2026-09-02T00:00:00Z"), None, set(), WINDOW, 1).ok


@pytest.mark.parametrize(
    ("ids", "asked", "found"),
    [(["1", None], 2, "without an id"), (["1", "1"], 2, "twice"), (["1"], 20, "1 nodes of 20")],
)
def test_a_page_that_may_miss_nodes_is_doubtful(ids: list[Any], asked: int, found: str) -> None:
    verdict = inspect_page(page(ids), None, set(), WINDOW, asked)
    assert verdict.stuck is None and verdict.doubt is not None and found in verdict.doubt


def test_posts_set_aside_count_as_received() -> None:
    narrowed = {**page(["1"]), "set_aside": ["2"]}
    assert inspect_page(narrowed, None, set(), WINDOW, 2).ok


def asker(*answers: dict[str, Any]) -> tuple[list[int], Any]:
    calls: list[int] = []

    def get() -> dict[str, Any]:
        calls.append(1)
        return answers[min(len(calls), len(answers)) - 1]

    return calls, get


def test_a_stuck_page_is_asked_once_more_and_a_second_one_ends_the_stream_with_one_line() -> None:
    calls, get = asker(page(["1"], end="C"))
    with pytest.raises(StreamStuck) as raised:
        PageGuard("posts_page").checked(get, "C", WINDOW, lambda: 1)
    assert len(calls) == 2
    message = str(raised.value)
    assert "\n" not in message and message.startswith("posts_page") and "twice" in message


def test_a_stuck_page_that_is_fine_when_asked_again_goes_on() -> None:
    good = page(["1", "2"], end="D")
    calls, get = asker(page(["1", "2"], end="C"), good)
    guard = PageGuard("posts_page")
    assert guard.checked(get, "C", WINDOW, lambda: 2) is good
    assert len(calls) == 2 and guard.seen == {"1", "2"}


def test_a_doubtful_page_keeps_the_better_answer_and_a_server_that_means_it_is_believed() -> None:
    short, full = page(["1"]), page(["1", "2"])
    _, get = asker(short, full)
    assert PageGuard("q").checked(get, None, WINDOW, lambda: 2) is full
    _, get = asker(full, short)
    assert PageGuard("q").checked(get, None, WINDOW, lambda: 2) is full
    guard = PageGuard("q")
    for n in range(DOUBTS_BELIEVED):
        calls, get = asker(page([f"{n}a"]), page([f"{n}a"]))
        guard.checked(get, None, WINDOW, lambda: 2)
        assert len(calls) == 2
    calls, get = asker(page(["x"]))
    guard.checked(get, None, WINDOW, lambda: 2)
    assert len(calls) == 1, "the same short page twice: the server means it, it is not asked again"


def test_the_tally_counts_unusable_nodes_with_their_reason() -> None:
    tally = Tally()
    nodes: list[dict[str, Any]] = [{"id": "1"}, {"id": None}, {"id": "1"}, {"id": "2"}]
    assert [n["id"] for n in tally.take(nodes, ["3"])] == ["1", "2"]
    assert tally.ids == {"1", "2", "3"}
    assert tally.reasons() == "1 node(s) repeated in a page, 1 node(s) without an id"


def test_a_lone_surrogate_is_repaired_and_flagged() -> None:
    node = {"id": "1", "name": "Orb\ud800it", "createdAt": "2026-09-01T00:00:00Z", "makers": [{"id": "2"}]}
    clean, why = screen_post(node, NOW)
    assert why is None and clean is not None
    assert clean["name"] == "Orb\ufffdit" and clean["repaired"] == "name"
    clean["name"].encode("utf-8")  # storable now


@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("commentsCount", 2**70, "beyond 64 bits"),
        ("createdAt", "not-a-date", "is not a timestamp"),
        ("createdAt", None, "createdAt is null"),
        ("createdAt", "1970-01-01T00:00:00Z", "absurd"),
        ("featuredAt", "2099-01-01T00:00:00Z", "absurd"),
        ("reviewsRating", float("nan"), "nan"),
    ],
)
def test_a_value_that_cannot_be_stored_quarantines_the_post_with_the_reason(field: str, value: Any, found: str) -> None:
    node = {"id": "1", "name": "ok", "commentsCount": 3, "createdAt": "2026-09-01T00:00:00Z", field: value}
    clean, why = screen_post(node, NOW)
    assert clean is None and why is not None and found in why


def test_a_healthy_post_is_untouched() -> None:
    node = {"id": "1", "name": "ok 😀", "commentsCount": 3, "createdAt": "2026-09-01T00:00:00Z", "featuredAt": None}
    assert screen_post(node, NOW) == (node, None)


class FakeRun:
    """What the pagers use of a ``HarvestRun``: ``fetch`` answers from a script, nothing else."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self.error: Exception | None = None
        self.asked = 2

    def fetch(self, name: str, variables: dict[str, Any], *, query: str | None = None, elastic: bool = False) -> Any:
        self.requests.append(variables)
        return self.answer(variables)

    def chunk_full(self) -> bool:
        return self.error is not None


def test_paginate_ends_a_cursor_loop_after_two_pages_with_the_run_failed() -> None:
    def answer(variables: dict[str, Any]) -> dict[str, Any]:
        cursor = variables["cursor"]
        return {"posts": page([f"{cursor}-1", f"{cursor}-2"], end="A" if cursor is None else cursor)}

    run = FakeRun(answer)
    pages = list(paginate(cast(Any, run), "posts_page", {}, ("posts",)))
    assert len(pages) == 1 and len(run.requests) == 3
    assert isinstance(run.error, StreamStuck) and "'A'" in str(run.error)


def test_paginate_aliased_asks_a_stuck_alias_again_and_stops_on_strays_twice() -> None:
    def answer(variables: dict[str, Any]) -> dict[str, Any]:
        return {f"t{i}": page([f"p{i}"], more=False) for i in range(2) if f"topic{i}" in variables}

    todo: list[list[Any]] = [["1", "a", 1, None, 0], ["2", "b", 1, None, 0]]

    def plan(todo: list[list[Any]]) -> list[tuple[list[Any], dict[str, Any]]]:
        return [(entry, {"topic": entry[1]}) for entry in todo]

    healthy = FakeRun(answer)
    got = list(paginate_aliased(cast(Any, healthy), "topics_posts", todo, plan, str, {}))
    assert [[n["id"] for _, nodes in request for n in nodes] for request in got] == [["p0", "p1"]] and not todo

    todo = [["1", "a", 1, None, 0], ["2", "b", 1, None, 0]]
    strayed = FakeRun(answer)
    got = list(paginate_aliased(cast(Any, strayed), "topics_posts", todo, plan, str, {}, lambda ids: {"p0"}))
    assert len(strayed.requests) == 2, "the stray alias is asked once more, then the run stops"
    assert [[n["id"] for _, nodes in request for n in nodes] for request in got] == [["p1"]]
    assert isinstance(strayed.error, StreamStuck) and "ignored the date filter" in str(strayed.error)
