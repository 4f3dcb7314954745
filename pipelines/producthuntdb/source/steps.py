"""What the resources of ``source/__init__.py`` do beyond declaring themselves: complete comments
and votes, ask for users, screen and shape rows, count them for the report.

Each takes the ``HarvestRun`` it works for; none knows which dlt resource calls it, so
``__init__.py`` reads as the list of what is harvested and from where.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from producthuntdb.source.helpers import HarvestRun, iso, paginate, ts
from producthuntdb.source.membership import scan_due
from producthuntdb.source.quarantine import set_aside
from producthuntdb.source.values import screen_post
from producthuntdb.source.windows import remaining_ranges, start_of_next_window

Rows = list[dict[str, Any]]


def stale(run: HarvestRun, state: dict[str, Any], key: str) -> bool:
    """What the state's ``key`` stamps (a topics or collections refresh) is older than ``refresh_hours``."""
    last = ts(state.get(key))
    return last is None or run.observed_at - last >= timedelta(hours=run.refresh_hours)


def loadable(run: HarvestRun, nodes: Rows, variables: dict[str, Any]) -> Rows:
    """The nodes of a posts page that can be stored: a repairable value repaired (and flagged), a
    post with a value that cannot be stored quarantined with the reason (``values.py``)."""
    now, kept = run.api_now(), []
    for node in nodes:
        clean, why = screen_post(node, now)
        if clean is None:
            set_aside(run, node["id"], variables, None, why or "unstorable", "cannot be stored")
        else:
            kept.append(clean)
    return kept


def countable(node: dict[str, Any], now: datetime) -> bool:
    """Counts that can be stored; others are left as they are, with one line (``values.py``)."""
    clean, why = screen_post(node, now)
    if clean is None:
        logger.warning("the counts of post {} cannot be stored ({}): not refreshed", node["id"], why)
    return clean is not None


def metrics(run: HarvestRun, node: dict[str, Any], observed_at: datetime) -> dict[str, Any]:
    """One observation of a post's counts, timed on the API's clock (the clock of its ``createdAt``)."""
    return {
        "post_id": node["id"], "votes_count": node["votesCount"], "comments_count": node["commentsCount"],
        "observed_at": observed_at, "run_id": run.run_id,
    }


def estimate_posts(run: HarvestRun, state: dict[str, Any], newest: Any) -> None:
    """How many posts this run has ahead (2 points a range), for the progress bar's ETA and the log."""
    if state.get("window") is None and start_of_next_window(state) >= newest:
        return
    total = 0
    for variables in remaining_ranges(state):
        data = run.fetch("posts_total", variables)
        if data is None:
            return
        total += int(data["posts"]["totalCount"])
    run.stats.expected_post_pages = -(-total // 20)
    logger.info("about {} posts to harvest", total)


def children(run: HarvestRun, kind: str) -> Iterator[Rows]:
    """Every comment (or vote) of each post whose loaded rows fall short of its count, once a run."""
    if kind not in run.with_ or kind in run.finished:
        run.finish(kind)
        return
    count_column = "comments_count" if kind == "comments" else "votes_count"
    short = [row[0] for row in run.db_query(
        f"SELECT p.id FROM {{posts}} p LEFT JOIN (SELECT post_id, count(*) AS n FROM {{{kind}}} GROUP BY 1) c"
        f" ON c.post_id = p.id WHERE p.{count_column} > coalesce(c.n, 0) ORDER BY p.created_at DESC",
        (),
    )]
    query = "post_comments" if kind == "comments" else "post_votes"
    for post_id in short + _unloaded_short(run, kind, short):
        if (kind, post_id) in run.tried:
            continue
        if run.chunk_full():
            return
        for connection in paginate(run, query, {"id": post_id}, ("post", kind)):
            yield emit(run, kind, [{**node, "post_id": post_id} for node in connection["nodes"]])
        if run.interrupted:
            return
        run.tried.add((kind, post_id))
    run.finish(kind)


def note_children(run: HarvestRun, post_id: str, created_at: Any, comments: Any, votes: Any) -> None:
    """Remember the counts this run wrote for a post (fetched or refreshed), when it reads comments or
    votes in the same load: ``children`` then completes the post before these counts are loaded. A run
    with chunk limits (``sync``) loads the posts phase before the comments phase: nothing to remember."""
    if run.limits is None and run.with_ & {"comments", "votes"}:
        created = (iso(created_at) if isinstance(created_at, datetime) else None) or str(created_at or "")
        run.written_counts[post_id] = (created, int(comments or 0), int(votes or 0))


def _unloaded_short(run: HarvestRun, kind: str, short: list[str]) -> list[str]:
    """Posts whose counts this run wrote, not loaded yet, short of ``kind``, newest first: a run that
    loads once (plain dlt) completes them too."""
    listed = set(short)
    noted = {  # post id → (createdAt, its count of ``kind``)
        post_id: (created, count)
        for post_id, (created, comments, votes) in run.written_counts.items()
        if (count := comments if kind == "comments" else votes) > 0 and post_id not in listed
    }
    if not noted:
        return []
    have = {str(row[0]): int(row[1]) for row in run.db_query(
        f"SELECT post_id, count(*) FROM {{{kind}}} WHERE post_id IN (SELECT unnest(?)) GROUP BY 1", (sorted(noted),)
    )}
    todo = [post_id for post_id, (_, count) in noted.items() if count > have.get(post_id, 0)]
    return sorted(todo, key=lambda post_id: noted[post_id][0], reverse=True)


def real_users(run: HarvestRun, users: list[dict[str, Any] | None]) -> Rows:
    """A redacted user (id "0") never becomes a row; the token's owner is flagged ``is_viewer``
    (whichever query brought it), so the marts can keep the operator's own profile out."""
    return [
        {**user, "is_viewer": user["id"] == run.viewer_id}
        for user in users if user and user.get("id") not in (None, "0")
    ]


def redacted_users(run: HarvestRun, state: dict[str, Any]) -> dict[str, str]:
    """The ids answered redacted within ``redacted_retry_days`` (``{id: asked at}``, in the position);
    older entries are dropped, so those ids are asked again."""
    redacted: dict[str, str] = state.setdefault("redacted_users", {})
    horizon = run.observed_at - timedelta(days=run.redacted_retry_days)
    for user_id, asked in list(redacted.items()):
        when = ts(asked)
        if when is None or when <= horizon:
            del redacted[user_id]
    return redacted


def missing_topics(run: HarvestRun, state: dict[str, Any]) -> bool | None:
    """The API lists more topics than are loaded, when a membership scan is due (2 points; the
    scan asks only topics it knows, so a topic created since the last refresh would lose its
    links); None when the run must stop."""
    if not scan_due(state):
        return False
    data = run.fetch("topics_total")
    if data is None:
        return None
    loaded = run.db_query("SELECT count(*) FROM {topics}", ())
    return int(data["topics"]["totalCount"]) > int(loaded[0][0] if loaded else 0)


MET_USERS = {"posts": "userId", "post_makers": "maker_id", "collections": "userId", "comments": "userId", "votes": "userId"}


def emit(run: HarvestRun, table: str, rows: Rows) -> Rows:
    """Count ``rows`` for the run's report; note the user ids they mention (the users resource)."""
    run.rows[table] = run.rows.get(table, 0) + len(rows)
    column = MET_USERS.get(table)
    if column is not None:
        run.met_users.update(str(row[column]) for row in rows if row.get(column) is not None)
    return rows


MISSING_USERS_SQL = """
SELECT DISTINCT id FROM (
    SELECT user_id AS id FROM {posts}
    UNION ALL SELECT maker_id FROM {post_makers}
    UNION ALL SELECT user_id FROM {collections}
    UNION ALL SELECT user_id FROM {comments}
    UNION ALL SELECT user_id FROM {votes}
) AS met
WHERE id IS NOT NULL AND id <> '0' AND id NOT IN (SELECT id FROM {users})
ORDER BY id
"""
