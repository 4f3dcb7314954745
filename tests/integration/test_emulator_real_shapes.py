"""The emulator's own price list and the failure shapes of the real API's edge (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parsedate_to_datetime

import numpy as np
import pytest

from producthuntdb.api.queries import load_query
from producthuntdb.emulator import EmulatorServer
from producthuntdb.emulator.config import DEFAULT_NOW
from tests.plugins.emulator import admin, graphql

Factory = Callable[..., EmulatorServer]
QUERY = "{ posts(first: 5) { nodes { id name } } }"


def _charged(server: EmulatorServer, query: str, variables: dict[str, object] | None = None) -> int:
    before = admin(server, "stats")["points_spent"]
    response = graphql(server, query, variables)
    assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    return int(admin(server, "stats")["points_spent"] - before)


@pytest.mark.parametrize(
    ("model", "factor", "posts_page", "collections_page", "topic_posts"),
    [("current", 1.0, 325, 705, 25), ("legacy-nodes", 1.0, 344, 1104, 44), ("current", 1.5, 488, 1058, 38),
     ("nested", 1.0, 401, 2301, 101)],
)
def test_each_rule_prices_the_harvest_pages(
    emulator_factory: Factory, model: str, factor: float, posts_page: int, collections_page: int, topic_posts: int
) -> None:
    server = emulator_factory(cost_model=model, cost_factor=factor)
    assert _charged(server, load_query("posts_page")) == posts_page
    assert _charged(server, load_query("collections_page")) == collections_page
    assert _charged(server, load_query("topic_posts"), {"topic": "productivity"}) == topic_posts


def test_the_rule_can_change_at_run_time(emulator_factory: Factory) -> None:
    server = emulator_factory()
    config = admin(server, "config", {"cost_model": "legacy-nodes", "cost_factor": 2})
    assert (config["cost_model"], config["cost_factor"]) == ("legacy-nodes", 2)
    assert _charged(server, load_query("posts_page")) == 2 * 344


def test_date_header_follows_the_world_clock(emulator_factory: Factory) -> None:
    server = emulator_factory()
    response = graphql(server, QUERY)
    assert parsedate_to_datetime(response.headers["Date"]) == DEFAULT_NOW
    admin(server, "clock", {"advance_seconds": 3600})
    later = parsedate_to_datetime(graphql(server, QUERY).headers["Date"])
    assert (later - DEFAULT_NOW).total_seconds() == 3600


@pytest.mark.parametrize(("kind", "status"), [("html_502", 502), ("waf_403", 403)])
def test_html_pages_from_the_edge(emulator_factory: Factory, kind: str, status: int) -> None:
    server = emulator_factory(fault_rate=1.0, faults=(kind,))
    response = graphql(server, QUERY)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")
    assert "X-Rate-Limit-Remaining" not in response.headers
    assert admin(server, "stats")["points_spent"] == 0


def test_bare_429_and_retry_after(emulator_factory: Factory) -> None:
    bare = graphql(emulator_factory(fault_rate=1.0, faults=("429_bare",)), QUERY)
    assert bare.status_code == 429
    assert not any(h.lower().startswith("x-rate-limit") or h.lower() == "retry-after" for h in bare.headers)
    after = graphql(emulator_factory(fault_rate=1.0, faults=("retry_after",)), QUERY)
    assert after.status_code == 429 and after.headers["Retry-After"] == "1"
    assert "X-Rate-Limit-Reset" not in after.headers


def test_epoch_reset_is_a_unix_time_on_the_world_clock(emulator_factory: Factory) -> None:
    server = emulator_factory(fault_rate=1.0, faults=("epoch_reset",), window_seconds=60)
    response = graphql(server, QUERY)
    assert response.status_code == 200 and "errors" not in response.json()
    assert int(response.headers["X-Rate-Limit-Reset"]) == int(DEFAULT_NOW.timestamp()) + 60


def test_partial_answer_nulls_one_node_and_says_where(emulator_factory: Factory) -> None:
    server = emulator_factory(fault_rate=1.0, faults=("partial",))
    body = graphql(server, QUERY).json()
    nodes = body["data"]["posts"]["nodes"]
    assert nodes[0] is None and all(nodes[1:]) and len(nodes) == 5
    assert body["errors"][0]["path"] == ["posts", "nodes", 0]
    assert admin(server, "stats")["points_spent"] > 0  # it ran: it is charged


def test_complexity_refusal_names_the_price_and_costs_nothing(emulator_factory: Factory) -> None:
    server = emulator_factory(fault_rate=1.0, faults=("complexity",), cost_model="legacy-nodes")
    body = graphql(server, load_query("posts_page")).json()
    assert body == {"errors": [{"message": "Query has complexity of 344, which exceeds max complexity of 343"}]}
    assert admin(server, "stats")["points_spent"] == 0


def test_poisoned_posts_fail_every_request_that_reads_them(emulator_factory: Factory) -> None:
    server = emulator_factory(poison_posts=2)
    poisoned = admin(server, "config")["poisoned_post_ids"]
    assert len(poisoned) == 2
    assert admin(emulator_factory(poison_posts=2), "config")["poisoned_post_ids"] == poisoned  # fixed by the seed
    for post_id in poisoned:
        body = graphql(server, "query($id: ID!) { post(id: $id) { id name } }", {"id": str(post_id)}).json()
        assert body["data"] == {"post": None}
        assert f"Post {post_id}" in body["errors"][0]["message"]
        ok = graphql(server, "query($id: ID!) { post(id: $id) { id createdAt } }", {"id": str(post_id)}).json()
        assert ok["data"]["post"]["id"] == str(post_id)  # its identity still reads: it can be named
    # a page holding one fails whole (a non-null list): test_api_narrow.py walks every page


def test_some_posts_have_more_topics_than_one_page_of_five(emulator_factory: Factory) -> None:
    server = emulator_factory()
    world = server.world
    counts = np.diff(world.topic_ptr)
    wide = np.flatnonzero(counts > 5)
    assert len(wide) > 0 and counts.max() <= 8
    i = int(wide[0])
    assert len(set(world.post_topics(i).tolist())) == counts[i]  # distinct topics
    post_id = world.post_static(i).id
    query = "query($id: ID!) { post(id: $id) { topics(first: 5) { totalCount pageInfo { hasNextPage } } } }"
    topics = graphql(server, query, {"id": post_id}).json()["data"]["post"]["topics"]
    assert topics["totalCount"] == counts[i] and topics["pageInfo"]["hasNextPage"] is True
    truth = admin(server, "truth")
    assert truth["post_topics_beyond_5"] == int(np.maximum(counts[: truth["posts"]] - 5, 0).sum()) > 0
