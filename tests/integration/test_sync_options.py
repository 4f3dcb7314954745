"""Sync options that need no API: durations, bad flags (one clear ConfigError each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from producthuntdb.errors import ConfigError
from producthuntdb.sync import run_sync
from producthuntdb.syncmodel import SyncOptions, parse_lookback
from tests.plugins.pipeline import test_settings


@pytest.mark.parametrize(
    ("text", "hours"), [("72h", 72.0), ("3d", 72.0), ("90m", 1.5), ("72", 72.0), (" 1.5d ", 36.0), ("0", 0.0)]
)
def test_parse_lookback(text: str, hours: float) -> None:
    assert parse_lookback(text) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["", "abc", "-3h", "3w", "3 days", "h"])
def test_parse_lookback_rejects_junk(text: str) -> None:
    with pytest.raises(ConfigError, match="--lookback"):
        parse_lookback(text)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"with_": frozenset({"likes"})}, "--with"),
        ({"max_points": 0}, "--max-points"),
        ({"max_minutes": -1}, "--max-minutes"),
        ({"budget_share": 1.5}, "--budget-share"),
    ],
)
def test_bad_options_fail_before_any_request(tmp_path: Path, flags: dict[str, Any], message: str) -> None:
    settings = test_settings(tmp_path / "data", "http://127.0.0.1:9/v2/api/graphql")
    with pytest.raises(ConfigError, match=message):
        run_sync(settings, SyncOptions(**flags))
    assert not (tmp_path / "data").exists()
