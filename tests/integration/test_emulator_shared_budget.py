"""The emulator's shapes of a shared, capped budget (issue 20): another tool spending the same
window, the per-query complexity cap, the real API's 429 body."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from producthuntdb.api.queries import load_query
from producthuntdb.emulator import EmulatorServer
from producthuntdb.errors import ConfigError
from tests.plugins.emulator import admin, graphql

Factory = Callable[..., EmulatorServer]
VIEWER = "{ viewer { user { id } } }"


def test_a_query_over_the_cap_is_refused_like_the_real_api_and_costs_nothing(emulator_factory: Factory) -> None:
    server = emulator_factory(cost_model="nested", max_query_complexity=300)
    response = graphql(server, load_query("posts_page"))
    assert response.status_code == 200
    assert response.json() == {"errors": [{"message": "Query has complexity of 401, which exceeds max complexity of 300"}]}
    assert response.headers["X-Rate-Limit-Remaining"] == "6250"
    small = graphql(server, load_query("posts_page"), {"first": 14})  # 1 + 14 x 20 = 281
    assert small.status_code == 200 and len(small.json()["data"]["posts"]["nodes"]) == 14
    assert admin(server, "stats")["points_spent"] == 281


def test_the_cap_is_on_complexity_not_on_the_points_charged(emulator_factory: Factory) -> None:
    server = emulator_factory(cost_factor=3, max_query_complexity=400)
    assert "errors" not in graphql(server, load_query("posts_page")).json()  # complexity 325 passes
    assert admin(server, "stats")["points_spent"] == 975  # and is charged three times that


def test_another_tool_spends_the_same_window_and_is_counted_apart(emulator_factory: Factory) -> None:
    server = emulator_factory(budget=6250, window_seconds=30, foreign_spend=500)
    first = int(graphql(server, VIEWER).headers["X-Rate-Limit-Remaining"])
    time.sleep(0.5)
    second = int(graphql(server, VIEWER).headers["X-Rate-Limit-Remaining"])
    assert first - second >= 3 + 200  # our 3 points, and ~250 of theirs
    stats = admin(server, "stats")
    assert stats["points_spent"] == 6 and stats["foreign_points"] >= 200
    assert admin(server, "config")["foreign_spend"] == 500


def test_the_other_tool_takes_its_rate_even_from_a_greedy_neighbour(emulator_factory: Factory) -> None:
    """What it could not get while the window was spent it takes as the next one opens."""
    server = emulator_factory(budget=1000, window_seconds=1, foreign_spend=400)
    spent = 0
    while spent < 990:  # take the whole first window at once
        response = graphql(server, load_query("posts_page"), {"first": 1})  # 21 points
        if response.status_code == 429:
            break
        spent += 21
    time.sleep(1.1)
    remaining = int(graphql(server, VIEWER).headers["X-Rate-Limit-Remaining"])
    assert remaining <= 1000 - 3 - 350  # its backlog went first


def test_the_real_429_names_its_reset_in_the_body(emulator_factory: Factory) -> None:
    server = emulator_factory(window_seconds=120, fault_rate=1.0, faults=("429_real",))
    response = graphql(server, VIEWER)
    assert response.status_code == 429
    (error,) = response.json()["errors"]
    assert response.json()["data"] is None and error["error"] == "rate_limit_reached"
    assert error["details"] == {"limit": 6250, "remaining": -50, "reset_in": 120}
    assert response.headers["X-Rate-Limit-Remaining"] == "0" and "X-Rate-Limit-Reset" not in response.headers
    assert admin(server, "stats")["points_spent"] == 0


def test_the_new_settings_are_checked(emulator_factory: Factory) -> None:
    from producthuntdb.emulator.cli import emulator_config

    for bad in ({"foreign_spend": -1.0}, {"max_query_complexity": -5}, {"cost_model": "quadratic"}):
        with pytest.raises(ConfigError):
            emulator_config(**bad)  # type: ignore[arg-type]
    server = emulator_factory()
    config = admin(server, "config", {"max_query_complexity": 100, "foreign_spend": 1.5})
    assert (config["max_query_complexity"], config["foreign_spend"]) == (100, 1.5)
    assert "exceeds max complexity of 100" in graphql(server, load_query("posts_page")).text
