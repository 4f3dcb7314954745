"""Injected faults: each kind behaves as specified, costs nothing and never touches admin endpoints."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from tests.plugins.emulator import admin, graphql

Factory = Callable[..., EmulatorServer]
QUERY = "{ posts(first: 20) { totalCount nodes { id name } } }"


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("502", 502), ("503", 503)])
def test_server_errors_send_json_and_cost_nothing(emulator_factory: Factory, kind: str, status: int) -> None:
    server = emulator_factory(fault_rate=1.0, faults=(kind,))
    response = graphql(server, QUERY)
    assert response.status_code == status
    assert response.json()["errors"][0]["message"]
    assert response.headers["X-Rate-Limit-Remaining"] == "6250"
    stats = admin(server, "stats")
    assert stats["points_spent"] == 0 and stats["faults_injected"] == 1
    assert stats["faults_by_kind"] == {kind: 1} and stats["responses_by_status"] == {str(status): 1}


def test_graphql_error_is_200_with_oops(emulator_factory: Factory) -> None:
    response = graphql(emulator_factory(fault_rate=1.0, faults=("graphql_error",)), QUERY)
    assert response.status_code == 200
    assert response.json() == {"errors": [{"message": "Oops, something went wrong"}]}


def test_malformed_is_200_with_broken_json(emulator_factory: Factory) -> None:
    response = graphql(emulator_factory(fault_rate=1.0, faults=("malformed",)), QUERY)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_reset_drops_the_connection(emulator_factory: Factory) -> None:
    server = emulator_factory(fault_rate=1.0, faults=("reset",))
    with (
        pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)),
        httpx.Client() as client,
    ):
        client.post(server.url, json={"query": QUERY}, headers={"Authorization": "Bearer t"})
    stats = admin(server, "stats")
    assert stats["faults_by_kind"] == {"reset": 1} and stats["points_spent"] == 0


def test_timeout_holds_the_request_but_not_shutdown(emulator_factory: Factory) -> None:
    assert EmulatorConfig().timeout_seconds >= 30
    server = emulator_factory(fault_rate=1.0, faults=("timeout",), timeout_seconds=3600)
    with pytest.raises(httpx.ReadTimeout):
        graphql(server, QUERY, timeout=0.5)
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    stopping.join(timeout=600)  # the held request would last an hour: stop() returns long before
    assert not stopping.is_alive(), "stop() waited for the request the timeout fault holds"


def test_slow_answers_correctly_after_a_delay(emulator_factory: Factory) -> None:
    server = emulator_factory(fault_rate=1.0, faults=("slow",), slow_seconds=0.4)
    started = time.monotonic()
    response = graphql(server, QUERY)
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200 and len(response.json()["data"]["posts"]["nodes"]) == 20


def test_faults_are_deterministic_and_spare_admin_endpoints(emulator_factory: Factory) -> None:
    def statuses(server: EmulatorServer) -> list[int]:
        return [graphql(server, QUERY).status_code for _ in range(30)]

    kinds = ("500", "503", "graphql_error")
    one = statuses(emulator_factory(seed=3, fault_rate=0.4, faults=kinds))
    two = statuses(emulator_factory(seed=3, fault_rate=0.4, faults=kinds))
    assert one == two and 200 in one and {500, 503} & set(one)
    server = emulator_factory(fault_rate=1.0, faults=("500",))
    for _ in range(5):
        assert admin(server, "truth")["posts"] == 200
    admin(server, "config", {"fault_rate": 0.0})
    assert graphql(server, QUERY).status_code == 200
    settings = admin(server, "config", {"fault_rate": 1.0, "faults": "timeout", "timeout_seconds": 0.3})
    assert settings["faults"] == ["timeout"] and settings["timeout_seconds"] == 0.3
    assert graphql(server, QUERY).status_code == 504  # held 0.3 s, then a gateway timeout
