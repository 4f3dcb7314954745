"""What the launch report shows, read from the served marts: charts as data, the leaderboard, freshness.

Kept apart from the page (``report.py``) so the queries can be unit-tested on a small DuckDB file
without plotly or matplotlib. Queries run over one short read-only DuckDB connection (a BI tool
may hold the file too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb

from producthuntdb import warehouse
from producthuntdb.errors import StageError
from producthuntdb.settings import Settings

TOP_TOPICS = 8
TRAJECTORY_POSTS = 8
RECENT_DAYS = 3
"""Trajectories follow the most voted posts launched in the last few days of the data."""
LEADERS = 15


@dataclass
class Series:
    """One line or bar set: what the HTML and the PNG renderers both draw."""

    name: str
    x: list[Any]
    y: list[Any]


@dataclass
class Chart:
    """A chart as data: ``kind`` is ``bar``, ``hbar`` or ``line``; empty series mean "nothing to show"."""

    key: str
    title: str
    kind: str
    x_title: str
    y_title: str
    series: list[Series]
    note: str = ""
    empty_reason: str = ""
    """Why there is no chart (e.g. users are redacted); shown instead of an empty frame."""

    @property
    def empty(self) -> bool:
        return not any(s.x for s in self.series)


@dataclass
class ReportData:
    charts: list[Chart]
    leaderboard: list[tuple[Any, ...]]
    row_counts: dict[str, int]
    freshness: dict[str, Any]


# ----------------------------------------------------------------------------- queries
def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return con.execute(sql, params or []).fetchall()


def _launches(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    days = _rows(con, "select launch_date, launches, featured from marts.daily_launches order by launch_date")
    weekdays = _rows(
        con,
        """
        select strftime(launch_date, '%a') as weekday, isodow(launch_date) as dow, avg(launches)
        from marts.daily_launches group by all order by dow
        """,
    )
    return [
        Chart(
            "launches_per_day",
            "Launches per day",
            "bar",
            "launch day (Pacific time)",
            "posts",
            [
                Series("all launches", [r[0] for r in days], [r[1] for r in days]),
                Series("featured", [r[0] for r in days], [r[2] for r in days]),
            ],
        ),
        Chart(
            "weekday_pattern",
            "Average launches by weekday",
            "bar",
            "weekday",
            "posts per day",
            [Series("average launches", [r[0] for r in weekdays], [round(float(r[2]), 1) for r in weekdays])],
        ),
    ]


def _leaderboard(con: duckdb.DuckDBPyConnection) -> tuple[Chart, list[tuple[Any, ...]]]:
    """The last complete day's featured posts by votes (the newest day is still voting), and the
    top 3 of the seven complete days before it."""
    latest = con.execute(
        "select max(launch_date) from marts.leaderboard_daily where not is_partial_day"
    ).fetchone()
    day = latest[0] if latest else None
    top = _rows(
        con,
        "select name, votes_count from marts.leaderboard_daily where launch_date = ? "
        "order by vote_rank, post_id limit 10",
        [day],
    )
    table = _rows(
        con,
        """
        select launch_date, vote_rank, name, votes_count, comments_count
        from marts.leaderboard_daily
        where vote_rank <= 3 and not is_partial_day and launch_date > cast(? as date) - 7
        order by launch_date desc, vote_rank, post_id
        """,
        [day],
    )
    chart = Chart(
        "leaderboard",
        f"Daily leaderboard: featured posts of {day} by votes" if day else "Daily leaderboard",
        "hbar",
        "votes",
        "",
        [Series("votes", [r[1] for r in reversed(top)], [r[0] for r in reversed(top)])],
        note="The last complete launch day (Pacific time); ranked by votes, which the site's own order also weighs.",
        empty_reason="no launch day with featured posts is over yet",
    )
    return chart, table


def _grain(con: duckdb.DuckDBPyConnection) -> str:
    """Days for up to three weeks of data (a new harvest), weeks up to a year, then months."""
    row = con.execute("select max(launch_date) - min(launch_date) from marts.posts").fetchone()
    days = int(row[0]) if row and row[0] is not None else 0
    return "day" if days <= 21 else "week" if days <= 400 else "month"


def _topics(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    # From posts x post_topics rather than the monthly topic_trends mart, at a grain that suits
    # the span: a few weeks of data still draw lines, and years of it stay readable.
    grain = _grain(con)
    trends = _rows(
        con,
        f"""
        with tagged as (
            select pt.topic_id, coalesce(t.name, pt.topic_id) as topic,
                   cast(date_trunc('{grain}', p.launch_date) as date) as week
            from marts.post_topics pt
            join marts.posts p using (post_id)
            left join marts.topics t using (topic_id)
        ),
        top as (
            select topic_id from tagged group by topic_id order by count(*) desc, topic_id limit {TOP_TOPICS}
        )
        select topic_id, any_value(topic), week, count(*) from tagged
        where topic_id in (select topic_id from top)
        group by topic_id, week order by topic_id, week
        """,
    )
    lines: dict[str, Series] = {}
    for topic_id, name, week, posts in trends:
        lines.setdefault(topic_id, Series(str(name), [], [])).x.append(week)
        lines[topic_id].y.append(posts)
    top = sorted(lines, key=lambda t: (-sum(lines[t].y), t))
    rising = _rows(
        con,
        """
        with bounds as (select max(launch_date) as last_day from marts.posts),
        counted as (
            select coalesce(t.name, pt.topic_id) as topic,
                   count(*) filter (where p.launch_date > b.last_day - 7) as recent,
                   count(*) filter (where p.launch_date <= b.last_day - 7
                                    and p.launch_date > b.last_day - 14) as before
            from marts.post_topics pt
            join marts.posts p using (post_id)
            left join marts.topics t using (topic_id)
            cross join bounds b
            group by all
        )
        select topic, recent - before as growth from counted
        where recent > before order by growth desc, topic limit 10
        """,
    )
    return [
        Chart(
            "topic_trends",
            f"Top {TOP_TOPICS} topics: launches per {grain}",
            "line",
            grain,
            "posts",
            [lines[t] for t in top],
        ),
        Chart(
            "rising_topics",
            "Rising topics: launches in the last 7 days minus the 7 before",
            "hbar",
            "more launches than the 7 days before",
            "",
            [Series("growth", [r[1] for r in reversed(rising)], [r[0] for r in reversed(rising)])],
            empty_reason="no topic grew over the last 7 days",
        ),
    ]


def _trajectories(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    """The most voted recent launches, each metric drawn from ``post_trajectory`` (loaded votes or
    comments where the post has them, one point per sync otherwise); captions count what is drawn."""
    charts = []
    why = "no post of the last days has two points yet: run sync again later (or see the demo)"
    for metric in ("votes", "comments"):
        rows = _rows(
            con,
            f"""
            with recent as (
                select post_id, name, votes_count from marts.posts
                where launch_date > (select max(launch_date) from marts.posts) - {RECENT_DAYS}
            ),
            drawn as (
                select t.post_id from marts.post_trajectory t join recent using (post_id)
                where t.metric = ? group by t.post_id having count(*) >= 2
            ),
            chosen as (
                select recent.* from recent join drawn using (post_id)
                order by recent.votes_count desc, recent.post_id limit {TRAJECTORY_POSTS}
            )
            select c.post_id, c.name, t.hours_since_launch, t.cumulative_count, t.source
            from chosen c join marts.post_trajectory t using (post_id)
            where t.metric = ?
            order by c.votes_count desc, c.post_id, t.hours_since_launch
            """,
            [metric, metric],
        )
        lines: dict[str, Series] = {}
        sources: set[str] = set()
        for post_id, name, hours, count, source in rows:
            line = lines.setdefault(post_id, Series(str(name), [], []))
            line.x.append(int(hours))
            line.y.append(int(count))
            sources.add("history" if source == "history" else "rows")
        how = {
            frozenset({"rows"}): f"counted from the loaded {metric}",
            frozenset({"history"}): "one point per sync that observed the post",
        }.get(frozenset(sources), f"from the loaded {metric} where synced, else one point per sync")
        charts.append(
            Chart(
                f"{metric[:-1]}_trajectories",
                f"Launch trajectories: {metric} by hours since launch",
                "line",
                "hours since launch",
                metric,
                list(lines.values()),
                note=f"The {len(lines)} most voted post{'s' if len(lines) != 1 else ''} of the last "
                f"{RECENT_DAYS} launch days with two points or more, {how}.",
                empty_reason=why,
            )
        )
    return charts


def _leaders(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[tuple[str, int]]:
    """The users with the most posts in ``table.column``, counted by user id (display names are
    not unique: two makers of one name are two bars), labelled by name — with the id when the
    name is shared."""
    rows = _rows(
        con,
        f"""
        select t.{column} as user_id, max(coalesce(u.name, u.username)) as name, count(distinct t.post_id) as launches
        from marts.{table} t left join marts.users u on u.user_id = t.{column}
        where t.{column} is not null group by t.{column} order by launches desc, user_id limit {LEADERS}
        """,
    )
    names = [name for _, name, _ in rows]
    return [
        (f"{name} (#{user_id})" if name is None or names.count(name) > 1 else str(name), int(launches))
        for user_id, name, launches in rows
    ]


def people_charts(con: duckdb.DuckDBPyConnection) -> list[Chart]:
    """Makers and hunters with the most launches."""
    makers = _leaders(con, "post_makers", "maker_id")
    hunters = _leaders(con, "posts", "hunter_id")
    redacted = "users are redacted by the API since 2023 (the demo can show them: --redaction off)"
    return [
        Chart(
            "top_makers",
            "Makers with the most launches",
            "hbar",
            "posts made",
            "",
            [Series("launches", [r[1] for r in reversed(makers)], [r[0] for r in reversed(makers)])],
            note="Counted by user id; a name two makers share carries the id.",
            empty_reason=redacted,
        ),
        Chart(
            "top_hunters",
            "Hunters with the most launches",
            "hbar",
            "posts hunted",
            "",
            [Series("launches", [r[1] for r in reversed(hunters)], [r[0] for r in reversed(hunters)])],
            empty_reason=redacted,
        ),
    ]


def _comments(con: duckdb.DuckDBPyConnection, present: bool) -> Chart:
    rows: list[tuple[Any, ...]] = []
    if present:
        rows = _rows(
            con,
            "select cast(timezone('UTC', created_at) as date) as day, count(*) from marts.comments "
            "where created_at is not null group by all order by day",
        )
    return Chart(
        "comment_activity",
        "Comment activity: comments written per day",
        "bar",
        "day (UTC)",
        "comments",
        [Series("comments", [r[0] for r in rows], [r[1] for r in rows])],
        empty_reason="comments are not harvested: sync --with comments",
    )


def collect(settings: Settings) -> ReportData:
    """Every number the report shows: the charts from one read-only connection, the freshness
    panel from ``status`` (row counts, last sync, backfill position), the gate from its summary."""
    from producthuntdb.status import collect_status

    db = settings.served_path  # the gated marts readers see, never a half-built working file
    if not db.is_file():
        raise StageError(
            f"no served database at {db}: run `producthuntdb run` (or check, then serve) or `producthuntdb pull` "
            "first, or point at the demo's (--data-dir data/demo)"
        )
    con = warehouse.connect(db)
    try:
        marts = set(warehouse.table_columns(con))
        needed = {"posts", "daily_launches", "leaderboard_daily", "post_topics", "post_trajectory"}
        missing = sorted(needed - marts)
        if missing:
            raise StageError(f"{db} lacks marts {', '.join(missing)}: run build first")
        leaderboard_chart, leaderboard = _leaderboard(con)
        charts = [
            *_launches(con),
            leaderboard_chart,
            *_topics(con),
            *_trajectories(con),
            *people_charts(con),
            _comments(con, "comments" in marts),
        ]
        span = con.execute("select min(created_at), max(created_at) from marts.posts").fetchone() or (
            None,
            None,
        )
    finally:
        con.close()
    status = collect_status(settings, estimate=False)  # never the network: the report is offline
    freshness = {
        "oldest_post": span[0],
        "newest_post": span[1],
        "last_run": (status.get("last_runs") or [{}])[0],
        "backfill": status.get("backfill") or {},
        "gate": _gate_summary(settings),
    }
    return ReportData(charts, leaderboard, dict(status.get("tables", {}).get("marts", {})), freshness)


def _gate_summary(settings: Settings) -> dict[str, Any]:
    path = settings.data_dir / "quality" / "summary.json"
    try:
        summary = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: summary.get(k) for k in ("passed", "evaluated", "failures")}
