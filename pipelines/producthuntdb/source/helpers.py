"""What the resources share: the run they belong to, the paging helpers (one connection, or many per request), time helpers.

``HarvestRun`` is one harvest as the resources see it: its ``Fetcher`` (``fetcher.py``: every
request through the budget governor, why the run must stop), its options, and what it learned so
far (finished resources, ids already fetched, rows to load with the position). Resources stop at
a safe point — between two pages, after the position was saved in dlt state — when
``chunk_full()``, and say ``finished`` when they reach their natural end.

Without ``ChunkLimits`` a chunk is never full: one ``pipeline.run(producthunt(...))`` harvests
until done or stopped. ``sync.py`` sets limits (pages, age, a spent rate window) and loads one
chunk per ``pipeline.extract → normalize → load``, starting the next with a fresh source whose
resources resume from the state committed with the previous chunk's rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger

from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.api.queries import MEDIA_SUFFIX
from producthuntdb.source.fetcher import Fetcher, Stats
from producthuntdb.source.guards import SLACK, PageGuard, StreamStuck, ignored, inspect_page
from producthuntdb.source.times import iso, ts

__all__ = [
    "CHUNK_PAGES", "WITH_CHOICES", "ChunkLimits", "HarvestRun", "Stats", "iso", "loaded_outside", "paginate", "paginate_aliased", "ts",
]

WINDOW_END_POINTS = 100
"""Less than this left in a rate window: no page of posts fits any more (elastic pages go down to 4 posts)."""

DbQuery = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
"""``db_query(sql_template, params)``: reads the raw tables loaded so far; ``{posts}``-style
placeholders name raw tables, and a table not created yet reads as empty."""

WITH_CHOICES = frozenset({"comments", "votes", "media"})
"""What a run may add to the default harvest (``--with``, the source's ``with_``)."""

CHUNK_PAGES = 400
"""Pages fetched between two loads, at most (``ChunkLimits.full`` has the other bounds)."""


@dataclass
class ChunkLimits:
    """When ``sync``'s chunk loop loads what was fetched: after ``pages`` requests, after
    ``seconds`` of fetching, or when the rate window is spent (loading then costs no harvest time)."""

    pages: int = CHUNK_PAGES
    seconds: float = 60.0
    """Also load at least this often. Against the real budget the rate window ends a chunk first
    (about 19 posts pages); against a generous one pages bound it: every load costs dlt a fixed
    ~0.8 s, so 40-page chunks spent more than half of an unthrottled `medium` sync on loading."""
    _pages_at_start: int = 0
    _started: float = field(default_factory=time.monotonic)

    def start(self, pages_so_far: int) -> None:
        """A new chunk begins, the run having fetched ``pages_so_far`` pages."""
        self._pages_at_start = pages_so_far
        self._started = time.monotonic()

    def full(self, pages_so_far: int, governor: BudgetGovernor) -> bool:
        used = pages_so_far - self._pages_at_start
        too_old = time.monotonic() - self._started >= self.seconds
        return used >= self.pages or (used > 0 and too_old) or (used >= 4 and _window_spent(governor))


def _window_spent(governor: BudgetGovernor) -> bool:
    """The rate window's points are spent and its reset is a while away: loading now costs no
    harvest time, since the next request would only wait."""
    room, reset = governor.room(), governor.seconds_to_reset()
    return room is not None and room < WINDOW_END_POINTS and reset is not None and reset > 2.0


@dataclass(kw_only=True)
class HarvestRun(Fetcher):
    """One harvest as the resources see it; see the module docstring."""

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
    limits: ChunkLimits | None = None
    """``sync``'s chunk bounds; None: the source runs until done or stopped, in one load."""

    newest: datetime | None = None
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
    tallies: dict[str, Any] = field(default_factory=dict)
    """The posts windows being paged: window start → ``ledger.Tally`` (ids received, unusable nodes)."""
    gaps: list[dict[str, Any]] = field(default_factory=list)
    """``raw._gaps`` rows of this chunk (windows short of the API's totals), loaded with it."""
    written_counts: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    """Post id → (createdAt, comments, votes) as this run wrote them, when it reads comments or votes
    in one load (``steps.note_children``): they are completed before those counts are loaded."""

    def post_query(self, name: str) -> str:
        """``posts_page``/``post``, or their variant with thumbnails and links under ``--with media``."""
        return f"{name}{MEDIA_SUFFIX}" if "media" in self.with_ else name

    def find_newest(self) -> None:
        """When the newest post was created (``newest``: the harvest's upper end; None on an empty
        API): the run's first request, 3 points, which also proves the token."""
        data = self.fetch("newest_post")
        nodes = data["posts"]["nodes"] if data else []
        self.newest = ts(nodes[0]["createdAt"]) if nodes else None

    # -- chunks ---------------------------------------------------------------------------
    def new_chunk(self) -> None:
        if self.limits is not None:
            self.limits.start(self.stats.pages)

    def chunk_full(self) -> bool:
        """Time to load what this chunk fetched (or to stop for good)."""
        if self.interrupted:
            return True
        return self.limits is not None and self.limits.full(self.stats.pages, self.client.governor)

    def complete(self, resources: set[str]) -> bool:
        """Every one of ``resources`` finished and nothing interrupted the run."""
        return not self.interrupted and self.finished.issuperset(resources)

    def finish(self, resource: str) -> None:
        self.finished.add(resource)


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
