"""The API's clock from ``Date``: anchored on the last response, the machine's clock only as a fallback."""

from __future__ import annotations

from loguru import logger

from producthuntdb.api.clock import ServerClock


class Ticks:
    def __init__(self) -> None:
        self.mono, self.wall = 100.0, 1_800_000_000.0  # the machine thinks it is January 2027


def test_the_api_time_moves_on_from_the_last_date_it_sent() -> None:
    t = Ticks()
    clock = ServerClock(monotonic=lambda: t.mono, wall=lambda: t.wall)
    clock.observe({"date": "Thu, 01 Oct 2026 12:00:00 GMT"})
    t.mono += 30
    assert clock.now().isoformat() == "2026-10-01T12:00:30+00:00"
    clock.observe({"date": "Thu, 01 Oct 2026 12:00:10 GMT"})  # the server's clock is the authority
    assert clock.now().isoformat() == "2026-10-01T12:00:10+00:00"
    assert clock.skew_seconds is not None and clock.skew_seconds < -86_400


def test_without_date_the_machine_clock_is_used_and_said_once() -> None:
    t = Ticks()
    clock = ServerClock(monotonic=lambda: t.mono, wall=lambda: t.wall)
    records: list[str] = []
    sink = logger.add(lambda m: records.append(m.record["message"]), level="INFO")
    try:
        clock.observe({"date": "not a date"})
        assert clock.epoch() == t.wall and clock.epoch() == t.wall
    finally:
        logger.remove(sink)
    assert not clock.known
    assert sum("no Date header" in r for r in records) == 1


def test_a_large_skew_is_said_in_days() -> None:
    t = Ticks()
    records: list[str] = []
    sink = logger.add(lambda m: records.append(m.record["message"]), level="INFO")
    try:
        ServerClock(monotonic=lambda: t.mono, wall=lambda: t.wall).observe({"date": "Thu, 01 Oct 2026 12:00:00 GMT"})
    finally:
        logger.remove(sink)
    assert any("days behind this machine's" in r for r in records), records
