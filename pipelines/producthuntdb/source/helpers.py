"""What the resources share: the run they belong to, the paging helpers (one connection, or many per request), time helpers.

``HarvestRun`` is the bridge between dlt's extract and the budget: every request of every
resource goes through ``HarvestRun.fetch`` (the ``GraphQLClient`` and its governor below it),
which counts the pages of the current *chunk*. Resources stop at a safe point — between two
pages, after the position was saved in dlt state — when the chunk is full (``chunk_full``: its
pages, its age, or a spent rate window, when loading costs no harvest time),
and say ``finished`` when they reach their natural end. ``sync.py`` loads one chunk per
``pipeline.extract → normalize → load`` and starts the next with a fresh source, whose
resources resume from the state committed with the previous chunk's rows.

A run bound (``StopRun``) or an API failure does not raise through dlt's extract: ``fetch``
records it and answers ``None``, the resources end where they are, and the rows fetched so
far are loaded with their position before the run stops (or fails) — no point is wasted.
A failure inside ``optional(part)`` (the collections) is recorded in ``partial`` instead: that
part ends, the rest of the run goes on, and the run ends ``partial``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger

from producthuntdb.api.client import PAGE_CAP, GraphQLClient, GraphQLResult
from producthuntdb.api.governor import StopRun
from producthuntdb.api.queries import MEDIA_SUFFIX, load_query
from producthuntdb.errors import (
    GraphQLQueryError,
    ProductHuntDBError,
    QueryTooComplexError,
    TokenRejectedError,
)
from producthuntdb.source.guards import SLACK, PageGuard, StreamStuck, ignored, inspect_page
from producthuntdb.source.times import iso, ts

__all__ = ["CHUNK_PAGES", "HarvestRun", "Stats", "iso", "loaded_outside", "paginate", "paginate_aliased", "ts"]

WINDOW_END_POINTS = 100
"""Less than this left in a rate window: no page of posts fits any more (elastic pages go down to 4 posts)."""

DbQuery = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
"""``db_query(sql_template, params)``: reads the raw tables loaded so far; ``{posts}``-style
placeholders name raw tables, and a table not created yet reads as empty."""


@dataclass
class Stats:
    """Counters of one run (the progress bar and the run report)."""

    pages: int = 0
    post_pages: int = 0
    expected_post_pages: int | None = None
    posts_full: int = 0
    posts_refreshed: int = 0
    quarantined: int = 0
    """Posts set aside by this run (found bad, or retried and still bad): ``raw._quarantine``."""
    gaps: int = 0
    missing: int = 0
    """Windows this run closed with fewer posts than the API listed, and how many: ``raw._gaps``."""


CHUNK_PAGES = 400
"""Pages fetched between two loads, at most (``HarvestRun.chunk_full`` has the other bounds)."""


@dataclass
class HarvestRun:
    """One sync run as the resources see it; see the module docstring."""

    client: GraphQLClient
    db_query: DbQuery
    run_id: str
    observed_at: datetime
    """When the run started, on this machine's clock: what state timestamps (``topics_refreshed_at``)
    are compared with. Metric observations use ``api_now()`` instead."""
    lookback_hours: float
    refresh_hours: float
    with_: frozenset[str] = frozenset()
    full_refresh: bool = False
    since: datetime | None = None
    redacted_retry_days: float = 30.0
    """A user id ``user(id:)`` answered redacted (or not at all) is not asked again for this long."""
    sweep_share: float = 0.0
    """Share of the API's budget the sweep of older posts' counts may use (``sweep.py``); 0 is off."""
    chunk_pages: int = CHUNK_PAGES
    chunk_seconds: float = 60.0
    """Also load at least this often. Against the real budget the rate window ends a chunk first
    (about 19 posts pages); against a generous one pages bound it: every load costs dlt a fixed
    ~0.8 s, so 40-page chunks spent more than half of an unthrottled `medium` sync on loading."""
    on_page: Callable[[Stats], None] | None = None

    stats: Stats = field(default_factory=Stats)
    newest: datetime | None = None
    stop_reason: str | None = None
    error: ProductHuntDBError | None = None
    finished: set[str] = field(default_factory=set)
    fetched_posts: set[str] = field(default_factory=set)
    tried: set[tuple[str, str]] = field(default_factory=set)
    """(kind, id) already fetched this run: comments/votes of a post, a user — never twice."""
    state_reset: bool = False
    high_water_at_start: datetime | None = None
    record: Callable[..., dict[str, Any]] | None = None
    """Makes the run's ``_sync_runs`` row; it rides with the final chunk of a complete run."""
    recorded: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    met_users: set[str] = field(default_factory=set)
    viewer_id: str | None = None
    """The token's owner, once ``viewer`` answered: its row is flagged wherever it comes from."""
    topics_read: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Topics this run read (id → slug, postsCount): the membership scan may start before the
    chunk that carries them is loaded."""
    estimated: bool = False
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    """``raw._quarantine`` rows of this chunk (bad items set aside, retried ones), loaded with it."""
    quarantine_retried: bool = False
    partial: dict[str, str] = field(default_factory=dict)
    """Parts of the harvest that failed without failing the run (part → the error, one line)."""
    _optional: str | None = None
    tallies: dict[str, Any] = field(default_factory=dict)
    """The posts windows being paged: window start → ``ledger.Tally`` (ids received, unusable nodes)."""
    gaps: list[dict[str, Any]] = field(default_factory=list)
    """``raw._gaps`` rows of this chunk (windows short of the API's totals), loaded with it."""
    asked: int = PAGE_CAP
    """The page size (``$first``) of the last request: a page shorter than asked is doubtful (``guards.py``)."""
    _chunk_pages_used: int = 0
    _chunk_started: float = field(default_factory=time.monotonic)

    def post_query(self, name: str) -> str:
        """``posts_page``/``post``, or their variant with thumbnails and links under ``--with media``."""
        return f"{name}{MEDIA_SUFFIX}" if "media" in self.with_ else name

    def api_now(self) -> datetime:
        """Now on the API's clock (its ``Date`` header): the time of a metric observation, so that it
        lines up with the ``createdAt`` the same API reports (the machine's clock may be skewed)."""
        return self.client.server_clock.now()

    # -- chunks ---------------------------------------------------------------------------
    def new_chunk(self) -> None:
        self._chunk_pages_used = 0
        self._chunk_started = time.monotonic()

    @property
    def interrupted(self) -> bool:
        """The run must end: a bound was reached or the API failed."""
        return self.stop_reason is not None or self.error is not None

    def chunk_full(self) -> bool:
        """Time to load what this chunk fetched (or to stop for good)."""
        if self.interrupted:
            return True
        used = self._chunk_pages_used
        too_old = time.monotonic() - self._chunk_started >= self.chunk_seconds
        return used >= self.chunk_pages or (used > 0 and too_old) or (used >= 4 and self._window_spent())

    def _window_spent(self) -> bool:
        """The rate window's points are spent and its reset is a while away: loading now costs no
        harvest time, since the next request would only wait."""
        governor = self.client.governor
        room, reset = governor.room(), governor.seconds_to_reset()
        return room is not None and room < WINDOW_END_POINTS and reset is not None and reset > 2.0

    def complete(self, resources: set[str]) -> bool:
        """Every one of ``resources`` finished and nothing interrupted the run."""
        return not self.interrupted and self.finished.issuperset(resources)

    def finish(self, resource: str) -> None:
        self.finished.add(resource)

    @contextmanager
    def optional(self, part: str) -> Iterator[None]:
        """Requests whose failure ends ``part`` only: recorded in ``partial``, the run goes on."""
        self._optional = part
        try:
            yield
        finally:
            self._optional = None

    # -- requests -------------------------------------------------------------------------
    def fetch(
        self, name: str, variables: dict[str, Any] | None = None, *, query: str | None = None, elastic: bool = False
    ) -> dict[str, Any] | None:
        """The data of one request, or None when the run must stop (the reason is recorded).

        ``elastic``: a page of 20 items, or what fits in the window's last points.
        """
        result = self._request(name, variables, query=query, elastic=elastic, partial=False)
        return result.data if result is not None else None

    def fetch_partial(self, name: str, variables: dict[str, Any] | None = None) -> GraphQLResult | None:
        """Like ``fetch``, for a caller that can set bad items aside (``source/quarantine.py``):
        a partial answer comes back with its errors, and a GraphQL error without data (other
        than the complexity limit) raises ``GraphQLQueryError`` instead of ending the run."""
        return self._request(name, variables, query=None, elastic=False, partial=True)

    def _request(
        self, name: str, variables: dict[str, Any] | None, *, query: str | None, elastic: bool, partial: bool
    ) -> GraphQLResult | None:
        if self.interrupted:
            return None
        text = query or load_query(name)
        variables = dict(variables or {})
        try:
            if elastic:
                variables["first"] = self.client.fit_first(text, variables)
            variables = self.client.fitted(text, variables)  # the page size the complexity cap lets through
            self.asked = int(variables.get("first") or PAGE_CAP)
            result = (
                self.client.execute_partial(text, variables) if partial
                else GraphQLResult(self.client.execute(text, variables))
            )
        except StopRun as stop:
            self.stop_reason = stop.reason
            return None
        except GraphQLQueryError as exc:
            if partial and not isinstance(exc, QueryTooComplexError):
                self._count(name, variables)
                raise
            self.fail(exc)
            return None
        except ProductHuntDBError as exc:
            self.fail(exc)
            return None
        self._count(name, variables)
        return result

    def fail(self, exc: ProductHuntDBError) -> None:
        """The run fails with ``exc`` — or, inside ``optional(part)``, only that part does."""
        part = self._optional
        if part is None or isinstance(exc, TokenRejectedError):
            self.error = exc
            return
        self.partial[part] = " ".join(str(exc).split())[:300]
        logger.warning("{} could not be read ({}): the run goes on without them and ends partial; the next "
                       "sync tries again", part, self.partial[part])

    def _count(self, name: str, variables: dict[str, Any]) -> None:
        self.stats.pages += 1
        self._chunk_pages_used += 1
        logger.debug("page {} ({}) {}", self.stats.pages, name, variables)
        if self.on_page:
            self.on_page(self.stats)


def loaded_outside(run: HarvestRun, after: datetime, before: datetime) -> Callable[[list[str]], set[str]]:
    """``strays`` for the pagers, when nodes are ids only: the loaded posts among them created
    outside ``[after, before]`` by more than the pagers' slack — the server ignored the dates."""
    low, high = after - 2 * SLACK, before + 2 * SLACK

    def strays(ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = run.db_query(
            "SELECT id FROM {posts} WHERE id IN (SELECT unnest(?)) AND (created_at < ? OR created_at > ?)",
            (ids, low, high),
        )
        return {str(row[0]) for row in rows}

    return strays


def paginate(
    run: HarvestRun,
    name: str,
    variables: dict[str, Any],
    path: tuple[str, ...],
    *,
    cursor: str | None = None,
    first_page: dict[str, Any] | None = None,
    elastic: bool = False,
    fetch_page: Callable[[str | None], dict[str, Any] | None] | None = None,
    strays: Callable[[list[str]], set[str]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every page (Relay connection) of query ``name`` from ``cursor`` on — the pager of one
    connection (``paginate_aliased`` pages many at once; there is no other).

    ``path`` leads from the response's data to the connection (``("posts",)``,
    ``("post", "comments")``); ``first_page`` is a connection already in hand (a nested
    first page). Ends after the last page, when the object is gone (``post: null``), or
    early when the run must stop (``run.interrupted`` tells these apart). A caller saves
    ``pageInfo.endCursor`` in its state after handling a page, and may stop between pages.
    ``fetch_page(cursor)``: how to get the connection at ``cursor`` instead of ``run.fetch``
    (the posts pages narrow a failing page there, ``quarantine.py``); None ends the paging.
    Every page passes the stream's progress guard (``guards.py``): a page that cannot move the
    stream on is asked again, and a second one ends the run with one line (``run.error``);
    ``strays(ids)`` names the ids outside the requested dates when the nodes carry no ``createdAt``.
    """
    guard = PageGuard(name, strays)

    def get() -> dict[str, Any] | None:
        if fetch_page is not None:
            return fetch_page(cursor)
        data = run.fetch(name, {**variables, "cursor": cursor}, elastic=elastic)
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else None

    connection = first_page
    if connection is not None:
        guard.accept(connection)
    while True:
        if connection is None:
            try:
                connection = guard.checked(get, cursor, variables, lambda: run.asked)
            except StreamStuck as stuck:
                run.fail(stuck)
                return
            if connection is None:
                return
        yield connection
        info = connection["pageInfo"]
        if not info["hasNextPage"]:
            return
        cursor, connection = info["endCursor"], None


def paginate_aliased(
    run: HarvestRun,
    name: str,
    todo: list[list[Any]],
    plan: Callable[[list[list[Any]]], list[tuple[list[Any], dict[str, Any]]]],
    query: Callable[[int], str],
    variables: dict[str, Any],
    strays: Callable[[list[str]], set[str]] | None = None,
) -> Iterator[list[tuple[list[Any], list[dict[str, Any]]]]]:
    """Pages of several connections in each request — GraphQL aliases ``t0``, ``t1``, … of one
    query — until every connection in ``todo`` is done: the pager for many short connections
    (a topic's posts in a date range), where one request each would be hundreds of requests.

    ``todo`` is the caller's position, saved in its state: JSON-able lists whose last two items
    are the connection's cursor and how many nodes were read. ``plan(todo)`` picks the next
    request's entries, each with its own variables (suffixed with the alias number, as is
    ``cursor``); ``query(n)`` is the text for ``n`` aliases. Yields ``[(entry, nodes), …]`` per
    request, after moving each entry's cursor (a finished connection leaves ``todo``), so a
    caller that stops between pages resumes from ``todo``. Ends when ``todo`` is empty, or
    early when the chunk is full or the run must stop (``todo`` then still holds the rest).

    Each connection has its progress guard (``guards.py``): a stuck page leaves its entry where
    it was, so the next request asks it again, and a second stuck page in a row ends the run.
    ``strays(ids)``: the ids known to lie outside the requested dates, for nodes that do not
    carry their ``createdAt`` (a topic's post ids): such a page is stuck too (an ignored filter).
    """
    seen: dict[str, set[str]] = {}
    suspect: set[str] = set()
    while todo:
        if run.chunk_full():
            return
        batch = plan(todo)
        request = dict(variables)
        for i, (entry, own) in enumerate(batch):
            request.update({f"{key}{i}": value for key, value in own.items()})
            request[f"cursor{i}"] = entry[-2]
        data = run.fetch(name, request, query=query(len(batch)))
        if data is None:
            return
        pages: list[tuple[list[Any], list[dict[str, Any]]]] = []
        done: set[int] = set()
        answers = [data.get(f"t{i}") or {} for i in range(len(batch))]
        outside = strays([n["id"] for a in answers for n in a.get("nodes") or [] if n and n.get("id")]) if strays else set()
        for i, (entry, _) in enumerate(batch):
            connection = answers[i]
            key = repr(entry[:-2])
            stuck = inspect_page(connection, entry[-2], seen.setdefault(key, set()), variables, None).stuck
            stray = sum(1 for n in connection.get("nodes") or [] if n and n.get("id") in outside)
            if stray and stuck is None:
                stuck = ignored(stray)
            if stuck is not None:
                if key in suspect:
                    run.fail(StreamStuck(
                        f"{name} stopped for {entry[:-2]} after cursor {entry[-2]!r}: the API {stuck} twice; "
                        "nothing past it was fetched"
                    ))
                    return
                suspect.add(key)
                logger.info("{} for {}: the API {}: asking that page again", name, entry[:-2], stuck)
                continue
            suspect.discard(key)
            nodes = connection.get("nodes") or []
            seen[key].update(node["id"] for node in nodes if isinstance(node, dict) and node.get("id") is not None)
            pages.append((entry, nodes))
            info = connection.get("pageInfo") or {}
            if info.get("hasNextPage") and nodes:
                entry[-2], entry[-1] = info["endCursor"], entry[-1] + len(nodes)
            else:
                done.add(i)
        todo[: len(batch)] = [entry for i, (entry, _) in enumerate(batch) if i not in done]
        yield pages
