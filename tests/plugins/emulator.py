"""Emulator fixtures: a real HTTP Product Hunt API emulator on a free loopback port.

* ``emulator_factory(**config) -> EmulatorServer`` — start a server with ``EmulatorConfig``
  fields (``scale="tiny"``, ``budget=100``, ``window_seconds=1``, ``fault_rate=...``,
  ``faults=("500",)``, ``redaction=False``, ``token="..."``); every server it started is
  stopped at teardown. Worlds are generated once per (seed, scale, now) per session and
  shared (a world is read-only; clock, budget and stats belong to each server).
* ``emulator`` — a started ``tiny`` world (seed 42), function scope: fresh clock and budget.
* ``emulator_headers`` — the ``Authorization`` header any emulator without ``token`` accepts.
* helpers ``graphql(server, query, variables)`` → ``httpx.Response`` and
  ``admin(server, "stats" | "truth" | "clock" | "config", payload=None)`` → JSON, and
  ``shared_world(config)`` for tests that build an ``EmulatorServer`` themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.emulator.world import World

EMULATOR_TOKEN = "emulator-test-token-0123456789"
_WORLDS: dict[tuple[int, str, Any], World] = {}


def shared_world(config: EmulatorConfig) -> World:
    """The world for a config, generated at most once per test session."""
    key = (config.seed, config.scale, config.now)
    if key not in _WORLDS:
        _WORLDS[key] = World(config.seed, config.scale, config.now)
    return _WORLDS[key]


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[EmulatorServer] = []

    def factory(**overrides: Any) -> EmulatorServer:
        overrides.setdefault("scale", "tiny")
        config = EmulatorConfig(**overrides)
        server = EmulatorServer(config, world=shared_world(config)).start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator_factory(scale="tiny")


@pytest.fixture
def emulator_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {EMULATOR_TOKEN}"}


@functools.cache
def _client() -> Any:
    """One keep-alive client for the session: a fresh ``httpx.post`` pays ~20 ms of set-up each time."""
    import httpx

    return httpx.Client()


def graphql(
    server: EmulatorServer,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = EMULATOR_TOKEN,
    timeout: float = 10.0,
) -> Any:
    """POST one GraphQL request to ``server`` over real HTTP; returns the ``httpx.Response``."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return _client().post(server.url, json=body, headers=headers, timeout=timeout)


def admin(server: EmulatorServer, path: str, payload: dict[str, Any] | None = None) -> Any:
    """GET (no payload) or POST (payload) one ``/_emulator/<path>`` endpoint; returns the JSON."""
    url = f"{server.base_url}/_emulator/{path}"
    client = _client()
    response = client.get(url, timeout=30) if payload is None else client.post(url, json=payload, timeout=30)
    response.raise_for_status()
    return response.json()
