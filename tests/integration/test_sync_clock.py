"""One clock: metric observations carry the API's time (its ``Date`` header), not the machine's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from producthuntdb.emulator import EmulatorServer
from tests.plugins.emulator import admin
from tests.plugins.pipeline import UNTHROTTLED, raw_query, run_sync_into


def _clock(server: EmulatorServer) -> datetime:
    return datetime.fromisoformat(str(admin(server, "clock")["now"]).replace("Z", "+00:00"))


def test_observations_follow_the_api_clock_even_when_it_is_far_ahead(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    # An API a year ahead of this machine: the machine's clock would put every observation
    # before the posts it observes.
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, now=ahead)
    settings, first = run_sync_into(tmp_path, server.url)
    assert first.status == "ok"
    admin(server, "clock", {"advance_seconds": 6 * 3600})
    _, second = run_sync_into(tmp_path, server.url)
    assert second.status == "ok"
    api_now = _clock(server)

    early = raw_query(
        settings,
        "select count(*) from raw.post_metrics m join raw.posts p on p.id = m.post_id where m.observed_at < p.created_at",
    )[0][0]
    assert early == 0
    runs = raw_query(
        settings, "select run_id, min(observed_at), max(observed_at) from raw.post_metrics group by 1 order by 2"
    )
    assert len(runs) == 2
    (_, _, first_max), (_, second_min, second_max) = runs
    assert abs((first_max - (api_now - timedelta(hours=6))).total_seconds()) < 300
    assert abs((second_max - api_now).total_seconds()) < 300
    assert second_min - first_max >= timedelta(hours=5, minutes=55)
