"""What ``sync`` is asked (:class:`SyncOptions`, the CLI's flags) and what it answers (:class:`SyncReport`).

Kept apart from the chunk driver (``sync.py``): the CLI, the stage runner, the demo and the tests
name a run's options and its report without reaching into how a run is driven.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from producthuntdb.errors import ConfigError
from producthuntdb.source.helpers import CHUNK_PAGES, iso
from producthuntdb.source.helpers import WITH_CHOICES as WITH_CHOICES


@dataclass
class SyncOptions:
    """What one ``producthuntdb sync`` asks for (flags of the CLI), checked once, when it is made.

    The CLI, ``pipelines/producthunt.py``, the stage runner and the demo all build one, so a bad
    value is refused the same way (ConfigError, exit 2, the flag named) whoever asked; the CLI's
    parsers only turn text into values.
    """

    since: datetime | None = None
    full_refresh: bool = False
    max_points: int | None = None
    max_minutes: float | None = None
    with_: frozenset[str] = frozenset()
    budget_share: float | None = None
    lookback_hours: float | None = None
    progress: bool | None = None
    chunk_pages: int = CHUNK_PAGES
    """Pages fetched between two loads, at most: a SIGKILL loses no more (nor more than
    ``ChunkLimits.seconds`` of fetching, nor more than one rate window)."""
    backoff_base: float | None = None
    """First retry wait in seconds (None: 0.05 s against a local emulator, 1 s otherwise)."""

    def __post_init__(self) -> None:
        unknown = set(self.with_) - WITH_CHOICES
        if unknown:
            raise ConfigError(f"--with: unknown {', '.join(sorted(unknown))} (choose from comments, votes, media)")
        if self.max_points is not None and self.max_points < 1:
            raise ConfigError("--max-points must be a positive number of points")
        if self.max_minutes is not None and not self.max_minutes > 0:  # also NaN
            raise ConfigError("--max-minutes must be positive")
        if self.budget_share is not None and not 0 < self.budget_share <= 1:
            raise ConfigError("--budget-share must be in (0, 1]")


@dataclass
class SyncReport:
    """What a run did; also the ``raw._sync_runs`` row."""

    run_id: str
    status: str = "ok"
    stop_reason: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    pages: int = 0
    points: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    n_429: int = 0
    points_per_post: float | None = None
    backfill_position: datetime | None = None
    quarantined: int = 0
    """Posts this run set aside in ``raw._quarantine`` (unreadable on the API; retried by later runs)."""
    foreign_points: int = 0
    """Points other tools of this application spent from the windows this run used (never ours)."""
    gaps: int = 0
    missing: int = 0
    """Windows this run closed short of the API's totals, and the posts missing (``raw._gaps``): the run is ``partial``."""
    waited_seconds: float = 0.0
    longest_wait: float = 0.0
    window_usage: list[float] = field(default_factory=list)
    loads: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "finished_at", "backfill_position"):
            data[key] = iso(data[key])
        data["waited_seconds"] = round(self.waited_seconds, 2)
        data["longest_wait"] = round(self.longest_wait, 2)
        return data

    def row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "started_at": self.started_at, "finished_at": self.finished_at,
            "status": self.status, "stop_reason": self.stop_reason, "pages": self.pages, "points": self.points,
            "rows_json": json.dumps(self.rows, sort_keys=True), "retries": self.retries, "n_429": self.n_429,
            "points_per_post": self.points_per_post, "backfill_position": self.backfill_position,
            "quarantined": self.quarantined, "gaps": self.gaps, "foreign_points": self.foreign_points,
        }


def parse_lookback(text: str) -> float:
    """``"72h"``, ``"3d"``, ``"90m"``, ``"72"`` → hours; ConfigError on anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdm]?)\s*", str(text).lower())
    if not match:
        raise ConfigError(f"--lookback {text!r}: expected a duration such as 72h, 3d or 90m")
    value = float(match.group(1))
    return value * {"": 1.0, "h": 1.0, "d": 24.0, "m": 1 / 60}[match.group(2)]
