"""Narrowing a failing page against the emulator's poisoned posts, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.narrow import Page, Span, narrow_page
from producthuntdb.emulator import EmulatorServer
from producthuntdb.errors import GraphQLQueryError
from tests.plugins.emulator import admin
from tests.plugins.pipeline import UNTHROTTLED, test_settings

PAGE = """query P($after: String, $first: Int) {
  posts(order: NEWEST, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name }
  }
}"""
IDS = """query I($after: String, $first: Int) {
  posts(order: NEWEST, first: $first, after: $after) {
    pageInfo { hasNextPage }
    edges { cursor node { id } }
  }
}"""


def _listing(client: GraphQLClient) -> tuple[Callable[..., Page[Any]], Callable[..., Span]]:
    def fetch(after: str | None, first: int) -> Page[Any]:
        result = client.execute_partial(PAGE, {"after": after, "first": first})
        posts = result.data["posts"]
        info = posts["pageInfo"]
        return Page(posts["nodes"], info["endCursor"], info["hasNextPage"], result.errors)

    def identify(after: str | None, first: int) -> Span:
        posts = client.execute(IDS, {"after": after, "first": first})["posts"]
        entries = [(edge["cursor"], edge["node"]["id"]) for edge in posts["edges"]]
        return Span(entries, posts["pageInfo"]["hasNextPage"])

    return fetch, identify


def test_every_post_but_the_poisoned_ones_is_read_and_those_are_named(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, poison_posts=3)
    poisoned = {str(i) for i in admin(server, "config")["poisoned_post_ids"]}
    assert len(poisoned) == 3
    settings = test_settings(tmp_path, server.url)
    with GraphQLClient(settings, backoff_base=0.001) as client:
        fetch, identify = _listing(client)
        good: list[str] = []
        bad: dict[str, str] = {}
        after, has_next, narrowed = None, True, 0
        while has_next:
            try:
                page = fetch(after, 20)
            except GraphQLQueryError:
                result = narrow_page(fetch, identify, after, 20)
                narrowed += 1
                good += [item["id"] for item in result.items]
                bad.update({b.identity: b.error for b in result.bad})
                after, has_next = result.end_cursor, result.has_next
                continue
            assert not page.partial
            good += [item["id"] for item in page.items if item is not None]
            after, has_next = page.end_cursor, page.has_next
    truth = admin(server, "truth")
    assert set(bad) == poisoned
    assert all("Post" in message for message in bad.values())
    assert len(good) == len(set(good)) == truth["posts"] - 3
    assert not poisoned & set(good)
    assert 1 <= narrowed <= 3


def _fake(items: list[str], poisoned: set[str]) -> tuple[Callable[..., Page[str]], Callable[..., Span], list[int]]:
    """A listing in memory: a page holding a poisoned item fails whole, like a non-null list."""
    calls: list[int] = []

    def position(after: str | None) -> int:
        return 0 if after is None else int(after) + 1

    def fetch(after: str | None, first: int) -> Page[str]:
        calls.append(first)
        start = position(after)
        chunk = items[start : start + first]
        if poisoned & set(chunk):
            raise GraphQLQueryError("the API refused the query: broken record")
        return Page(list(chunk), str(start + len(chunk) - 1), start + first < len(items))

    def identify(after: str | None, first: int) -> Span:
        start = position(after)
        return Span([(str(start + k), items[start + k]) for k in range(min(first, len(items) - start))],
                    start + first < len(items))

    return fetch, identify, calls


@pytest.mark.parametrize("poisoned", [{"p0"}, {"p19"}, {"p7", "p8"}, {"p0", "p10", "p19"}])
def test_halving_finds_each_bad_item_and_keeps_order(poisoned: set[str]) -> None:
    items = [f"p{k}" for k in range(25)]
    fetch, identify, calls = _fake(items, poisoned)
    result = narrow_page(fetch, identify, None, 20)
    assert [b.identity for b in result.bad] == sorted(poisoned, key=lambda p: int(p[1:]))
    assert result.items == [p for p in items[:20] if p not in poisoned]
    assert result.end_cursor == "19" and result.has_next
    assert max(calls) <= 10 and len(calls) <= 2 * 5 * len(poisoned) + 1
    assert identify(result.bad[0].after, 1).entries[0][1] == result.bad[0].identity


def test_a_partial_page_keeps_its_good_items_without_refetching() -> None:
    items = [f"p{k}" for k in range(20)]
    fetch, identify, calls = _fake(items, set())
    partial: Page[str] = Page(
        [None if k == 4 else p for k, p in enumerate(items)], "19", False,
        [{"message": "could not load", "path": ["posts", "nodes", 4, "name"]}],
    )
    result = narrow_page(fetch, identify, None, 20, failed=partial)
    assert calls == []
    assert [(b.identity, b.error) for b in result.bad] == [("p4", "could not load")]
    assert result.items == items[:4] + items[5:]
