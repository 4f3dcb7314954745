"""The emulator over real HTTP: pricing, page cap, paging, determinism, auth, errors, budget, redaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from producthuntdb.emulator import EmulatorServer
from tests.plugins.emulator import admin, graphql

Factory = Callable[..., EmulatorServer]

EXAMPLES = [
    ("{ posts(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }", 46),
    ("{ posts(first: 50) { nodes { id user { id name } topics(first: 3) { nodes { slug } } } } }", 452),
    ("{ viewer { user { id name } } }", 4),
]


def remaining(response: httpx.Response) -> int:
    return int(response.headers["X-Rate-Limit-Remaining"])


@pytest.mark.parametrize(("query", "cost"), EXAMPLES)
def test_server_charges_the_issue_examples(emulator: EmulatorServer, query: str, cost: int) -> None:
    before = admin(emulator, "stats")["points_spent"]
    response = graphql(emulator, query)
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert remaining(response) == 6250 - cost
    assert admin(emulator, "stats")["points_spent"] - before == cost


def test_page_cap_is_20_whatever_first_asks(emulator: EmulatorServer) -> None:
    response = graphql(emulator, "{ posts(first: 100) { totalCount nodes { id } pageInfo { hasNextPage } } }")
    posts = response.json()["data"]["posts"]
    assert len(posts["nodes"]) == 20
    assert posts["totalCount"] == 200
    assert posts["pageInfo"]["hasNextPage"] is True
    assert remaining(response) == 6250 - (1 + 1 + 2 + 1 + 100 * 1)  # charged for the 100 asked for
    last = graphql(emulator, "{ topics(last: 50) { nodes { id } } }").json()["data"]["topics"]["nodes"]
    assert len(last) == 20


PAGE = """
query Page($order: PostsOrder, $after: String, $featured: Boolean, $topic: String, $postedAfter: DateTime) {
  posts(first: 20, order: $order, after: $after, featured: $featured, topic: $topic, postedAfter: $postedAfter) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id createdAt featuredAt votesCount } }
  }
}
"""


def walk(server: EmulatorServer, **variables: Any) -> tuple[list[dict[str, Any]], int]:
    """Every node of a posts listing, page by page; and the listing's totalCount."""
    nodes: list[dict[str, Any]] = []
    after = None
    total = -1
    for _ in range(100):
        data = graphql(server, PAGE, {**variables, "after": after}).json()["data"]["posts"]
        total = data["totalCount"]
        nodes.extend(edge["node"] for edge in data["edges"])
        if not data["pageInfo"]["hasNextPage"]:
            return nodes, total
        after = data["pageInfo"]["endCursor"]
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("order", ["RANKING", "NEWEST", "FEATURED_AT", "VOTES"])
def test_paging_every_posts_order_visits_every_post_exactly_once(
    emulator: EmulatorServer, order: str
) -> None:
    nodes, total = walk(emulator, order=order)
    ids = [node["id"] for node in nodes]
    assert len(ids) == total == admin(emulator, "truth")["posts"] == 200
    assert len(set(ids)) == len(ids)
    if order == "NEWEST":
        stamps = [node["createdAt"] for node in nodes]
        assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == len(stamps)
    if order == "VOTES":
        votes = [node["votesCount"] for node in nodes]
        assert votes == sorted(votes, reverse=True)
    if order == "FEATURED_AT":
        featured = [node["featuredAt"] for node in nodes if node["featuredAt"]]
        assert featured == sorted(featured, reverse=True)
        assert nodes[len(featured) :] == [n for n in nodes if not n["featuredAt"]]


def test_filters_partition_the_listing(emulator: EmulatorServer) -> None:
    everything = {n["id"] for n in walk(emulator, order="NEWEST")[0]}
    featured = {n["id"] for n in walk(emulator, order="NEWEST", featured=True)[0]}
    unfeatured = {n["id"] for n in walk(emulator, order="VOTES", featured=False)[0]}
    assert featured and unfeatured and featured.isdisjoint(unfeatured)
    assert featured | unfeatured == everything
    newest, _ = walk(emulator, order="NEWEST")
    cut = newest[50]["createdAt"]
    recent, total = walk(emulator, order="NEWEST", postedAfter=cut)
    assert [n["id"] for n in recent] == [n["id"] for n in newest[:50]] and total == 50
    tagged, _ = walk(emulator, topic="productivity")
    assert tagged and len(tagged) < 200
    query = "query($id: ID) { post(id: $id) { topics(first: 5) { nodes { slug } } } }"
    for node in tagged[:5]:
        topics = graphql(emulator, query, {"id": node["id"]}).json()["data"]["post"]["topics"]["nodes"]
        slugs = [t["slug"] for t in topics]
        assert "productivity" in slugs


def test_backward_paging_with_last_and_before(emulator: EmulatorServer) -> None:
    forward = [n["id"] for n in walk(emulator, order="NEWEST")[0]]
    query = """query($before: String) { posts(order: NEWEST, last: 20, before: $before) {
        pageInfo { hasPreviousPage startCursor } nodes { id } } }"""
    first_page = graphql(emulator, "{ posts(order: NEWEST, first: 1) { edges { cursor } } }").json()
    backward: list[str] = []
    before = None
    # Start past the end: the cursor of the last item + 1 is what `before` of "the end" means.
    end = graphql(
        emulator, '{ posts(order: NEWEST, first: 20, after: "MTgw") { pageInfo { endCursor } } }'
    ).json()
    assert first_page["data"]["posts"]["edges"][0]["cursor"] == "MQ"
    last_cursor = end["data"]["posts"]["pageInfo"]["endCursor"]
    backward = [forward[-1]]
    before = last_cursor
    while True:
        data = graphql(emulator, query, {"before": before}).json()["data"]["posts"]
        backward = [n["id"] for n in data["nodes"]] + backward
        if not data["pageInfo"]["hasPreviousPage"]:
            break
        before = data["pageInfo"]["startCursor"]
    assert backward == forward


def test_topics_paging_visits_every_topic_once(emulator: EmulatorServer) -> None:
    query = """query($after: String, $order: TopicsOrder) { topics(first: 20, after: $after, order: $order) {
        totalCount pageInfo { hasNextPage endCursor } nodes { id followersCount createdAt } } }"""
    for order in ("NEWEST", "FOLLOWERS_COUNT"):
        seen: list[dict[str, Any]] = []
        after = None
        while True:
            data = graphql(emulator, query, {"after": after, "order": order}).json()["data"]["topics"]
            seen.extend(data["nodes"])
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        assert (
            len(seen)
            == len({t["id"] for t in seen})
            == data["totalCount"]
            == admin(emulator, "truth")["topics"]
        )
        key = "followersCount" if order == "FOLLOWERS_COUNT" else "createdAt"
        assert [t[key] for t in seen] == sorted((t[key] for t in seen), reverse=True)
    found = graphql(emulator, '{ topics(query: "develop") { nodes { name } } }').json()["data"]["topics"][
        "nodes"
    ]
    assert found and all("develop" in t["name"].lower() for t in found)


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(emulator_factory: Factory) -> None:
    query = """{ posts(first: 20, order: VOTES) { edges { cursor node { id name tagline votesCount createdAt
        makers { id name } topics { nodes { slug } } comments(first: 3) { nodes { id body createdAt } } } } } }"""
    one, two = emulator_factory(seed=7), emulator_factory(seed=7)
    assert graphql(one, query).content == graphql(two, query).content
    assert graphql(emulator_factory(seed=8), query).content != graphql(one, query).content


def test_missing_or_wrong_token_is_401(emulator_factory: Factory) -> None:
    open_server = emulator_factory()
    assert graphql(open_server, "{ viewer { user { id } } }", token=None).status_code == 401
    no_bearer = httpx.post(
        open_server.url, json={"query": "{ viewer { user { id } } }"}, headers={"Authorization": "Token x"}
    )
    assert no_bearer.status_code == 401
    assert graphql(open_server, "{ viewer { user { id } } }", token="anything").status_code == 200
    locked = emulator_factory(token="s3cret-token")
    rejected = graphql(locked, "{ viewer { user { id } } }", token="other")
    assert rejected.status_code == 401 and rejected.json()["errors"][0]["message"]
    assert "X-Rate-Limit-Remaining" in rejected.headers
    assert graphql(locked, "{ viewer { user { id } } }", token="s3cret-token").status_code == 200
    assert admin(locked, "stats")["points_spent"] == 3


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("{ posts { nodes { nope } } }", "nope"),
        ("{ posts(order: SIDEWAYS) { nodes { id } } }", "SIDEWAYS"),
        ("{ posts { nodes { id } ", "Syntax Error"),
        ("{ comment { id } }", "id"),
    ],
)
def test_invalid_queries_answer_200_with_errors_and_cost_nothing(
    emulator: EmulatorServer, query: str, fragment: str
) -> None:
    response = graphql(emulator, query)
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body and fragment in body["errors"][0]["message"]
    assert remaining(response) == 6250
    assert admin(emulator, "stats")["points_spent"] == 0


def test_budget_exhaustion_is_429_with_headers_then_recovers(emulator_factory: Factory) -> None:
    server = emulator_factory(budget=100, window_seconds=1)
    query = "{ posts(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }"  # 46
    first, second, third = (graphql(server, query) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert remaining(second) == 8 and remaining(third) == 8
    assert third.headers["X-Rate-Limit-Limit"] == "100"
    assert 0 <= int(third.headers["X-Rate-Limit-Reset"]) <= 1
    assert third.json()["errors"][0]["message"]
    assert graphql(server, "{ viewer { user { id } } }").status_code == 200  # 3 points still fit
    time.sleep(1.1)
    recovered = graphql(server, query)
    assert recovered.status_code == 200 and remaining(recovered) == 100 - 46
    stats = admin(server, "stats")
    assert stats["responses_by_status"] == {"200": 4, "429": 1}
    assert stats["points_spent"] == 46 * 3 + 3


def test_config_endpoint_reconfigures_a_running_world(emulator: EmulatorServer) -> None:
    settings = admin(emulator, "config", {"budget": 10, "window_seconds": 60})
    assert settings["budget"] == 10
    assert graphql(emulator, "{ posts(first: 20) { nodes { id } } }").status_code == 429
    bad = httpx.post(f"{emulator.base_url}/_emulator/config", json={"faults": ["gremlins"]})
    assert bad.status_code == 400 and "gremlins" in bad.json()["errors"][0]["message"]


USERS = """{ viewer { user { id name username url isViewer } }
  posts(first: 5, order: VOTES) { nodes { userId user { id name username url headline profileImage
    twitterUsername websiteUrl isMaker isFollowing followers { totalCount } }
    makers { id name } comments(first: 5) { nodes { userId user { id name } } }
    votes(first: 5) { nodes { userId user { id username } } } } } }"""


def test_redaction_hides_everyone_but_the_viewer(emulator: EmulatorServer) -> None:
    data = graphql(emulator, USERS).json()["data"]
    viewer = data["viewer"]["user"]
    assert viewer["id"] != "0" and "[REDACTED]" not in viewer.values() and viewer["isViewer"] is True
    posts = data["posts"]["nodes"]
    users = [p["user"] for p in posts] + [m for p in posts for m in p["makers"]]
    users += [c["user"] for p in posts for c in p["comments"]["nodes"]]
    users += [v["user"] for p in posts for v in p["votes"]["nodes"]]
    assert len(users) > 20
    for user in users:
        assert user["id"] == "0"
        for key in ("name", "username", "url", "headline"):
            if key in user:
                assert user[key] == "[REDACTED]"
    for post in posts:
        assert post["userId"] == "0"
        assert post["user"]["profileImage"] is None and post["user"]["twitterUsername"] is None
        assert post["user"]["websiteUrl"] is None and post["user"]["followers"]["totalCount"] == 0
        assert post["user"]["isMaker"] is False and post["user"]["isFollowing"] is False
        assert all(c["userId"] == "0" for c in post["comments"]["nodes"])
        assert all(v["userId"] == "0" for v in post["votes"]["nodes"])


def test_redaction_off_serves_real_users(emulator_factory: Factory) -> None:
    data = graphql(emulator_factory(redaction=False), USERS).json()["data"]
    posts = data["posts"]["nodes"]
    makers = [m for p in posts for m in p["makers"]]
    assert all(m["id"] != "0" and m["name"] != "[REDACTED]" for m in makers)
    assert all(p["userId"] == p["user"]["id"] != "0" for p in posts)
    voters = [v["userId"] for p in posts for v in p["votes"]["nodes"]]
    assert voters and "0" not in voters
    one = posts[0]["user"]["id"]
    looked_up = graphql(
        emulator_factory(redaction=False),
        "query($id: ID) { user(id: $id) { id madePosts { totalCount } } }",
        {"id": one},
    )
    assert looked_up.json()["data"]["user"]["id"] == one


def test_lookups_and_collections(emulator: EmulatorServer) -> None:
    newest = graphql(emulator, "{ posts(order: NEWEST, first: 1) { nodes { id slug name } } }").json()
    post = newest["data"]["posts"]["nodes"][0]
    lookup = "query($id: ID, $slug: String) { post(id: $id, slug: $slug) { id slug } }"
    by_id = graphql(emulator, lookup, {"id": post["id"]}).json()["data"]["post"]
    by_slug = graphql(emulator, lookup, {"slug": post["slug"]}).json()["data"]["post"]
    assert by_id["slug"] == post["slug"] and by_slug["id"] == post["id"]
    assert graphql(emulator, '{ post(id: "1") { id } }').json()["data"]["post"] is None
    query = """{ collections(first: 20) { totalCount nodes { id followersCount
        posts(first: 20) { totalCount nodes { id } } } } }"""
    collections = graphql(emulator, query).json()["data"]["collections"]
    truth = admin(emulator, "truth")
    assert collections["totalCount"] == truth["collections"]
    assert sum(c["posts"]["totalCount"] for c in collections["nodes"]) == truth["collection_posts"]
    followers = [c["followersCount"] for c in collections["nodes"]]
    assert followers == sorted(followers, reverse=True)
    member = collections["nodes"][0]["posts"]["nodes"][0]["id"]
    holding = graphql(
        emulator, "query($id: ID) { collections(postId: $id) { nodes { id } } }", {"id": member}
    ).json()
    assert collections["nodes"][0]["id"] in [c["id"] for c in holding["data"]["collections"]["nodes"]]


def test_url_and_twitter_url_filters(emulator: EmulatorServer) -> None:
    query = """query($url: String, $twitter: String) { posts(url: $url, twitterUrl: $twitter) {
        totalCount nodes { id url productLinks { url } } } }"""
    newest = graphql(emulator, "{ posts(order: NEWEST, first: 3) { nodes { id url productLinks { url } } } }")
    for post in newest.json()["data"]["posts"]["nodes"]:
        for url in (post["url"], post["productLinks"][0]["url"]):
            found = graphql(emulator, query, {"url": url}).json()["data"]["posts"]
            assert [n["id"] for n in found["nodes"]] == [post["id"]]
    record = next(r for r in (emulator.world.post_static(i) for i in range(200)) if r.twitter_url is not None)
    found = graphql(emulator, query, {"twitter": record.twitter_url}).json()["data"]["posts"]
    assert record.id in [n["id"] for n in found["nodes"]]
    assert (
        graphql(emulator, query, {"url": "https://nowhere.example"}).json()["data"]["posts"]["totalCount"]
        == 0
    )


def test_concurrent_clients_are_counted_and_charged_exactly(emulator_factory: Factory) -> None:
    from concurrent.futures import ThreadPoolExecutor

    server = emulator_factory(budget=10**9)
    query = "{ posts(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }"

    def client(_: int) -> list[int]:
        with httpx.Client(headers={"Authorization": "Bearer t"}) as session:
            return [session.post(server.url, json={"query": query}).status_code for _ in range(10)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(client, range(8)) for s in batch]
    assert statuses == [200] * 80
    stats = admin(server, "stats")
    assert stats["requests"] == 80 and stats["points_spent"] == 80 * 46
    assert stats["responses_by_status"] == {"200": 80}
