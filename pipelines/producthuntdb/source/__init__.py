"""The dlt source ``producthunt``: the Product Hunt GraphQL API v2 as raw tables.

Read top to bottom, the source says what is harvested and from where:

* ``post_pages`` (not loaded itself) pages posts in ascending date windows, newest-first
  inside each (``windows.py``); the transformers ``posts``, ``post_makers`` and
  ``post_metrics`` turn each page into rows; a page that fails on a broken post is
  narrowed and the bad post set aside in ``_quarantine`` (``quarantine.py``), which earlier
  quarantined posts are retried from first (a retried post brings its topics: ``retried_topics``);
* ``topic_links`` (→ ``post_topics``) then asks every topic for its posts in the date range
  the posts harvest added (``membership.py``): complete membership, about 1.25 points a link;
* ``recent_post_counts`` (not loaded) re-reads the counts and ``featuredAt`` of posts younger
  than the look-back that earlier runs loaded — 85 points per 20 posts — and
  ``refreshed_posts``/``refreshed_metrics`` write them; ``post_sweep`` then re-reads older posts,
  oldest-refreshed first, within a small share of the budget (``sweep.py``), written the same way;
* ``collection_nodes`` (→ ``collections``, ``collection_posts``) and ``topics`` are re-read
  only when older than ``topics_refresh_hours`` (topics also, before a membership scan, when
  the API lists more topics than are loaded — the scan can only ask topics it knows),
  resumable page by page; collections that cannot be read end the run ``partial``, not failed;
* ``comments`` and ``votes`` (opt-in) complete every post whose loaded rows fall short of
  its counts; ``users`` are the viewer plus, when the API does not redact, every user id
  met in the raw tables and not loaded yet, 20 per request.

Every position is dlt source state (key ``harvest``), changed by the resources as they yield
the rows it covers, so dlt commits it in the same load package as those rows: a load that
fails leaves both pending, a killed run loses both. What the API was seen to charge and refuse
(``api/prices.py``) is source state too (key ``prices``, written by ``_prices`` at the end of
every chunk): the next run prices its first request with it. Rows are the API's nodes; dlt's
``snake_case`` naming convention turns ``votesCount`` into ``votes_count`` and the column
hints of ``contract.py`` type them. Requests go through ``run.fetch`` (``fetcher.py``, the budget
governor beneath); ``run.chunk_full()`` ends a resource at a chunk boundary when ``sync`` set limits.

Two sources share these resources: ``producthunt(...)``, configured like a verified source and run
by plain dlt in one load (``plain.py``), and ``harvest(run)``, one chunk of ``sync``'s run.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import dlt
from dlt.common.exceptions import PipelineStateNotAvailable
from dlt.extract.resource import DltResource
from loguru import logger

from producthuntdb.api.client import PAGE_CAP
from producthuntdb.api.queries import batched_users_query
from producthuntdb.settings import DEFAULT_API_URL
from producthuntdb.source.contract import TABLES, post_row
from producthuntdb.source.helpers import DbQuery, HarvestRun, iso, loaded_outside, paginate, ts
from producthuntdb.source.ledger import REASK_PAGE_SIZE, close_or_reask, tally
from producthuntdb.source.membership import topic_links
from producthuntdb.source.plain import plain_run
from producthuntdb.source.quarantine import posts_connection, retry_quarantined
from producthuntdb.source.steps import (
    MISSING_USERS_SQL,
    Rows,
    children,
    countable,
    emit,
    estimate_posts,
    loadable,
    metrics,
    missing_topics,
    note_children,
    real_users,
    redacted_users,
    stale,
)
from producthuntdb.source.sweep import RESOURCE as SWEEP
from producthuntdb.source.sweep import sweep_pages
from producthuntdb.source.windows import (
    BOUNDARY,
    PRODUCT_HUNT_EPOCH,
    close_window,
    new_state,
    note_page,
    plan_window,
    start_of_next_window,
    window_variables,
)

SOURCE_NAME = "producthunt"
STATE_KEY = "harvest"
PRICES_KEY = "prices"
USERS_PER_REQUEST = 20

MAIN_PHASE = (
    ("topics", "post_pages", "topic_links", "recent_post_counts", SWEEP, "collection_nodes"),
    ("topics", "posts", "topic_links", "retried_topics", "post_makers", "post_links", "post_metrics", "_quarantine",
     "_gaps", "refreshed_posts", "refreshed_metrics", "swept_posts", "swept_metrics", "collections", "collection_posts"),
)
CHILDREN_PHASE = (("comments", "votes"), ("comments", "votes"))
USERS = ("users",)
PHASE_FETCHERS = {*MAIN_PHASE[0], *CHILDREN_PHASE[0], *USERS}


def phases(with_: frozenset[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The run's phases in order, each as (the resources that fetch and say when they are
    finished, the resources selected — transformers bring their parent). Comments and votes read
    which posts they complete from the loaded tables, so they wait for the posts phase; users
    come last, and the run's ``_sync_runs`` record rides with the final chunk."""
    record = ("_sync_runs",)
    prices = ("_prices",)
    if with_ & {"comments", "votes"}:
        return [(MAIN_PHASE[0], MAIN_PHASE[1] + prices),
                (CHILDREN_PHASE[0] + USERS, CHILDREN_PHASE[1] + USERS + record + prices)]
    return [(MAIN_PHASE[0] + USERS, MAIN_PHASE[1] + USERS + record + prices)]


def position(run: HarvestRun) -> dict[str, Any]:
    """The harvest position in dlt source state, started afresh when the run asks for it.

    A first run, ``--full-refresh`` or a ``--since`` earlier than the harvested range starts a
    new position (once per run); the change is committed with the first chunk's rows.
    """
    state = dlt.current.source_state()
    saved = state.get(STATE_KEY)
    if not run.state_reset:
        run.state_reset = True
        floor = ts(saved.get("floor")) if saved else None
        if saved is None or run.full_refresh or (run.since and floor and run.since < floor):
            state[STATE_KEY] = saved = new_state(run.since or PRODUCT_HUNT_EPOCH)
        run.high_water_at_start = ts(saved.get("high_water"))
    return state[STATE_KEY]


def read_position(pipeline_state: dict[str, Any]) -> dict[str, Any] | None:
    """The saved position in a pipeline's state (``status``, estimates); None before a first run."""
    saved = pipeline_state.get("sources", {}).get(SOURCE_NAME, {}).get(STATE_KEY)
    return dict(saved) if saved else None


def read_prices(pipeline_state: dict[str, Any]) -> dict[str, Any] | None:
    """The saved price book (``PriceBook.dump``) in a pipeline's state; None before a first run."""
    saved = pipeline_state.get("sources", {}).get(SOURCE_NAME, {}).get(PRICES_KEY)
    return dict(saved) if saved else None


@dlt.source(name=SOURCE_NAME, section=SOURCE_NAME, max_table_nesting=0, root_key=False)
def producthunt(
    token: str = dlt.secrets.value,
    api_url: str = DEFAULT_API_URL,
    with_: Sequence[str] = (),
    full_refresh: bool = False,
    since: datetime | None = None,
    db_query: DbQuery | None = None,
) -> Sequence[DltResource]:
    """The Product Hunt API v2 as raw tables: ``dlt.pipeline(...).run(producthunt())`` harvests what
    is new since the last run (everything, the first time) in one load, resuming a stopped run.

    ``token`` is ``[sources.producthunt] token`` in ``.dlt/secrets.toml`` (or
    ``SOURCES__PRODUCTHUNT__TOKEN``); ``with_`` adds ``comments``, ``votes`` or ``media``;
    ``full_refresh`` starts the position afresh, ``since`` from that date. Other options (look-back,
    budget share, timeouts) are ``Settings`` as for ``producthuntdb sync``, which drives the same
    resources chunk by chunk (``harvest``). ``db_query`` reads the raw tables loaded so far; the
    default reads the running pipeline's DuckDB dataset (``plain.py``). The first request (3 points)
    is made here, so a bad token fails at once.
    """
    # the resources run in the order given (membership after the topics list, ``resources``);
    # dlt's default interleaves them. Scoped to this source's config section.
    dlt.config[f"sources.{SOURCE_NAME}.extract.next_item_mode"] = "fifo"
    try:  # what earlier runs learned the API charges (read-only here; no pipeline yet: learned again)
        prices = dlt.current.source_state().get(PRICES_KEY)
    except PipelineStateNotAvailable:
        prices = None
    return resources(plain_run(token, api_url, with_, full_refresh, since, db_query, prices))


@dlt.source(name=SOURCE_NAME, max_table_nesting=0, root_key=False)
def harvest(run: HarvestRun) -> Sequence[DltResource]:
    """One chunk of ``sync``'s run: the same resources, bounded by ``run.limits`` (``sync.py``)."""
    return resources(run)


def resources(run: HarvestRun) -> Sequence[DltResource]:
    """The resources of the source for ``run``, in the order they are extracted; see the module docstring."""

    # -- posts ------------------------------------------------------------------------------
    @dlt.resource(selected=False)
    def post_pages() -> Iterator[Rows]:
        """Pages of post nodes, window by window, saving the position after each page."""
        state = position(run)
        newest = run.newest
        if "post_pages" in run.finished or newest is None:
            run.finish("post_pages")
            return
        if not run.estimated:
            run.estimated = True
            estimate_posts(run, state, newest)
        yield from retry_quarantined(run)
        while not run.chunk_full():
            if state.get("window") is None:
                start = start_of_next_window(state)
                if start >= newest:
                    break
                window = plan_window(run, state, start, newest)
                if window is None:
                    return
                state["window"] = window
            variables, cursor = window_variables(state["window"]), None
            paging = state["window"].get("paging")
            if paging and paging["run_id"] == run.run_id:  # the previous chunk of this run stopped here
                variables, cursor = paging["variables"], paging["cursor"]
            size = REASK_PAGE_SIZE if state["window"].get("reasked") else PAGE_CAP

            def fetch_page(at: str | None, window: dict[str, Any] = variables, size: int = size) -> dict[str, Any] | None:
                return posts_connection(run, window, at, size)  # a failing page is narrowed, its bad posts quarantined

            counted = tally(run, state["window"])
            for connection in paginate(run, run.post_query("posts_page"), variables, ("posts",), cursor=cursor, fetch_page=fetch_page):
                nodes = loadable(run, counted.take(connection["nodes"], connection.get("set_aside") or []), variables)
                info = connection["pageInfo"]
                # Within a run the next chunk goes on with the cursor; a later run resumes from
                # resume_before instead (a cursor is an offset: it could skip posts in between).
                state["window"]["paging"] = (
                    {"run_id": run.run_id, "variables": variables, "cursor": info["endCursor"]}
                    if info["hasNextPage"] else None
                )
                run.stats.post_pages += 1
                for node in nodes:
                    if node["id"] not in run.fetched_posts:
                        run.fetched_posts.add(node["id"])
                        run.stats.posts_full += 1
                note_page(state["window"], [t for t in (ts(n["createdAt"]) for n in nodes) if t is not None])
                yield nodes
                if info["hasNextPage"] and run.chunk_full():
                    return
            if run.interrupted or not close_or_reask(run, state["window"]):
                continue  # paged again from its top, or the run ends (chunk_full says which)
            close_window(state)
        if not run.interrupted and state.get("window") is None and start_of_next_window(state) >= newest:
            run.finish("post_pages")

    @dlt.transformer(name="posts", **TABLES["posts"].hints())
    def posts(page: Rows) -> Iterator[Rows]:
        for node in page:
            note_children(run, node["id"], node["createdAt"], node["commentsCount"], node["votesCount"])
        yield emit(run, "posts", [post_row(node) for node in page])

    @dlt.transformer(name="retried_topics", table_name="post_topics", **TABLES["post_topics"].hints())
    def retried_topics(page: Rows) -> Iterator[Rows]:
        """The topics a post read alone brings (``post.graphql``: a quarantined post that now
        resolves, whose range the membership scan passed while it could not be read)."""
        yield emit(run, "post_topics", [
            {"post_id": node["id"], "topic_id": topic["id"]}
            for node in page if "topics" in node
            for topic in node["topics"]["nodes"]
        ])

    @dlt.transformer(name="post_makers", **TABLES["post_makers"].hints())
    def post_makers(page: Rows) -> Iterator[Rows]:
        yield emit(run, "post_makers", [
            {"post_id": node["id"], "position": position, "maker_id": maker["id"]}
            for node in page
            for position, maker in enumerate(node["makers"])
        ])

    @dlt.transformer(name="post_links", **TABLES["post_links"].hints())
    def post_links(page: Rows) -> Iterator[Rows]:
        """The product's own links (``website`` is a producthunt.com redirect): its domain comes from these."""
        yield emit(run, "post_links", [
            {"post_id": node["id"], "position": position, **link}
            for node in page
            for position, link in enumerate(node.get("productLinks") or [])
        ])

    @dlt.transformer(name="post_metrics", **TABLES["post_metrics"].hints())
    def post_metrics(page: Rows) -> Iterator[Rows]:
        yield emit(run, "post_metrics", [metrics(run, node, run.api_now()) for node in page])

    @dlt.resource(name="_gaps", **TABLES["_gaps"].hints())
    def gaps() -> Iterator[Rows]:
        """The windows this chunk closed short of the API's totals (``ledger.py``), loaded with the position."""
        if run.gaps:
            rows, run.gaps = run.gaps, []
            yield rows

    @dlt.resource(name="_quarantine", **TABLES["_quarantine"].hints())
    def quarantine() -> Iterator[Rows]:
        """The posts this chunk set aside or retried (``quarantine.py``), loaded with the position."""
        if run.quarantine:
            rows, run.quarantine = run.quarantine, []
            yield rows

    # -- the look-back refresh of counts ---------------------------------------------------------
    @dlt.resource(selected=False)
    def recent_post_counts() -> Iterator[Rows]:
        """Counts and ``featuredAt`` of young posts loaded by earlier runs (not those fetched now)."""
        position(run)
        high, newest = run.high_water_at_start, run.newest
        if "recent_post_counts" in run.finished or high is None or newest is None or run.lookback_hours <= 0:
            run.finish("recent_post_counts")
            return
        low = newest - timedelta(hours=run.lookback_hours)
        if high > low:
            variables = {"postedAfter": iso(low), "postedBefore": iso(high + BOUNDARY)}
            now, strays = run.api_now(), loaded_outside(run, low, high + BOUNDARY)  # counts carry no createdAt
            for connection in paginate(run, "post_counts", variables, ("posts",), elastic=True, strays=strays):
                page = [
                    node for node in connection["nodes"]
                    if node.get("id") is not None and node["id"] not in run.fetched_posts and countable(node, now)
                ]
                run.stats.posts_refreshed += len(page)
                if page:
                    yield page
            if run.interrupted:
                return
        run.finish("recent_post_counts")

    @dlt.transformer(name="refreshed_posts", table_name="posts", **TABLES["posts"].hints())
    def refreshed_posts(page: Rows) -> Iterator[Rows]:
        """The loaded rows of these posts with the new counts (a merge replaces whole rows)."""
        counts = {node["id"]: node for node in page}
        columns = list(TABLES["posts"].types)
        loaded = run.db_query(
            f"SELECT {', '.join(columns)} FROM {{posts}} WHERE id IN (SELECT unnest(?))", (list(counts),)
        )
        rows = []
        for values in loaded:
            row = dict(zip(columns, values, strict=True))
            fresh = counts[row["id"]]
            row.update(
                votes_count=fresh["votesCount"], comments_count=fresh["commentsCount"],
                featured_at=ts(fresh.get("featuredAt")),
            )
            rows.append(row)
            note_children(run, row["id"], row["created_at"], row["comments_count"], row["votes_count"])
        yield emit(run, "posts", rows)

    @dlt.transformer(name="refreshed_metrics", table_name="post_metrics", **TABLES["post_metrics"].hints())
    def refreshed_metrics(page: Rows) -> Iterator[Rows]:
        yield emit(run, "post_metrics", [metrics(run, node, run.api_now()) for node in page])

    @dlt.resource(name=SWEEP, selected=False)
    def post_sweep() -> Iterator[Rows]:
        """Counts of older posts, a small share of the budget a run (``sweep.py``); counts that
        cannot be stored are left as they are, as the look-back does."""
        now = run.api_now()
        for page in sweep_pages(run, position(run)):
            if kept := [node for node in page if countable(node, now)]:
                yield kept

    # -- topic membership ---------------------------------------------------------------------
    @dlt.resource(name="topic_links", table_name="post_topics", **TABLES["post_topics"].hints())
    def links() -> Iterator[Rows]:
        """Membership by topic over the range the posts harvest added (``membership.py``);
        starts once the posts and the topic list are done."""
        state = position(run)
        if "topic_links" in run.finished or not run.finished.issuperset({"post_pages", "topics"}):
            return
        for rows in topic_links(run, state):
            yield emit(run, "post_topics", rows)

    # -- topics and collections ---------------------------------------------------------------
    @dlt.resource(name="topics", **TABLES["topics"].hints())
    def topics() -> Iterator[Rows]:
        """All topics when stale, or when a membership scan is due and the API lists topics
        not loaded; resumable by page. Runs once the posts are done (they move the range the
        scan covers)."""
        state = position(run)
        if "topics" in run.finished or "post_pages" not in run.finished or run.chunk_full():
            return
        cursor = state.get("topics_cursor")
        if cursor is None and not stale(run, state, "topics_refreshed_at"):
            missing = missing_topics(run, state)
            if missing is None:
                return
            if not missing:
                run.finish("topics")
                return
            logger.info("the API lists topics the last topics refresh did not see: refreshing topics")
        for connection in paginate(run, "topics_page", {}, ("topics",), cursor=cursor):
            run.topics_read.update({node["id"]: (node["slug"], int(node["postsCount"] or 0)) for node in connection["nodes"]})
            yield emit(run, "topics", connection["nodes"])
            info = connection["pageInfo"]
            if info["hasNextPage"]:
                state["topics_cursor"] = info["endCursor"]
                if run.chunk_full():
                    return
        if run.interrupted:
            return
        state["topics_cursor"] = None
        state["topics_refreshed_at"] = iso(run.observed_at)
        run.finish("topics")

    @dlt.resource(selected=False)
    def collection_nodes() -> Iterator[Rows]:
        """Collections with every post id (further pages of a collection's posts fetched here).
        A failure here ends the collections only: the run goes on and ends ``partial``."""
        state = position(run)
        if "collection_nodes" in run.finished or not stale(run, state, "collections_refreshed_at"):
            run.finish("collection_nodes")
            return
        if run.chunk_full():
            return
        with run.optional("collections"):
            done = yield from _collection_pages(run, state)
        if "collections" in run.partial:
            run.finish("collection_nodes")
        if not done:
            return
        state["collections_cursor"] = None
        state["collections_refreshed_at"] = iso(run.observed_at)
        run.finish("collection_nodes")

    @dlt.transformer(name="collections", **TABLES["collections"].hints())
    def collections(page: Rows) -> Iterator[Rows]:
        yield emit(run, "collections", [{k: v for k, v in node.items() if k != "post_ids"} for node in page])

    @dlt.transformer(name="collection_posts", **TABLES["collection_posts"].hints())
    def collection_posts(page: Rows) -> Iterator[Rows]:
        yield emit(run, "collection_posts", [
            {"collection_id": node["id"], "post_id": post_id} for node in page for post_id in node["post_ids"]
        ])

    # -- comments and votes (opt-in) -----------------------------------------------------------
    @dlt.resource(name="comments", **TABLES["comments"].hints())
    def comments() -> Iterator[Rows]:
        yield from children(run, "comments")

    @dlt.resource(name="votes", **TABLES["votes"].hints())
    def votes() -> Iterator[Rows]:
        yield from children(run, "votes")

    # -- users ------------------------------------------------------------------------------
    @dlt.resource(name="users", **TABLES["users"].hints())
    def users() -> Iterator[Rows]:
        """The viewer, then every real (non-"0") user id in the raw tables not loaded yet.

        An id the API answers redacted (or null) is remembered in the position with when it was
        asked, and not asked again for ``redacted_retry_days``: 11 points each, on every run."""
        if "users" in run.finished:
            return
        redacted = redacted_users(run, position(run))
        if ("user", "viewer") not in run.tried:
            data = run.fetch("viewer")
            if data is None:
                return
            run.tried.add(("user", "viewer"))
            run.viewer_id = ((data.get("viewer") or {}).get("user") or {}).get("id")
            yield emit(run, "users", real_users(run, [(data.get("viewer") or {}).get("user")]))
        missing = {row[0] for row in run.db_query(MISSING_USERS_SQL, ())}
        met = sorted(run.met_users - {"0"})
        if met:  # met in rows of this run that are not loaded yet
            loaded = run.db_query("SELECT id FROM {users} WHERE id IN (SELECT unnest(?))", (met,))
            missing |= set(met) - {row[0] for row in loaded}
        wanted = sorted(user_id for user_id in missing if ("user", user_id) not in run.tried and user_id not in redacted)
        for start in range(0, len(wanted), USERS_PER_REQUEST):
            if run.chunk_full():
                return
            ids = wanted[start : start + USERS_PER_REQUEST]
            data = run.fetch("users", {f"id{i}": v for i, v in enumerate(ids)}, query=batched_users_query(len(ids)))
            if data is None:
                return
            run.tried.update(("user", user_id) for user_id in ids)
            answers = [data.get(f"u{i}") for i in range(len(ids))]
            for user_id, answer in zip(ids, answers, strict=True):
                if not real_users(run, [answer]):
                    redacted[user_id] = run.observed_at.isoformat()
            yield emit(run, "users", real_users(run, answers))
        run.finish("users")

    # -- the run's own record, loaded last ----------------------------------------------------------
    @dlt.resource(name="_sync_runs", **TABLES["_sync_runs"].hints())
    def sync_runs() -> Iterator[Rows]:
        if run.record is not None and run.complete(PHASE_FETCHERS) and not run.recorded:
            run.recorded = True
            yield [run.record(position(run))]

    @dlt.resource(name="_prices", selected=True)
    def prices() -> Iterator[Rows]:
        """No rows: what the API charged and refused so far, into the state this chunk commits."""
        dlt.current.source_state()[PRICES_KEY] = run.client.governor.prices.dump()
        yield from ()

    pages, counts, collected = post_pages(), recent_post_counts(), collection_nodes()
    swept = post_sweep()
    # dlt extracts these in order: the big requests that cannot shrink (a collections page) go
    # first, while a window is fresh, and the elastic ones (posts pages, membership batches) fill
    # windows to their last points; membership follows the topics in the chunk they finish, and
    # the sweep of older counts, the least urgent, comes last
    return (
        collected, collected | collections, collected | collection_posts,
        pages, pages | posts, pages | retried_topics, pages | post_makers, pages | post_links, pages | post_metrics,
        quarantine(), gaps(),
        counts, counts | refreshed_posts, counts | refreshed_metrics,
        topics(), links(),
        swept, swept | refreshed_posts.with_name("swept_posts"), swept | refreshed_metrics.with_name("swept_metrics"),
        comments(), votes(),
        users(),
        sync_runs(),
        prices(),
    )


@dlt.source(name=SOURCE_NAME, max_table_nesting=0, root_key=False)
def price_book(book: dict[str, Any]) -> Sequence[DltResource]:
    """No rows: a price book (``doctor --calibrate``'s) into the harvest state, for the next run."""

    @dlt.resource(name="_prices")
    def prices() -> Iterator[Rows]:
        dlt.current.source_state()[PRICES_KEY] = book
        yield from ()

    return (prices(),)


def _collection_pages(run: HarvestRun, state: dict[str, Any]) -> Generator[Rows, None, bool]:
    """Pages of collections from the saved cursor, each with all its post ids; True when the last
    page was read (False: the chunk ended, the run stopped or the collections failed)."""
    for connection in paginate(run, "collections_page", {}, ("collections",), cursor=state.get("collections_cursor")):
        page = []
        for node in connection["nodes"]:
            post_ids: list[str] = []
            for posts_page in paginate(
                run, "collection_posts", {"id": node["id"]}, ("collection", "posts"), first_page=node["posts"]
            ):
                post_ids.extend(post["id"] for post in posts_page["nodes"])
            if run.interrupted or "collections" in run.partial:
                return False  # this page of collections is read again by the next run
            page.append({**{k: v for k, v in node.items() if k != "posts"}, "post_ids": post_ids})
        yield page
        info = connection["pageInfo"]
        if info["hasNextPage"]:
            state["collections_cursor"] = info["endCursor"]
            if run.chunk_full():
                return False
    return not run.interrupted and "collections" not in run.partial
