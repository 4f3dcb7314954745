"""Injected failures, drawn from a seeded RNG so a failing run can be replayed exactly.

Each GraphQL request draws once: with probability ``rate`` it gets one of ``kinds``
(uniformly). Admin endpoints never fail. Reconfiguring reseeds, so a test that sets
faults sees the same sequence every time.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
from graphql import DocumentNode, FieldNode, OperationDefinitionNode, SelectionSetNode, VariableNode
from graphql.utilities import value_from_ast_untyped

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


BAD_VALUE_KINDS = ("surrogate", "big_int", "bad_timestamp")
"""What ``--bad-value-posts`` puts in a post, in turn: a lone surrogate in ``name``, a
``commentsCount`` beyond 64 bits (``BIG_INT``), a ``createdAt`` that is no timestamp."""
BIG_INT = 2**70
POSTS_FAULTS = ("short_page", "null_id", "dup_id")
"""Faults that alter the ``posts`` listing of an answer (the connection a harvester pages by date)."""


def bad_value_posts(world: World, now: int, seed: int, count: int, exclude: frozenset[int]) -> dict[int, str]:
    """``count`` post indices (fixed by the seed, none of ``exclude``) → the bad value each carries."""
    candidates = np.setdiff1d(np.arange(world.moment(now).posts), np.fromiter(exclude, dtype=np.int64))
    if count <= 0 or len(candidates) == 0:
        return {}
    rng = np.random.default_rng([seed, 4111])
    chosen = sorted(int(i) for i in rng.choice(candidates, min(count, len(candidates)), replace=False))
    return {i: BAD_VALUE_KINDS[n % len(BAD_VALUE_KINDS)] for n, i in enumerate(chosen)}


def loop_cursors(response: dict[str, Any], document: DocumentNode, variables: Mapping[str, Any]) -> dict[str, Any]:
    """``cursor_loop``: every connection asked with ``after:`` answers that same cursor as its
    ``endCursor``, with ``hasNextPage`` true — a client that trusts it asks the same page forever."""
    data = response.get("data")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if isinstance(data, dict) and operations:
        _loop(operations[0].selection_set, data, variables)
    return response


def _loop(selections: SelectionSetNode, data: dict[str, Any], variables: Mapping[str, Any]) -> None:
    for selection in selections.selections:
        if not isinstance(selection, FieldNode) or selection.selection_set is None:
            continue
        value = data.get((selection.alias or selection.name).value)
        if not isinstance(value, dict):
            continue
        after = next((a.value for a in selection.arguments or () if a.name.value == "after"), None)
        cursor = variables.get(after.name.value) if isinstance(after, VariableNode) else (
            value_from_ast_untyped(after) if after is not None else None
        )
        info = value.get("pageInfo")
        if cursor is not None and isinstance(info, dict) and "endCursor" in info:
            info.update(endCursor=cursor, hasNextPage=True)
        _loop(selection.selection_set, value, variables)


def alter_posts(kind: str, response: dict[str, Any]) -> dict[str, Any]:
    """``short_page`` (the second half of the nodes dropped, the cursors kept as if they were
    sent), ``null_id`` (one node's ``id`` null) or ``dup_id`` (the last node replaced by a copy
    of the first) on the answer's ``posts`` connection, when it holds two nodes or more."""
    data = response.get("data")
    posts = data.get("posts") if isinstance(data, dict) else None
    nodes = posts.get("nodes") if isinstance(posts, dict) else None
    if not isinstance(nodes, list) or len(nodes) < 2 or not all(isinstance(n, dict) for n in nodes):
        return response
    if kind == "short_page":
        del nodes[len(nodes) // 2 :]
    elif kind == "null_id":
        nodes[len(nodes) // 2] = {**nodes[len(nodes) // 2], "id": None}
    elif kind == "dup_id":
        nodes[-1] = dict(nodes[0])
    else:
        raise AssertionError(kind)
    return response


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
