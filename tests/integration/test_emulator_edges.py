"""The emulator's edges: config validation, the blocking ``serve``, admin routes, odd requests, lookups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from producthuntdb.emulator import EmulatorConfig, EmulatorServer, parse_faults, parse_now
from producthuntdb.errors import ConfigError
from tests.plugins.emulator import admin, graphql

Factory = Callable[..., EmulatorServer]


def test_config_validation_lists_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        EmulatorConfig(scale="huge", budget=0, fault_rate=2.0, faults=("gremlins",), latency_ms=-1)  # type: ignore[arg-type]
    assert len(caught.value.problems) == 5
    with pytest.raises(ConfigError, match="needs at least one fault kind"):
        EmulatorConfig(fault_rate=0.1)
    with pytest.raises(ConfigError, match="timezone-aware"):
        EmulatorConfig(now=datetime(2026, 1, 1))
    assert parse_faults(" 500, timeout ,") == ("500", "timeout") and parse_faults(None) == ()
    with pytest.raises(ConfigError, match="gremlins"):
        parse_faults("500,gremlins")
    assert parse_now("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_now("2026-01-02").tzinfo is not None
    with pytest.raises(ConfigError, match="ISO-8601"):
        parse_now("yesterday")


def test_serve_prints_the_url_and_stops_on_sigterm() -> None:
    code = (
        "from producthuntdb.emulator import serve, EmulatorConfig\n"
        "serve(EmulatorConfig(scale='tiny', port=0))\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "not the API" in first and "/v2/api/graphql" in first
        url = first.split("listening on ")[1].split()[0]
        answer = httpx.post(
            url, json={"query": "{ viewer { user { id } } }"}, headers={"Authorization": "Bearer t"}
        )
        assert answer.json() == {"data": {"viewer": {"user": {"id": "1000"}}}}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_admin_routes_and_bad_requests(emulator: EmulatorServer) -> None:
    base = emulator.base_url
    assert admin(emulator, "health") == {"ok": True}
    assert admin(emulator, "config")["scale"] == "tiny"
    assert admin(emulator, "clock")["now"] == "2026-10-01T12:00:00Z"
    assert httpx.get(f"{base}/_emulator/nope").status_code == 404
    assert httpx.get(f"{base}/elsewhere").status_code == 404
    assert httpx.post(f"{base}/_emulator/clock", content=b"{not json").status_code == 400
    assert httpx.post(f"{base}/_emulator/clock", json={}).status_code == 400
    assert httpx.post(f"{base}/_emulator/config", json={"colour": "red"}).status_code == 400
    assert httpx.get(emulator.url).status_code == 405
    auth = {"Authorization": "Bearer t"}
    assert httpx.post(emulator.url, content=b"{oops", headers=auth).status_code == 400
    for body in ({"query": ""}, {"query": "{ viewer { user { id } } }", "variables": [1]}, [1, 2]):
        response = httpx.post(emulator.url, json=body, headers=auth)
        assert response.status_code == 200 and response.json()["errors"]
    two = "query A { viewer { user { id } } } query B { viewer { user { name } } }"
    assert "exactly one operation" in graphql(emulator, two).json()["errors"][0]["message"]
    named = httpx.post(emulator.url, json={"query": two, "operationName": "B"}, headers=auth).json()
    assert named["data"]["viewer"]["user"]["name"]
    assert admin(emulator, "stats")["points_spent"] == 3
    assert httpx.delete(f"{base}/_emulator/stats").json()["requests"] == 0


def test_bad_arguments_are_graphql_errors_and_cost_nothing(emulator: EmulatorServer) -> None:
    for query in (
        '{ posts(after: "%%%") { nodes { id } } }',
        "{ posts(first: -1) { nodes { id } } }",
        '{ posts(postedAfter: "last tuesday") { nodes { id } } }',
    ):
        response = graphql(emulator, query)
        assert response.status_code == 200 and response.json()["errors"]
    assert admin(emulator, "stats")["points_spent"] == 0


def test_latency_is_added_to_graphql_requests_only(emulator_factory: Factory) -> None:
    server = emulator_factory(latency_ms=3_600_000)  # an hour: an admin request that paid it would time out
    assert admin(server, "truth")["posts"] > 0
    admin(server, "config", {"latency_ms": 300})
    started = time.monotonic()
    assert graphql(server, "{ viewer { user { id } } }").status_code == 200
    assert time.monotonic() - started >= 0.3  # a floor holds at any speed


def test_lookups_of_every_kind(emulator_factory: Factory) -> None:
    server = emulator_factory(redaction=False, budget=10**9)
    query = """{ topic(slug: "productivity") { id name postsCount isFollowing image(width: 10) }
      topics(query: "dev", order: FOLLOWERS_COUNT) { nodes { name } }
      viewer { user { id username isViewer profileImage(size: 40) coverImage(width: 5)
        followers(first: 3) { totalCount nodes { id } } following { totalCount }
        votedPosts(first: 3) { totalCount nodes { id isVoted } } submittedPosts { totalCount }
        madePosts(first: 2) { totalCount nodes { id makers { id } } } followedCollections { totalCount } } }
      featured: collections(featured: true, order: FEATURED_AT) { totalCount nodes { featuredAt isFollowing } }
      newest: collections(order: NEWEST) { nodes { id createdAt userId user { id } } }
      posts(first: 5, order: VOTES) { nodes { id isCollected isVoted comments(first: 2, order: VOTES_COUNT) {
        nodes { id votesCount isVoted url parent { id } user { id } votes(first: 2) { totalCount nodes { id user { id } } }
          replies(order: VOTES_COUNT) { totalCount } } } } } }"""
    data = graphql(server, query).json()
    assert "errors" not in data, data.get("errors")
    data = data["data"]
    topic = data["topic"]
    assert topic["name"] == "Productivity" and topic["postsCount"] > 0 and topic["image"].endswith("w=10")
    viewer = data["viewer"]["user"]
    assert viewer["isViewer"] and viewer["profileImage"].endswith("size=40")
    assert viewer["votedPosts"]["nodes"] and viewer["madePosts"]["nodes"] and data["featured"]["nodes"]
    assert all(p["isVoted"] for p in viewer["votedPosts"]["nodes"])
    assert all(viewer["id"] in [m["id"] for m in p["makers"]] for p in viewer["madePosts"]["nodes"])
    assert all(c["featuredAt"] for c in data["featured"]["nodes"])
    stamps = [c["createdAt"] for c in data["newest"]["nodes"]]
    assert stamps == sorted(stamps, reverse=True)
    assert all(c["userId"] == c["user"]["id"] for c in data["newest"]["nodes"])
    comment = next(c for p in data["posts"]["nodes"] for c in p["comments"]["nodes"])
    by_id = graphql(server, "query($id: ID!) { comment(id: $id) { id url } }", {"id": comment["id"]}).json()
    assert by_id["data"]["comment"] == {"id": comment["id"], "url": comment["url"]}
    assert graphql(server, '{ comment(id: "1") { id } }').json()["data"]["comment"] is None
    username = graphql(server, "{ viewer { user { username } } }").json()["data"]["viewer"]["user"][
        "username"
    ]
    found = graphql(server, "query($u: String) { user(username: $u) { id } }", {"u": username}).json()
    assert found["data"]["user"]["id"] == viewer["id"]
    followed = graphql(
        server, "query($id: ID) { topics(followedByUserid: $id) { totalCount } }", {"id": viewer["id"]}
    )
    assert followed.json()["data"]["topics"]["totalCount"] > 0
    mutation = 'mutation { userFollow(input: {userId: "1001"}) { errors { message } node { id } } }'
    assert graphql(server, mutation).json()["data"]["userFollow"] == {"errors": [], "node": {"id": "1001"}}
