"""The posts position: ascending date windows, each paged newest-first.

``posts(order: NEWEST)`` pages *descending* by ``created_at``. A run that stopped half-way
through ``(H, now]`` would have the newest part and a gap below it, and a naive
``max(created_at)`` cursor would skip that gap forever. So the position (dlt source state,
key ``harvest``) is kept as

* ``high_water`` H — every post with ``floor < created_at <= H`` is loaded;
* ``window`` — the date range being harvested now: ``after`` (= H when it started),
  ``before`` (None for the open, newest window), ``top`` (newest ``created_at`` seen in
  it) and ``resume_before`` (oldest ``created_at`` fetched so far); ``expected`` is the
  ``totalCount`` it was planned from and ``reasked`` says it is being paged a second time
  because it came up short (the completeness ledger, ``ledger.py``).

A window is paged descending; after every page ``resume_before`` moves down. A stopped run
resumes with ``postedBefore = resume_before`` (+1 s, so posts sharing that second are not
skipped; merge keys drop the overlap). H advances only when a window completes: to its
``before`` for a closed window, to its ``top`` for the open one. Windows are sized by cheap
``totalCount`` probes (``first: 0``, 2 points): empty stretches of history (a backfill from
2013 into a young world) are skipped for a few points and windows grow until they hold
enough posts that the last, partly empty page of each wastes little. ``postedAfter`` is
sent 1 s early for the same boundary reason.

This is plain dlt state rather than ``dlt.sources.incremental``: the windowed, descending,
resumable cursor does not fit incremental's single ascending maximum.

Topic membership has its own mark in the same state, ``links_through`` (``membership.py``):
it follows ``high_water`` once the posts harvest of a run is done.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from producthuntdb.source.helpers import HarvestRun, iso, ts

PRODUCT_HUNT_EPOCH = datetime(2013, 11, 24, tzinfo=UTC)
DEFAULT_WINDOW_DAYS = 30.0
MIN_WINDOW_POSTS = 400
MAX_WINDOW_POSTS = 4000
MAX_WINDOW_DAYS = 8 * 365.0
MIN_WINDOW_DAYS = 1 / 24
BOUNDARY = timedelta(seconds=1)
STATE_VERSION = 1


def new_state(floor: datetime) -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "floor": iso(floor),
        "high_water": None,
        "window": None,
        "window_days": DEFAULT_WINDOW_DAYS,
        "topics_refreshed_at": None,
        "topics_cursor": None,
        "collections_refreshed_at": None,
        "collections_cursor": None,
        "links_through": None,
        "links_scan": None,
    }


def remaining_ranges(state: dict[str, Any]) -> list[dict[str, str]]:
    """``postedAfter``/``postedBefore`` variables of the ranges not harvested yet (for estimates).

    Without a window in progress: everything after the high-water mark. With one: the part
    of the window below ``resume_before``, and everything above the window.
    """
    window = state.get("window")
    if not window:
        start = ts(state.get("high_water")) or ts(state["floor"])
        assert start is not None
        return [{"postedAfter": _s(iso(start))}]
    resume = ts(window.get("resume_before"))
    lower = {"postedAfter": _s(window["after"])}
    upper_bound = resume + BOUNDARY if resume is not None else ts(window.get("before"))
    if upper_bound is not None:
        lower["postedBefore"] = _s(iso(upper_bound))
    ranges = [lower]
    above = ts(window.get("before")) or ts(window.get("top"))
    if above is not None and (window.get("before") is not None or resume is not None):
        ranges.append({"postedAfter": _s(iso(above))})
    return ranges


def _s(value: str | None) -> str:
    assert value is not None
    return value


def start_of_next_window(state: dict[str, Any]) -> datetime:
    start = ts(state.get("high_water")) or ts(state["floor"])
    assert start is not None
    return start


def plan_window(run: HarvestRun, state: dict[str, Any], start: datetime, newest: datetime) -> dict[str, Any] | None:
    """The next window from ``start``, sized by ``totalCount`` probes; None if the run must stop.

    Empty stretches found on the way advance ``high_water`` at once (they hold nothing to load).
    """
    days = float(state.get("window_days") or DEFAULT_WINDOW_DAYS)
    grew = False
    for _ in range(60):
        end = start + timedelta(days=days)
        if end >= newest:
            break
        data = run.fetch("posts_total", {"postedAfter": iso(start - BOUNDARY), "postedBefore": iso(end)})
        if data is None:
            return None
        count = int(data["posts"]["totalCount"])
        if count == 0:
            state["high_water"] = iso(end)
            start, days, grew = end, min(days * 2, MAX_WINDOW_DAYS), False
            continue
        if count < MIN_WINDOW_POSTS and days < MAX_WINDOW_DAYS:
            days, grew = min(days * 2, MAX_WINDOW_DAYS), True
            continue
        if count > MAX_WINDOW_POSTS and days > MIN_WINDOW_DAYS and not grew:
            days = max(days / 2, MIN_WINDOW_DAYS)
            continue
        state["window_days"] = days
        return {"after": iso(start), "before": iso(end), "top": None, "resume_before": None, "expected": count}
    state["window_days"] = days
    window = {"after": iso(start), "before": None, "top": None, "resume_before": None}
    data = run.fetch("posts_total", whole_window(window))  # what the ledger expects of it (ledger.py)
    if data is None:
        return None
    return {**window, "expected": int(data["posts"]["totalCount"])}


def whole_window(window: dict[str, Any]) -> dict[str, Any]:
    """``postedAfter``/``postedBefore`` of all of ``window``, wherever its paging is."""
    return window_variables({**window, "resume_before": None})


def window_variables(window: dict[str, Any]) -> dict[str, Any]:
    """``postedAfter``/``postedBefore`` of what is left of ``window``."""
    after = ts(window["after"])
    assert after is not None
    resume = ts(window.get("resume_before"))
    before = resume + BOUNDARY if resume is not None else ts(window.get("before"))
    variables: dict[str, Any] = {"postedAfter": iso(after - BOUNDARY)}
    if before is not None:
        variables["postedBefore"] = iso(before)
    return variables


def note_page(window: dict[str, Any], times: list[datetime]) -> None:
    """Move the window's ``top``/``resume_before`` over a page of posts created at ``times``."""
    if not times:
        return
    top, low = ts(window.get("top")), ts(window.get("resume_before"))
    window["top"] = iso(max([t for t in (top, *times) if t is not None]))
    window["resume_before"] = iso(min([t for t in (low, *times) if t is not None]))


def close_window(state: dict[str, Any]) -> None:
    """The window is done: advance ``high_water`` past it."""
    window = state["window"]
    before, top, after = ts(window["before"]), ts(window.get("top")), ts(window["after"])
    assert after is not None
    state["high_water"] = iso(before if before is not None else max(after, top or after))
    state["window"] = None
