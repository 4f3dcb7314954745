"""Injected failures, drawn from a seeded RNG so a failing run can be replayed exactly.

Each GraphQL request draws once: with probability ``rate`` it gets one of ``kinds``
(uniformly). Admin endpoints never fail. Reconfiguring reseeds, so a test that sets
faults sees the same sequence every time.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import numpy as np

from producthuntdb.emulator.config import FAULT_KINDS
from producthuntdb.emulator.world import World

GRAPHQL_ERROR_BODY = {"errors": [{"message": "Oops, something went wrong"}]}
MALFORMED_BODY = b'{"data": {"posts": {"edges": [{"node": {"id": "1", "na'
"""A JSON document cut in half: what a proxy dropping a connection mid-body produces."""

CDN_502_HTML = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<h1>502 Bad Gateway</h1><p>The origin did not answer in time.</p>"
    b"<p>cf-ray: 8d1f0c0e7a2b4f11</p></body></html>"
)
"""What a CDN in front of the API sends when the origin fails: HTML, no rate headers."""

WAF_403_HTML = (
    b"<!DOCTYPE html><html><head><title>Attention Required!</title></head><body>"
    b"<h1>Sorry, you have been blocked</h1><p>This website is using a security service to protect "
    b"itself from online attacks.</p>" + b"<!-- padding -->" * 200 + b"</body></html>"
)
"""A web application firewall's block page: a 403 that is not the API speaking."""


def poisoned_posts(world: World, now: int, seed: int, count: int) -> frozenset[int]:
    """``count`` post indices, fixed by the seed, among the posts that exist at ``now``."""
    existing = world.moment(now).posts
    if count <= 0 or existing == 0:
        return frozenset()
    rng = np.random.default_rng([seed, 4099])
    chosen = rng.choice(existing, min(count, existing), replace=False)
    return frozenset(int(i) for i in chosen)


def break_one_node(response: dict[str, Any]) -> dict[str, Any]:
    """A partial answer: one node of the first non-empty list in ``data`` nulled, with its error.

    That is how graphql-ruby answers when one item of a list fails to resolve and the list
    allows nulls: the good items stay, the bad one is ``null``, and ``errors`` has its path.
    """
    data = response.get("data")
    if not isinstance(data, dict):
        return response
    path = _first_list_item(data, [])
    if path is None:
        return response
    holder: Any = data
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = None
    error = {"message": "Internal error while resolving this node", "path": path}
    return {**response, "errors": [*response.get("errors", []), error]}


def _first_list_item(value: Any, path: list[str | int]) -> list[str | int] | None:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                return [*path, index]
        return None
    if isinstance(value, dict):
        for key, child in value.items():
            found = _first_list_item(child, [*path, key])
            if found is not None:
                return found
    return None


class FaultInjector:
    def __init__(self, seed: int, rate: float = 0.0, kinds: tuple[str, ...] = ()) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.configure(rate, kinds)

    def configure(self, rate: float, kinds: tuple[str, ...]) -> None:
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s): {', '.join(unknown)}")
        with self._lock:
            self.rate = rate
            self.kinds = tuple(kinds)
            self._rng = random.Random(self._seed * 7919 + 17)

    def draw(self) -> str | None:
        """The fault for the next request, or None."""
        with self._lock:
            if self.rate <= 0 or not self.kinds:
                return None
            if self._rng.random() >= self.rate:
                return None
            return self.kinds[self._rng.randrange(len(self.kinds))]
