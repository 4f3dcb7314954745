"""What an emulated world is made of and how its server behaves: one dataclass, shared by CLI and tests.

Kept apart from the server so the CLI can build a config (and validate flags) without
importing the HTTP machinery or generating a world.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from producthuntdb.errors import ConfigError

DEFAULT_NOW = datetime(2026, 10, 1, 12, 0, 0, tzinfo=UTC)
"""The emulator's default clock: fixed so that every run of every test sees the same world."""

FAULT_KINDS = (
    "500", "502", "503", "timeout", "slow", "malformed", "graphql_error", "reset",
    # what a CDN, a WAF or the real API's edge cases send (issue 13)
    "html_502", "waf_403", "429_bare", "retry_after", "epoch_reset", "partial", "complexity",
    "429_real",  # the real API's 429: its JSON body names the reset (details.reset_in), issue 20
    # a mutating proxy or a server that forgets its filters (issue 20)
    "cursor_loop", "ignore_dates", "short_page", "null_id", "dup_id",
)
Scale = Literal["tiny", "small", "medium", "large"]
CostModel = Literal["current", "legacy-nodes", "nested"]
"""graphql-ruby's connection rules the server can charge with (emulator/pricing.py)."""
SCALES: tuple[Scale, ...] = get_args(Scale)
COST_MODELS: tuple[CostModel, ...] = get_args(CostModel)


@dataclass
class EmulatorConfig:
    """Everything that decides what the emulator serves (world) and how (limits, faults)."""

    seed: int = 42
    scale: Scale = "small"
    token: str | None = None
    """None: any non-empty bearer token is accepted."""
    budget: int = 6250
    window_seconds: float = 900
    now: datetime = DEFAULT_NOW
    fault_rate: float = 0.0
    faults: tuple[str, ...] = ()
    latency_ms: int = 0
    redaction: bool = True
    redacted_lookups: bool = False
    """``user(id:)``/``user(username:)`` answer redacted (but for the viewer) while ids elsewhere are
    real (with ``redaction`` off): an API that names users it will not show, so a client that
    asks again on every run leaks points."""
    host: str = "127.0.0.1"
    port: int = 0
    timeout_seconds: float = 35.0
    """How long a ``timeout`` fault holds the request: longer than any sane client read timeout."""
    slow_seconds: float = 2.0
    """How long a ``slow`` fault delays a correct answer."""
    cost_model: CostModel = "current"
    """graphql-ruby's connection rule the server charges with (:data:`CostModel`)."""
    cost_factor: float = 1.0
    """Every charge is multiplied by this (rounded up): a server pricier than any known rule."""
    poison_posts: int = 0
    """This many posts (chosen from the seed) fail to resolve on every request, like a broken record."""
    foreign_spend: float = 0.0
    """Another application's tool spends this many points per second from the same window."""
    max_query_complexity: int = 0
    """A request whose complexity (the rule's, before ``cost_factor``) passes this is refused, HTTP 200 (0: no cap)."""
    bad_value_posts: int = 0
    """This many posts (chosen from the seed) carry a value no client can store, on every request."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError listing every bad value, so a CLI can print one line and exit 2."""
        problems: list[str] = []
        if self.scale not in SCALES:
            problems.append(f"scale must be one of {', '.join(SCALES)}, not {self.scale!r}")
        if self.budget < 1:
            problems.append(f"budget must be a positive number of points, not {self.budget}")
        if self.window_seconds <= 0:
            problems.append(f"window_seconds must be positive, not {self.window_seconds}")
        if not 0.0 <= self.fault_rate <= 1.0:
            problems.append(f"fault_rate must be between 0 and 1, not {self.fault_rate}")
        unknown = [kind for kind in self.faults if kind not in FAULT_KINDS]
        if unknown:
            problems.append(f"unknown fault kind(s) {', '.join(unknown)}; known: {', '.join(FAULT_KINDS)}")
        if self.fault_rate > 0 and not self.faults:
            problems.append("fault_rate > 0 needs at least one fault kind (--faults 500,timeout,...)")
        if self.cost_model not in COST_MODELS:
            problems.append(f"cost_model must be one of {', '.join(COST_MODELS)}, not {self.cost_model!r}")
        if not 0 < self.cost_factor <= 100:
            problems.append(f"cost_factor must be in (0, 100], not {self.cost_factor}")
        if self.foreign_spend < 0:
            problems.append(f"foreign_spend must be >= 0 points per second, not {self.foreign_spend}")
        if self.max_query_complexity < 0:
            problems.append(f"max_query_complexity must be >= 0 (0: no cap), not {self.max_query_complexity}")
        if self.poison_posts < 0:
            problems.append(f"poison_posts must be >= 0, not {self.poison_posts}")
        if self.bad_value_posts < 0:
            problems.append(f"bad_value_posts must be >= 0, not {self.bad_value_posts}")
        if self.latency_ms < 0:
            problems.append(f"latency_ms must be >= 0, not {self.latency_ms}")
        if self.token is not None and not self.token.strip():
            problems.append("token must not be empty (omit it to accept any token)")
        if self.now.tzinfo is None:
            problems.append("now must be timezone-aware (e.g. 2026-10-01T12:00:00Z)")
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be 0..65535, not {self.port}")
        if problems:
            raise ConfigError(problems)


def parse_faults(text: str | None) -> tuple[str, ...]:
    """``"500,502, timeout"`` → ``("500", "502", "timeout")``; unknown kinds raise ConfigError."""
    if not text:
        return ()
    kinds = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown:
        raise ConfigError(f"unknown fault kind(s) {', '.join(unknown)}; known: {', '.join(FAULT_KINDS)}")
    return kinds


def parse_now(text: str) -> datetime:
    """An ISO-8601 instant (``Z`` allowed; naive means UTC) for ``--now``."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--now must be an ISO-8601 date-time such as 2026-10-01T12:00:00Z, not {text!r}"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
