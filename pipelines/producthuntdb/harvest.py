"""What one sync run fetches, in which order, and how its position is kept between runs.

Posts: ascending date windows, each paged newest-first
------------------------------------------------------
``posts(order: NEWEST)`` pages *descending* by ``created_at``. A run that stopped half-way
through ``(H, now]`` would have the newest part and a gap below it, and a naive
``max(created_at)`` cursor would skip that gap forever. So the harvest position is kept as

* ``high_water`` H — every post with ``floor < created_at <= H`` is loaded;
* ``window`` — the date range being harvested now: ``after`` (= H when it started),
  ``before`` (None for the open, newest window), ``top`` (newest ``created_at`` seen in
  it) and ``resume_before`` (oldest ``created_at`` fetched so far).

A window is paged descending; after every page ``resume_before`` moves down. A stopped run
resumes with ``postedBefore = resume_before`` (+1 s, so posts sharing that second are not
skipped; merge keys drop the overlap). H advances only when a window completes: to its
``before`` for a closed window, to its ``top`` for the open one. Windows are sized by cheap
``totalCount`` probes (``first: 0``, 2 points): empty stretches of history (a backfill from
2013 into a young world) are skipped for a few points and windows grow until they hold
enough posts that the last, partly empty page of each wastes little. ``postedAfter`` is
sent 1 s early for the same boundary reason.

The position lives in dlt *source state* (``STATE_KEY``), written inside the same extract as
the rows of the chunk it describes (see ``source.py``), so rows and position commit together.
This is plain resource state rather than ``dlt.sources.incremental``: the windowed,
descending, resumable cursor does not fit incremental's single ascending max value.

The rest of a run
-----------------
Topics and collections come from their own connections and only when older than
``topics_refresh_hours`` (topics also when posts link a topic the last refresh did not see);
their page cursor is saved too, so a refresh larger than ``--max-points`` completes over
several runs. Posts younger than the look-back (measured from the server's newest post,
i.e. the API's clock) that were loaded by earlier runs get a lean refresh of their counts
and ``featuredAt`` (85 points per 20): a post is often featured hours after it was first
fetched, and would otherwise stay "not featured" for good. Users: the viewer, plus — when
the API does not redact (ids other than ``"0"``) — every user id met in the raw tables and
not yet loaded, 20 per request.
Comments and votes (opt-in) are fetched for every post whose loaded rows fall short of its
counts, so a stopped run's posts are completed by the next one.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from loguru import logger

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.queries import batched_users_query, load_query
from producthuntdb.source import Batch

PRODUCT_HUNT_EPOCH = datetime(2013, 11, 24, tzinfo=UTC)
DEFAULT_WINDOW_DAYS = 30.0
MIN_WINDOW_POSTS = 400
MAX_WINDOW_POSTS = 4000
MAX_WINDOW_DAYS = 8 * 365.0
MIN_WINDOW_DAYS = 1 / 24
BOUNDARY = timedelta(seconds=1)
USERS_PER_REQUEST = 20
STATE_VERSION = 1

Rows = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def ts(value: str | None) -> datetime | None:
    """An API DateTime (ISO 8601) as an aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


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
    }


@dataclass
class HarvestPlan:
    """What this run should do beyond posts."""

    run_id: str
    observed_at: datetime
    lookback_hours: float
    refresh_hours: float
    with_: frozenset[str] = frozenset()
    chunk_pages: int = 40
    chunk_seconds: float = 300.0
    """Also load at least this often: against the real budget 40 pages take about 45 minutes."""


@dataclass
class Stats:
    pages: int = 0
    post_pages: int = 0
    expected_post_pages: int | None = None
    rows: dict[str, int] = field(default_factory=dict)
    posts_full: int = 0
    posts_refreshed: int = 0


class Harvester:
    """Runs one sync's fetching; rows go to a ``Batch`` flushed through ``flush`` every chunk.

    ``db_query(sql_template, params) -> list[tuple]`` reads the raw tables loaded so far
    (``{posts}``-style placeholders name raw tables; missing tables read as empty).
    """

    def __init__(
        self,
        client: GraphQLClient,
        state: dict[str, Any],
        plan: HarvestPlan,
        flush: Callable[[Batch], None],
        db_query: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]],
        on_page: Callable[[Stats], None] | None = None,
    ) -> None:
        self.client = client
        self.state = state
        self.plan = plan
        self._flush = flush
        self.db_query = db_query
        self.on_page = on_page
        self.batch = Batch()
        self.pages_in_chunk = 0
        self.last_flush = time.monotonic()
        self.stats = Stats()
        self.fetched_posts: set[str] = set()
        self.newest: datetime | None = None
        self.high_water_at_start = ts(state.get("high_water"))

    # -- plumbing ------------------------------------------------------------------------
    def emit(self, table: str, row: Rows) -> None:
        self.batch.add(table, row)
        self.stats.rows[table] = self.stats.rows.get(table, 0) + 1

    def fetch(self, name: str, variables: dict[str, Any] | None = None, query: str | None = None) -> dict[str, Any]:
        data = self.client.execute(query or load_query(name), variables)
        self.stats.pages += 1
        self.pages_in_chunk += 1
        logger.debug("page {} ({}) {}", self.stats.pages, name, variables or {})
        if self.on_page:
            self.on_page(self.stats)
        return data

    def fetch_page(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        """A page of an elastic query: 20 items, or what fits in the window's last points."""
        first = self.client.fit_first(load_query(name), variables)
        return self.fetch(name, {**variables, "first": first})

    def maybe_flush(self) -> None:
        """At a safe point (no half-read entity in the batch): load the chunk if it is full."""
        too_old = time.monotonic() - self.last_flush >= self.plan.chunk_seconds
        if self.pages_in_chunk >= self.plan.chunk_pages or (self.pages_in_chunk and too_old):
            self.flush()

    def flush(self, extra: Iterable[tuple[str, Rows]] = ()) -> None:
        for table, row in extra:
            self.emit(table, row)
        batch, self.batch = self.batch, Batch()
        batch.state = copy.deepcopy(self.state)
        self.pages_in_chunk = 0
        self._flush(batch)
        self.last_flush = time.monotonic()

    # -- the run ---------------------------------------------------------------------------
    def probe(self) -> datetime | None:
        """The server's newest post time (3 points); also proves the token before anything is written."""
        nodes = self.fetch("newest_post")["posts"]["nodes"]
        self.newest = ts(nodes[0]["createdAt"]) if nodes else None
        return self.newest

    def run(self) -> None:
        refreshed_topics = self._stale("topics_refreshed_at")
        if refreshed_topics:
            self.harvest_topics()
        self.harvest_posts()
        self.refresh_counts()
        if not refreshed_topics and self.unknown_topics():
            # a topic created since the last refresh: without it post_topics would point nowhere
            logger.info("posts link topics the last topics refresh did not see: refreshing topics")
            self.harvest_topics()
        if self._stale("collections_refreshed_at"):
            self.harvest_collections()
        if self.plan.with_ & {"comments", "votes"}:
            self.flush()  # the children step reads which posts lack rows from the loaded tables
            if "comments" in self.plan.with_:
                self.harvest_children("comments")
            if "votes" in self.plan.with_:
                self.harvest_children("votes")
        self.harvest_users()

    def _stale(self, key: str) -> bool:
        last = ts(self.state.get(key))
        return last is None or self.plan.observed_at - last >= timedelta(hours=self.plan.refresh_hours)

    # -- posts -----------------------------------------------------------------------------
    def harvest_posts(self) -> None:
        newest = self.newest
        if newest is None:
            return
        self.estimate_posts(newest)
        while True:
            window = self.state.get("window")
            if window is None:
                start = ts(self.state.get("high_water")) or ts(self.state["floor"])
                assert start is not None
                if start >= newest:
                    return
                window = self.plan_window(start, newest)
                if window is None:
                    return
                self.state["window"] = window
            self.page_window(window)
            before, top = ts(window["before"]), ts(window.get("top"))
            after = ts(window["after"])
            assert after is not None
            self.state["high_water"] = iso(before if before is not None else max(after, top or after))
            self.state["window"] = None
            logger.debug("posts window done; high water {}", self.state["high_water"])
            self.maybe_flush()

    def estimate_posts(self, newest: datetime) -> None:
        """How many posts this run has ahead (2 points a range), for the progress bar's ETA and the log."""
        start = ts(self.state.get("high_water")) or ts(self.state["floor"])
        if self.state.get("window") is None and (start is None or start >= newest):
            return
        total = 0
        for variables in remaining_ranges(self.state):
            total += int(self.fetch("posts_total", variables)["posts"]["totalCount"])
        self.stats.expected_post_pages = -(-total // 20)
        logger.info("about {} posts to harvest", total)

    def plan_window(self, start: datetime, newest: datetime) -> dict[str, Any] | None:
        days = float(self.state.get("window_days") or DEFAULT_WINDOW_DAYS)
        grew = False
        for _ in range(60):
            end = start + timedelta(days=days)
            if end >= newest:
                self.state["window_days"] = days
                return {"after": iso(start), "before": None, "top": None, "resume_before": None}
            total = self.fetch("posts_total", {"postedAfter": iso(start - BOUNDARY), "postedBefore": iso(end)})
            count = int(total["posts"]["totalCount"])
            if count == 0:
                self.state["high_water"] = iso(end)
                start, days, grew = end, min(days * 2, MAX_WINDOW_DAYS), False
                continue
            if count < MIN_WINDOW_POSTS and days < MAX_WINDOW_DAYS:
                days, grew = min(days * 2, MAX_WINDOW_DAYS), True
                continue
            if count > MAX_WINDOW_POSTS and days > MIN_WINDOW_DAYS and not grew:
                days = max(days / 2, MIN_WINDOW_DAYS)
                continue
            self.state["window_days"] = days
            return {"after": iso(start), "before": iso(end), "top": None, "resume_before": None}
        self.state["window_days"] = days
        return {"after": iso(start), "before": None, "top": None, "resume_before": None}

    def page_window(self, window: dict[str, Any]) -> None:
        after = ts(window["after"])
        assert after is not None
        resume = ts(window.get("resume_before"))
        before = resume + BOUNDARY if resume is not None else ts(window.get("before"))
        variables: dict[str, Any] = {"postedAfter": iso(after - BOUNDARY)}
        if before is not None:
            variables["postedBefore"] = iso(before)
        cursor: str | None = None
        while True:
            connection = self.fetch_page("posts_page", {**variables, "cursor": cursor})["posts"]
            self.stats.post_pages += 1
            times = [self.emit_post(node) for node in connection["nodes"]]
            if times:
                top, low = ts(window.get("top")), ts(window.get("resume_before"))
                window["top"] = iso(max([t for t in (top, *times) if t is not None]))
                window["resume_before"] = iso(min([t for t in (low, *times) if t is not None]))
            if not connection["pageInfo"]["hasNextPage"]:
                return
            cursor = connection["pageInfo"]["endCursor"]
            self.maybe_flush()

    def emit_post(self, node: dict[str, Any]) -> datetime:
        post_id = str(node["id"])
        created = ts(node["createdAt"])
        assert created is not None
        self.emit("posts", {
            "id": post_id,
            "name": node.get("name"),
            "tagline": node.get("tagline"),
            "description": node.get("description"),
            "slug": node.get("slug"),
            "url": node.get("url"),
            "website": node.get("website"),
            "votes_count": node.get("votesCount"),
            "comments_count": node.get("commentsCount"),
            "reviews_count": node.get("reviewsCount"),
            "reviews_rating": node.get("reviewsRating"),
            "created_at": created,
            "featured_at": ts(node.get("featuredAt")),
            "user_id": _id(node.get("userId")),
        })
        for position, topic in enumerate(node.get("topics", {}).get("nodes", [])):
            self.emit("post_topics", {"post_id": post_id, "topic_id": str(topic["id"]), "position": position})
        for position, maker in enumerate(node.get("makers", [])):
            self.emit("post_makers", {"post_id": post_id, "position": position, "maker_id": _id(maker["id"])})
        self.emit_metrics(post_id, node.get("votesCount"), node.get("commentsCount"))
        if post_id not in self.fetched_posts:
            self.fetched_posts.add(post_id)
            self.stats.posts_full += 1
        return created

    def emit_metrics(self, post_id: str, votes: Any, comments: Any) -> None:
        self.emit("post_metrics", {
            "post_id": post_id, "votes_count": votes, "comments_count": comments,
            "observed_at": self.plan.observed_at, "run_id": self.plan.run_id,
        })

    def refresh_counts(self) -> None:
        """Lean re-read of the counts (and ``featuredAt``) of young posts loaded by earlier runs."""
        high, newest = self.high_water_at_start, self.newest
        if high is None or newest is None or self.plan.lookback_hours <= 0:
            return
        low = newest - timedelta(hours=self.plan.lookback_hours)
        if high <= low:
            return
        variables = {"postedAfter": iso(low), "postedBefore": iso(high + BOUNDARY)}
        counts: dict[str, tuple[Any, Any, datetime | None]] = {}
        cursor: str | None = None
        while True:
            connection = self.fetch_page("post_counts", {**variables, "cursor": cursor})["posts"]
            for node in connection["nodes"]:
                if str(node["id"]) not in self.fetched_posts:
                    counts[str(node["id"])] = (node["votesCount"], node["commentsCount"], ts(node.get("featuredAt")))
            if not connection["pageInfo"]["hasNextPage"]:
                break
            cursor = connection["pageInfo"]["endCursor"]
        columns = [c for c in _POST_COLUMNS]
        known = self.db_query(
            f"SELECT {', '.join(columns)} FROM {{posts}} WHERE id IN (SELECT unnest(?))", (list(counts),)
        ) if counts else []
        for values in known:
            row = dict(zip(columns, values, strict=True))
            row["votes_count"], row["comments_count"], row["featured_at"] = counts[row["id"]]
            self.emit("posts", row)
        for post_id, (votes, comments, _) in counts.items():
            self.emit_metrics(post_id, votes, comments)
        self.stats.posts_refreshed += len(counts)
        self.maybe_flush()

    # -- topics, collections ----------------------------------------------------------------
    def harvest_topics(self) -> None:
        """All topics, a page at a time; the cursor is saved so a stopped refresh resumes."""
        while True:
            cursor = self.state.get("topics_cursor")
            connection = self.fetch("topics_page", {"cursor": cursor})["topics"]
            for node in connection["nodes"]:
                self.emit("topics", {
                    "id": str(node["id"]), "name": node.get("name"), "slug": node.get("slug"),
                    "description": node.get("description"), "followers_count": node.get("followersCount"),
                    "posts_count": node.get("postsCount"), "created_at": ts(node.get("createdAt")),
                    "url": node.get("url"),
                })
            if not connection["pageInfo"]["hasNextPage"]:
                break
            self.state["topics_cursor"] = connection["pageInfo"]["endCursor"]
            self.maybe_flush()
        self.state["topics_cursor"] = None
        self.state["topics_refreshed_at"] = iso(self.plan.observed_at)

    def unknown_topics(self) -> set[str]:
        """Topic ids linked to posts (loaded or in the batch) but absent from the topics loaded."""
        unknown = {row[0] for row in self.db_query(
            "SELECT DISTINCT topic_id FROM {post_topics} WHERE topic_id NOT IN (SELECT id FROM {topics})", ()
        )}
        linked = {row["topic_id"] for row in self.batch.rows.get("post_topics", ())}
        if linked:
            loaded = self.db_query("SELECT id FROM {topics} WHERE id IN (SELECT unnest(?))", (sorted(linked),))
            unknown |= linked - {row[0] for row in loaded}
        return unknown - {row["id"] for row in self.batch.rows.get("topics", ())}

    def harvest_collections(self) -> None:
        """All collections with their post ids; resumable by page like topics."""
        while True:
            cursor = self.state.get("collections_cursor")
            connection = self.fetch("collections_page", {"cursor": cursor})["collections"]
            for node in connection["nodes"]:
                collection_id = str(node["id"])
                self.emit("collections", {
                    "id": collection_id, "name": node.get("name"), "tagline": node.get("tagline"),
                    "description": node.get("description"), "url": node.get("url"),
                    "cover_image": node.get("coverImage"), "followers_count": node.get("followersCount"),
                    "created_at": ts(node.get("createdAt")), "featured_at": ts(node.get("featuredAt")),
                    "user_id": _id(node.get("userId")),
                })
                posts = node["posts"]
                while True:
                    for post in posts["nodes"]:
                        self.emit("collection_posts", {"collection_id": collection_id, "post_id": str(post["id"])})
                    if not posts["pageInfo"]["hasNextPage"]:
                        break
                    more = self.fetch("collection_posts", {"id": collection_id, "cursor": posts["pageInfo"]["endCursor"]})
                    posts = more["collection"]["posts"]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            self.state["collections_cursor"] = connection["pageInfo"]["endCursor"]
            self.maybe_flush()
        self.state["collections_cursor"] = None
        self.state["collections_refreshed_at"] = iso(self.plan.observed_at)

    # -- users ----------------------------------------------------------------------------
    def harvest_users(self) -> None:
        """The viewer, then every real (non-"0") user id in the raw tables not yet loaded."""
        viewer = self.fetch("viewer")["viewer"]
        if viewer and viewer.get("user"):
            self.emit_user(viewer["user"])
        missing = {row[0] for row in self.db_query(_MISSING_USERS_SQL, ())}
        in_batch: set[str] = set()
        for table, column in _USER_COLUMNS:
            in_batch.update(row[column] for row in self.batch.rows.get(table, ()) if row.get(column))
        batch_users = {row["id"] for row in self.batch.rows.get("users", ())}
        in_batch -= {"0"} | batch_users
        if in_batch:
            loaded = self.db_query("SELECT id FROM {users} WHERE id IN (SELECT unnest(?))", (sorted(in_batch),))
            missing |= in_batch - {row[0] for row in loaded}
        wanted = sorted(missing - batch_users)
        for start in range(0, len(wanted), USERS_PER_REQUEST):
            ids = wanted[start : start + USERS_PER_REQUEST]
            data = self.fetch("users", {f"id{i}": v for i, v in enumerate(ids)}, batched_users_query(len(ids)))
            for i in range(len(ids)):
                user = data.get(f"u{i}")
                if user:
                    self.emit_user(user)
            self.maybe_flush()

    def emit_user(self, user: dict[str, Any]) -> None:
        user_id = _id(user.get("id"))
        if user_id is None or user_id == "0":
            return  # a redacted user never becomes a row
        self.emit("users", {
            "id": user_id, "name": user.get("name"), "username": user.get("username"),
            "headline": user.get("headline"), "url": user.get("url"), "profile_image": user.get("profileImage"),
            "twitter_username": user.get("twitterUsername"), "website_url": user.get("websiteUrl"),
            "is_maker": user.get("isMaker"), "created_at": ts(user.get("createdAt")),
        })

    # -- comments and votes (opt-in) --------------------------------------------------------
    def harvest_children(self, kind: str) -> None:
        """Every comment (or vote) of each post whose loaded rows fall short of its count."""
        count_column = "comments_count" if kind == "comments" else "votes_count"
        sql = (
            f"SELECT p.id FROM {{posts}} p LEFT JOIN (SELECT post_id, count(*) AS n FROM {{{kind}}} GROUP BY 1) c"
            f" ON c.post_id = p.id WHERE p.{count_column} > coalesce(c.n, 0) ORDER BY p.created_at DESC"
        )
        for (post_id,) in self.db_query(sql, ()):
            self.harvest_children_of(kind, post_id)
            self.maybe_flush()

    def harvest_children_of(self, kind: str, post_id: str) -> None:
        name = "post_comments" if kind == "comments" else "post_votes"
        cursor: str | None = None
        while True:
            post = self.fetch(name, {"id": post_id, "cursor": cursor})["post"]
            if post is None:
                return
            connection = post[kind]
            for node in connection["nodes"]:
                if kind == "comments":
                    self.emit("comments", {
                        "id": str(node["id"]), "post_id": post_id, "parent_id": _id(node.get("parentId")),
                        "body": node.get("body"), "url": node.get("url"), "user_id": _id(node.get("userId")),
                        "votes_count": node.get("votesCount"), "created_at": ts(node.get("createdAt")),
                    })
                else:
                    self.emit("votes", {
                        "id": str(node["id"]), "post_id": post_id, "user_id": _id(node.get("userId")),
                        "created_at": ts(node.get("createdAt")),
                    })
            if not connection["pageInfo"]["hasNextPage"]:
                return
            cursor = connection["pageInfo"]["endCursor"]


_POST_COLUMNS = (
    "id", "name", "tagline", "description", "slug", "url", "website", "votes_count", "comments_count",
    "reviews_count", "reviews_rating", "created_at", "featured_at", "user_id",
)

_USER_COLUMNS = (
    ("posts", "user_id"), ("post_makers", "maker_id"), ("collections", "user_id"),
    ("comments", "user_id"), ("votes", "user_id"),
)

_MISSING_USERS_SQL = """
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


def _id(value: Any) -> str | None:
    return None if value is None else str(value)
