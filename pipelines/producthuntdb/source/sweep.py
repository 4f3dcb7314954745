"""The slow sweep: counts of posts older than the look-back, re-read a little every run.

The look-back (``recent_post_counts``) re-reads the counts of posts younger than 72 hours. Votes
and comments keep arriving after that, so without more a post keeps forever the counts it had
when it left the look-back. The sweep re-reads older posts with the same lean query
(``post_counts.graphql``: 85 points per 20 posts) and writes them like the look-back does (the
posts row and one ``post_metrics`` observation each), within ``sweep_share`` of the API's budget:

* **Credit.** Every second of the API's clock earns the sweep ``sweep_share`` of the points the
  API grants a second (the documented 6,250 per 15 minutes, times ``budget_share`` — not the limit
  a server announces: an unthrottled emulator's would make every run a full round); a run spends
  what was earned since the last one. The API's clock, not this machine's: the budget is the API's,
  and the emulator's clock is the one tests move. At most a day's credit is kept (a sync that ran
  weeks ago does not earn one run a month of budget) and never more than one cycle costs.
* **Order.** Oldest-refreshed first: the sweep walks the loaded posts by ``created_at``, from the
  oldest up to the look-back's lower bound, then starts over. Posts are loaded oldest first
  (the backfill's ascending windows) and, once the sweep has gone round, it is the sweep itself
  that last refreshed them, in this order; a post leaving the look-back is reached before its
  counts are older than one cycle.
* **Position.** ``sweep`` in the harvest state (dlt source state, committed with the rows it
  covers): ``after`` (the ``created_at`` the walk has passed), the credit and when it was
  earned, when the cycle began, how long the last full cycle took and the points a post cost.
  Each request asks for the next 19 loaded posts, read from ``raw.posts``: a window
  ``(after, t]`` that one page holds even where ``postedAfter`` turns out to be inclusive.

A cycle therefore takes ``posts × points a post ÷ (share × points a day)`` days —
:func:`cycle_days`, which ``status`` prints: every post's counts are at most that old, as long
as a sync runs at least daily.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from producthuntdb.api.complexity import query_cost
from producthuntdb.api.governor import DOCUMENTED_LIMIT, DOCUMENTED_WINDOW_SECONDS
from producthuntdb.api.queries import load_query
from producthuntdb.source.helpers import HarvestRun, iso, loaded_outside, paginate, ts
from producthuntdb.source.windows import BOUNDARY

RESOURCE = "post_sweep"
QUERY = "post_counts"
WINDOW_POSTS = 19
"""Loaded posts per request: one page of 20 holds them and the boundary post, should
``postedAfter`` include it (API_FACTS.md: inclusive on the real API, exclusive in the emulator)."""
MAX_CREDIT_DAYS = 1.0
DAY_SECONDS = 86_400.0

Rows = list[dict[str, Any]]


def points_per_post() -> float:
    """What re-reading one post's counts costs by our estimate: a page of ``post_counts`` a window."""
    return query_cost(load_query(QUERY)) / WINDOW_POSTS


def points_a_day(budget_share: float = 1.0) -> float:
    """The points the API grants an application a day, by its documentation."""
    return DOCUMENTED_LIMIT * (DAY_SECONDS / DOCUMENTED_WINDOW_SECONDS) * budget_share


def cycle_days(posts: int, sweep_share: float, price: float, daily_points: float) -> float | None:
    """Days one sweep of ``posts`` takes at ``sweep_share`` of ``daily_points``; None when off."""
    if sweep_share <= 0 or daily_points <= 0:
        return None
    return posts * price / (sweep_share * daily_points)


def new_sweep(now: datetime) -> dict[str, Any]:
    return {
        "after": None, "credit": 0.0, "credited_at": iso(now), "cycle_started_at": iso(now),
        "last_cycle_days": None, "points_per_post": None,
    }


def earn(sweep: dict[str, Any], now: datetime, rate: float, cycle_cost: float) -> float:
    """Add the credit earned since ``credited_at`` at ``rate`` points a second; returns the credit.

    Capped at a day's earnings and at what one cycle costs; a clock that went back earns nothing.
    """
    since = ts(sweep.get("credited_at"))
    elapsed = max(0.0, (now - since).total_seconds()) if since is not None else 0.0
    credit = float(sweep.get("credit") or 0.0) + elapsed * rate
    sweep["credit"] = min(credit, rate * MAX_CREDIT_DAYS * DAY_SECONDS, max(cycle_cost, 0.0))
    sweep["credited_at"] = iso(now)
    return float(sweep["credit"])


def sweep_pages(run: HarvestRun, state: dict[str, Any]) -> Iterator[Rows]:
    """Pages of ``{id, votesCount, commentsCount, featuredAt}`` of older posts, within the credit.

    Starts once the posts harvest, the look-back and the membership scan of the run are done (it
    is the least urgent reader of the budget); finishes when the credit is spent or a cycle
    completes (a post is read at most once a run), and leaves the rest to the next chunk when the
    chunk is full.
    """
    if RESOURCE in run.finished:
        return
    if run.sweep_share <= 0:
        run.finish(RESOURCE)
        return
    if not run.finished.issuperset({"post_pages", "recent_post_counts", "topic_links"}):
        return
    now = run.api_now()
    sweep = state.get("sweep")
    if sweep is None or run.newest is None or run.high_water_at_start is None:
        # nothing older than this run's own posts yet: credit is earned from now on
        state.setdefault("sweep", new_sweep(now))
        run.finish(RESOURCE)
        return
    top = min(run.newest - timedelta(hours=run.lookback_hours), run.high_water_at_start)
    governor = run.client.governor
    rate = run.sweep_share * points_a_day(governor.budget_share) / DAY_SECONDS
    page_price = run.client.price(load_query(QUERY), {"first": 20})
    credit = earn(sweep, now, rate, math.ceil(_older_posts(run, top) / WINDOW_POSTS) * page_price)
    while credit >= page_price:
        if run.chunk_full():
            return  # the next chunk goes on from ``after``
        after = ts(sweep.get("after"))
        window = _next_window(run, after, top)
        if not window:
            _cycle_done(sweep, now)
            break
        first, last = min(window.values()), max(window.values())
        low, high = after or first - BOUNDARY, last + BOUNDARY
        variables = {"postedAfter": iso(low), "postedBefore": iso(high)}
        spent_before, seen = governor.points, 0
        # counts carry no createdAt: loaded posts outside the dates tell an ignored filter (guards.py)
        strays = loaded_outside(run, low, high)
        for connection in paginate(run, QUERY, variables, ("posts",), elastic=True, strays=strays):
            nodes = connection["nodes"]
            seen += len(nodes)
            # only loaded posts (the API also lists posts this database does not hold), once a run
            page = [node for node in nodes if node.get("id") in window and node["id"] not in run.fetched_posts]
            run.stats.posts_refreshed += len(page)
            if page:
                yield page
        spent = governor.points - spent_before
        credit = sweep["credit"] = max(0.0, credit - spent)
        if run.interrupted:
            return  # the window is read again by the next run
        if seen:
            sweep["points_per_post"] = round(spent / seen, 3)
        sweep["after"] = iso(last)
    run.finish(RESOURCE)


def _older_posts(run: HarvestRun, top: datetime) -> int:
    rows = run.db_query("SELECT count(*) FROM {posts} WHERE created_at <= ?", (top,))
    return int(rows[0][0]) if rows else 0


def _next_window(run: HarvestRun, after: datetime | None, top: datetime) -> dict[str, datetime]:
    """The next ``WINDOW_POSTS`` loaded posts in ``(after, top]`` (and any others created in the
    same second as the last of them, which the window's end takes in): id → ``created_at``."""
    low = after if after is not None else datetime.fromtimestamp(0, top.tzinfo)
    rows = run.db_query(
        "SELECT id, created_at FROM {posts} WHERE created_at > ? AND created_at <= ("
        " SELECT max(created_at) FROM (SELECT created_at FROM {posts} WHERE created_at > ? AND created_at <= ?"
        f" ORDER BY created_at LIMIT {WINDOW_POSTS}) AS next_posts)",
        (low, low, top),
    )
    return {str(row[0]): moment for row in rows if (moment := _aware(row[1])) is not None}


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return ts(value.isoformat())
    return ts(str(value)) if value is not None else None


def _cycle_done(sweep: dict[str, Any], now: datetime) -> None:
    started = ts(sweep.get("cycle_started_at"))
    if started is not None:
        sweep["last_cycle_days"] = round((now - started).total_seconds() / DAY_SECONDS, 2)
    sweep["after"] = None
    sweep["cycle_started_at"] = iso(now)


def describe(posts: int | None, sweep_share: float, budget_share: float, saved: dict[str, Any] | None) -> str:
    """``status``'s line: how often every post's counts are re-read, from the history's size and the share."""
    if sweep_share <= 0:
        return "sweep: off (PRODUCTHUNT_SWEEP_SHARE=0): counts of posts older than the look-back are never re-read"
    price = float((saved or {}).get("points_per_post") or points_per_post())
    daily = points_a_day(budget_share)
    days = cycle_days(posts or 0, sweep_share, price, daily)
    text = (
        f"sweep: every post's counts re-read at least every {_days(days)} "
        f"({posts or 0:,} posts × {price:.2f} points, {sweep_share:.0%} of {daily:,.0f} points a day)"
    )
    last = (saved or {}).get("last_cycle_days")
    if last is not None:
        text += f"; the last full cycle took {_days(float(last))}"
    return text


def _days(days: float | None) -> str:
    if days is None:
        return "never"
    if days >= 10:
        return f"{math.ceil(days):,} days"
    return f"{days:.1f} days" if days >= 1 else f"{max(days, 0.01):.2f} days"
