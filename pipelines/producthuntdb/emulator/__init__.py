"""A local emulator of the Product Hunt API v2: a model of the real API, not the API.

Real schema, Relay pagination with the 20-item cap, graphql-ruby-style complexity, the
rate-limit headers and 429s, redacted users, a clock, injectable faults — over a
deterministic synthetic world. See ``docs/ARCHITECTURE.md`` for the contract.

The server (and the world generator, numpy) is imported on first use of ``EmulatorServer`` or
``serve``: ``producthuntdb --help`` imports the package for ``api serve``'s options only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from producthuntdb.emulator.config import (
    DEFAULT_NOW,
    FAULT_KINDS,
    SCALES,
    EmulatorConfig,
    parse_faults,
    parse_now,
)

if TYPE_CHECKING:
    from producthuntdb.emulator.server import EmulatorServer, serve

__all__ = [
    "DEFAULT_NOW",
    "FAULT_KINDS",
    "SCALES",
    "EmulatorConfig",
    "EmulatorServer",
    "parse_faults",
    "parse_now",
    "serve",
]


def __getattr__(name: str) -> Any:
    if name in ("EmulatorServer", "serve"):
        import producthuntdb.emulator.server as server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
