"""The emulator's clock: new posts appear, recent launches keep gaining votes and comments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from producthuntdb.emulator import EmulatorServer
from tests.plugins.emulator import admin, graphql

RECENT = """{ posts(first: 20, order: NEWEST) { totalCount nodes { id createdAt votesCount commentsCount
    votes(first: 1) { totalCount } comments(first: 1) { totalCount } } } }"""


def recent(server: EmulatorServer) -> dict[str, Any]:
    return graphql(server, RECENT).json()["data"]["posts"]


def test_advancing_the_clock_reveals_new_posts_and_raises_recent_counts(emulator: EmulatorServer) -> None:
    before = recent(emulator)
    truth_before = admin(emulator, "truth")
    moved = admin(emulator, "clock", {"advance_seconds": 2 * 86_400})
    assert moved["now"] == "2026-10-03T12:00:00Z"
    after = recent(emulator)
    truth_after = admin(emulator, "truth")
    assert after["totalCount"] == truth_after["posts"] > before["totalCount"] == truth_before["posts"]
    assert after["nodes"][0]["createdAt"] > before["nodes"][0]["createdAt"]
    assert (
        truth_after["votes"] > truth_before["votes"] and truth_after["comments"] >= truth_before["comments"]
    )
    old = {n["id"]: n for n in before["nodes"]}
    query = "query($id: ID) { post(id: $id) { votesCount commentsCount } }"
    grown = 0
    for post_id, node in old.items():
        now = graphql(emulator, query, {"id": post_id}).json()["data"]["post"]
        assert now["votesCount"] >= node["votesCount"] and now["commentsCount"] >= node["commentsCount"]
        grown += now["votesCount"] > node["votesCount"]
    assert grown >= len(old) // 2


def test_counts_match_the_connections_at_every_moment(emulator: EmulatorServer) -> None:
    for _ in range(3):
        for node in recent(emulator)["nodes"]:
            assert node["votes"]["totalCount"] == node["votesCount"]
            assert node["comments"]["totalCount"] == node["commentsCount"]
        admin(emulator, "clock", {"advance_seconds": 9 * 3600})


def test_every_vote_of_a_post_is_listed_once_and_in_the_past(emulator: EmulatorServer) -> None:
    top = graphql(emulator, "{ posts(first: 1, order: VOTES) { nodes { id votesCount } } }").json()
    post = top["data"]["posts"]["nodes"][0]
    query = """query($id: ID, $after: String) { post(id: $id) { votes(first: 20, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { id createdAt } } } }"""
    votes: list[dict[str, str]] = []
    after = None
    while True:
        page = graphql(emulator, query, {"id": post["id"], "after": after}).json()["data"]["post"]["votes"]
        votes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(votes) == len({v["id"] for v in votes}) == post["votesCount"] > 20
    assert all(v["createdAt"] <= "2026-10-01T12:00:00Z" for v in votes)


def test_comment_threads_have_replies_pointing_at_listed_parents(
    emulator_factory: Callable[..., EmulatorServer],
) -> None:
    emulator = emulator_factory(budget=10**9)
    query = """{ posts(first: 20, order: VOTES) { nodes { commentsCount comments(first: 20) {
        nodes { id parentId createdAt replies { nodes { parentId } } } } } } }"""
    posts = graphql(emulator, query).json()["data"]["posts"]["nodes"]
    replies = 0
    for post in posts:
        ids = {c["id"]: c for c in post["comments"]["nodes"]}
        for comment in post["comments"]["nodes"]:
            assert all(r["parentId"] == comment["id"] for r in comment["replies"]["nodes"])
            if comment["parentId"] is not None and comment["parentId"] in ids:
                assert ids[comment["parentId"]]["createdAt"] <= comment["createdAt"]
                replies += 1
    assert replies > 0


def test_the_clock_never_goes_back(emulator: EmulatorServer) -> None:
    response = httpx.post(f"{emulator.base_url}/_emulator/clock", json={"advance_seconds": -5})
    assert response.status_code == 400
    assert admin(emulator, "clock", {"now": "2026-10-05T00:00:00Z"})["now"] == "2026-10-05T00:00:00Z"


def test_vote_time_filters_are_exclusive_bounds(emulator: EmulatorServer) -> None:
    top = graphql(emulator, "{ posts(first: 1, order: VOTES) { nodes { id } } }").json()["data"]["posts"][
        "nodes"
    ][0]
    query = """query($id: ID, $after: DateTime, $before: DateTime) { post(id: $id) {
        votes(first: 20, createdAfter: $after, createdBefore: $before) { totalCount nodes { createdAt } } } }"""
    every = graphql(emulator, query, {"id": top["id"]}).json()["data"]["post"]["votes"]
    pivot = every["nodes"][10]["createdAt"]
    later = graphql(emulator, query, {"id": top["id"], "after": pivot}).json()["data"]["post"]["votes"]
    earlier = graphql(emulator, query, {"id": top["id"], "before": pivot}).json()["data"]["post"]["votes"]
    assert all(v["createdAt"] > pivot for v in later["nodes"])
    assert all(v["createdAt"] < pivot for v in earlier["nodes"])
    at_pivot = sum(v["createdAt"] == pivot for v in every["nodes"])
    assert later["totalCount"] + earlier["totalCount"] + at_pivot == every["totalCount"]
