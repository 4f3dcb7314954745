"""A local emulator of the Product Hunt API v2: a model of the real API, not the API.

Real schema, Relay pagination with the 20-item cap, graphql-ruby-style complexity, the
rate-limit headers and 429s, redacted users, a clock, injectable faults — over a
deterministic synthetic world. See ``docs/ARCHITECTURE.md`` for the contract.
"""

from producthuntdb.emulator.config import (
    DEFAULT_NOW,
    FAULT_KINDS,
    SCALES,
    EmulatorConfig,
    parse_faults,
    parse_now,
)
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
