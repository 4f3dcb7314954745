"""Poison pages isolated, not fatal: bad posts are set aside in ``raw._quarantine``, the rest loads.

A broken record on the API fails every request that includes it: the whole posts page errors
(or comes back with the record ``null``), and a harvester that only retries stops on that page
on every run. ``posts_connection`` fetches one page of a window as ``paginate`` would; when
the page fails with a GraphQL error, or answers partially, it is narrowed (``api/narrow.py``:
halves, then the single post, with a cheap ``posts_ids`` listing to name each post) — the
good posts are kept, each bad one becomes a ``_quarantine`` row (entity, id, window, the cursor
to ask it again, error, first seen, attempts, last attempt), and the paging goes on after it.

A later run retries every quarantined post with ``post(id:)``, at most ``MAX_ATTEMPTS`` times
in all: a post that now resolves is loaded like any other and its row gets ``resolved_at``.
The rows ride with the chunk that found them (the ``_quarantine`` resource drains
``run.quarantine``), so they commit with the posts position they belong to.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from loguru import logger

from producthuntdb.api.client import PAGE_CAP
from producthuntdb.api.narrow import Page, Span, narrow_page
from producthuntdb.api.queries import load_query
from producthuntdb.errors import GraphQLQueryError
from producthuntdb.source.helpers import HarvestRun, ts
from producthuntdb.source.values import screen_post

ENTITY_POST = "post"
MAX_ATTEMPTS = 3
"""A quarantined item is tried this many times in all (the first failure included), then left."""
ERROR_CHARS = 500


class _Stopped(Exception):
    """The run must end (a bound or an API failure, recorded in the run) while narrowing."""


def posts_connection(
    run: HarvestRun, variables: dict[str, Any], cursor: str | None, page_size: int = PAGE_CAP
) -> dict[str, Any] | None:
    """The ``posts`` connection at ``cursor`` of a window — its bad posts narrowed out and
    quarantined — or None when the run must stop."""
    request = {**variables, "cursor": cursor}
    first = min(page_size, run.client.fit_first(load_query(run.post_query("posts_page")), request))  # what fits in the window's last points
    result = None
    for _ in range(2):  # a partial answer is asked once more: it may be a passing fault, not a record
        try:
            result = run.fetch_partial(run.post_query("posts_page"), {**request, "first": first})
        except GraphQLQueryError:
            return _narrowed(run, variables, cursor, first, None)
        if result is None or not result.errors:
            break
    if result is None:
        return None
    posts = result.data.get("posts")
    if not result.errors:
        return posts
    if posts is None:
        return _narrowed(run, variables, cursor, first, None)
    info = posts["pageInfo"]
    failed = Page(posts["nodes"], info["endCursor"], info["hasNextPage"], result.errors)
    return _narrowed(run, variables, cursor, first, failed)


def _narrowed(
    run: HarvestRun, variables: dict[str, Any], cursor: str | None, first: int,
    failed: Page[dict[str, Any]] | None,
) -> dict[str, Any] | None:
    """The page at ``cursor`` narrowed to its good posts; its bad ones quarantined."""
    def fetch(after: str | None, first: int) -> Page[dict[str, Any]]:
        result = run.fetch_partial(run.post_query("posts_page"), {**variables, "cursor": after, "first": first})
        if result is None:
            raise _Stopped
        posts = result.data.get("posts")
        if posts is None:
            raise GraphQLQueryError("; ".join(str(e.get("message", e)) for e in result.errors) or "no posts")
        info = posts["pageInfo"]
        return Page(posts["nodes"], info["endCursor"], info["hasNextPage"], result.errors)

    def identify(after: str | None, first: int) -> Span:
        data = run.fetch("posts_ids", {**variables, "cursor": after, "first": first})
        if data is None:
            raise _Stopped
        posts = data["posts"]
        return Span([(edge["cursor"], edge["node"]["id"]) for edge in posts["edges"]], posts["pageInfo"]["hasNextPage"])

    try:
        narrowed = narrow_page(fetch, identify, cursor, first, failed)
    except _Stopped:
        return None
    except GraphQLQueryError as exc:
        run.error = exc
        return None
    if narrowed.bad and not narrowed.items and len(narrowed.bad) > 1:
        # Every post of the page fails: the query is at fault, not a record.
        run.error = GraphQLQueryError(f"the API refused every post of a page: {narrowed.bad[0].error}")
        return None
    for bad in narrowed.bad:
        set_aside(run, bad.identity, variables, bad.after, bad.error, "could not be read")
    return {
        "nodes": narrowed.items, "pageInfo": {"hasNextPage": narrowed.has_next, "endCursor": narrowed.end_cursor},
        "set_aside": [bad.identity for bad in narrowed.bad],  # received, though not loadable (guards.py)
    }


def set_aside(run: HarvestRun, post_id: str, variables: dict[str, Any], cursor: str | None, error: str, what: str) -> None:
    """Quarantine one post of a page (its row rides with the chunk); one line in the log."""
    now = datetime.now(UTC)  # bookkeeping: the machine's clock, like the position's
    first_seen, attempts = _known(run, [post_id]).get(post_id, (now, 0))
    run.quarantine.append(_row(post_id, variables, cursor, error, first_seen, attempts + 1, now))
    run.stats.quarantined += 1
    logger.warning("post {} {} ({}): quarantined, the rest of its page is loaded", post_id, what, error)



def retry_quarantined(run: HarvestRun) -> Iterator[list[dict[str, Any]]]:
    """Pages (of one post) of quarantined posts that now resolve; every retry updates its row."""
    if run.quarantine_retried:
        return
    run.quarantine_retried = True
    rows = run.db_query(
        "SELECT id, window_after, window_before, after_cursor, first_seen, attempts FROM {_quarantine}"
        " WHERE entity = ? AND resolved_at IS NULL AND attempts < ? ORDER BY id",
        (ENTITY_POST, MAX_ATTEMPTS),
    )
    for post_id, after, before, cursor, first_seen, attempts in rows:
        if run.chunk_full():
            return
        node: dict[str, Any] | None = None
        try:
            result = run.fetch_partial(run.post_query("post"), {"id": post_id})
        except GraphQLQueryError as exc:
            error = str(exc)
        else:
            if result is None:
                return
            node = None if result.errors else result.data.get("post")
            error = "; ".join(str(e.get("message", e)) for e in result.errors) or "the post is gone"
            if node is not None:
                node, unstorable = screen_post(node, run.api_now())
                error = unstorable or error
        window = {"postedAfter": _iso(after), "postedBefore": _iso(before)}
        now = datetime.now(UTC)  # bookkeeping: the machine's clock, like the position's
        row = _row(post_id, window, cursor, "" if node else error, first_seen, int(attempts) + 1, now)
        if node is None:
            run.quarantine.append(row)
            run.stats.quarantined += 1
            logger.info("quarantined post {} still fails (attempt {} of {})", post_id, row["attempts"], MAX_ATTEMPTS)
            continue
        run.quarantine.append({**row, "resolved_at": now})
        logger.info("quarantined post {} now resolves: loaded", post_id)
        run.fetched_posts.add(post_id)
        yield [node]


def _known(run: HarvestRun, ids: list[str]) -> dict[str, tuple[datetime, int]]:
    """First seen and attempts of the posts already quarantined, from the loaded rows and this run's."""
    if not ids:
        return {}
    rows = run.db_query(
        "SELECT id, first_seen, attempts FROM {_quarantine} WHERE entity = ? AND id IN (SELECT unnest(?))",
        (ENTITY_POST, ids),
    )
    known = {str(post_id): (first_seen, int(attempts or 0)) for post_id, first_seen, attempts in rows}
    for row in run.quarantine:
        if row["id"] in ids:
            known[row["id"]] = (row["first_seen"], int(row["attempts"]))
    return known


def _row(
    post_id: str, window: dict[str, Any], cursor: str | None, error: str,
    first_seen: datetime, attempts: int, now: datetime,
) -> dict[str, Any]:
    return {
        "entity": ENTITY_POST, "id": post_id,
        "window_after": ts(window.get("postedAfter")), "window_before": ts(window.get("postedBefore")),
        "after_cursor": cursor, "error": error[:ERROR_CHARS], "first_seen": first_seen,
        "attempts": attempts, "last_attempt": now, "resolved_at": None,
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)
