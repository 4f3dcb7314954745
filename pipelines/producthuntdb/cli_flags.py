"""Flags shared by commands: the harvest's (``sync`` and ``run``) and ``--allow-shrink`` (``check``, ``run``).

Each harvest flag is parsed once, as typer reads it: text that is not a value is a usage error
(exit 2) before anything starts. Whether a value is allowed is checked where it is used, once:
``Settings`` checks what it owns (``--budget-share``, the look-back's hours) under the flag's name
(``cli_session.FLAG_OF_SETTING``), ``SyncOptions`` the rest (ConfigError, exit 2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from producthuntdb import pipeline
from producthuntdb.errors import ProductHuntDBError

if TYPE_CHECKING:
    from producthuntdb.settings import Settings
    from producthuntdb.syncmodel import SyncOptions


def _with(value: str) -> frozenset[str]:
    """The names, as written; which ones exist is ``SyncOptions``' check."""
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def _lookback(value: str) -> float:
    """``--lookback`` in hours."""
    from producthuntdb.syncmodel import parse_lookback

    try:
        return parse_lookback(value)
    except ProductHuntDBError as exc:
        raise typer.BadParameter(str(exc)) from None


def _since(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2024-01-31") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if parsed > datetime.now(UTC):
        raise typer.BadParameter(f"{value!r} is in the future: nothing could be harvested")
    return parsed


def _points(value: str) -> int:
    """A whole number; whether it is a usable bound is ``SyncOptions``' check."""
    try:
        return int(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r}: must be a positive number of points") from None


def _minutes(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: must be a positive number of minutes") from None


def sync_options(settings: Settings, **flags: Any) -> SyncOptions:
    return pipeline.sync_options(settings, **{**flags, "with_": flags["with_"] or frozenset()})


SINCE_OPT = typer.Option(
    None, "--since", parser=_since, metavar="<date>", help="Harvest posts from this date (YYYY-MM-DD) onwards."
)
FULL_REFRESH_OPT = typer.Option(False, "--full-refresh", help="Forget the saved cursor and start again.")
MAX_POINTS_OPT = typer.Option(
    None, "--max-points", parser=_points, metavar="<int>", help="Stop after spending this many API points."
)
MAX_MINUTES_OPT = typer.Option(
    None, "--max-minutes", parser=_minutes, metavar="<float>", help="Stop after this many minutes (resumes next run)."
)
WITH_OPT = typer.Option(
    None, "--with", parser=_with, metavar="<list>",
    help="Also harvest: comments, votes, media (thumbnails and product links; comma separated).",
)
BUDGET_SHARE_OPT = typer.Option(
    None, "--budget-share", help="Share (0-1] of the 6,250 points / 15 min this run may use."
)
LOOKBACK_OPT = typer.Option(
    None, "--lookback", parser=_lookback, metavar="<str>",
    help="Re-read vote/comment counts of posts younger than this (72h, 3d).",
)
ALLOW_SHRINK_OPT = typer.Option(
    False, "--allow-shrink", help="Accept fewer rows than the last export (after a deliberate cleanup)."
)
