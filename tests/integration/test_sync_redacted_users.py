"""Bounded user lookups: ids that ``user(id:)`` answers redacted are not asked again on every run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from producthuntdb.emulator import EmulatorServer
from producthuntdb.savedstate import saved_position
from tests.plugins.pipeline import UNTHROTTLED, raw_query, run_sync_into

USER_POINTS = 11
"""``user(id:) { ...UserFields }`` (API_FACTS.md)."""


def test_ids_answered_redacted_are_remembered_and_cost_nothing_next_time(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    # Real ids on posts and makers, but user(id:) hides everyone but the viewer.
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, redaction=False, redacted_lookups=True)
    settings, first = run_sync_into(tmp_path, server.url)
    assert first.status == "ok"
    hidden = {
        row[0]
        for row in raw_query(
            settings,
            "select user_id from raw.posts union select maker_id from raw.post_makers"
            " union select user_id from raw.collections"
            " except select id from raw.users",
        )
    }
    assert len(hidden) > 20
    position = saved_position(settings)
    assert position is not None
    assert set(position["redacted_users"]) == hidden

    _, second = run_sync_into(tmp_path, server.url)
    # Asking again (retry after 0 days) costs at least 11 points per hidden id more than not asking.
    _, third = run_sync_into(tmp_path, server.url, settings_overrides={"redacted_user_retry_days": 0})
    assert second.status == third.status == "ok"
    assert third.points - second.points >= USER_POINTS * len(hidden), (second.points, third.points)
    assert second.points < USER_POINTS * len(hidden) / 4
