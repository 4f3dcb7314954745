"""Injected failures, drawn from a seeded RNG so a failing run can be replayed exactly.

Each GraphQL request draws once: with probability ``rate`` it gets one of ``kinds``
(uniformly). Admin endpoints never fail. Reconfiguring reseeds, so a test that sets
faults sees the same sequence every time.
"""

from __future__ import annotations

import random
import threading

from producthuntdb.emulator.config import FAULT_KINDS

GRAPHQL_ERROR_BODY = {"errors": [{"message": "Oops, something went wrong"}]}
MALFORMED_BODY = b'{"data": {"posts": {"edges": [{"node": {"id": "1", "na'
"""A JSON document cut in half: what a proxy dropping a connection mid-body produces."""


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
