"""Topic membership (``raw.post_topics``) by topic, for the date range the harvest added.

Why by topic: a nested ``topics(first: 5) { nodes { id } }`` on every posts page cost 7 points
a post and cut posts with more than five topics short. Asking each topic for the ids of its
posts (``topic_posts.graphql``) costs ``5 + n`` points for a page of ``n`` links, about 1.25
points a link, and is complete. Two things keep it from costing ``topics × 25`` points:

* a *probe* first counts each topic's posts in the range (``topic_total.graphql``, 2 points,
  aliased 20 topics a request): topics without a post there are never paged, and every page
  asks for exactly what is left (the API charges the requested ``first``). The first scan of
  a whole history (no ``--since``) takes the counts from the topics' ``postsCount``, read by
  the same run after the posts: it counts every post of the topic, so it is the range's
  count, and the probe is saved. A count that falls short only costs pages of 20 until
  the API says the topic has no next page — the counts size pages, they never end the paging;
* the scan covers only the range the harvest added since the last scan — ``(links_through,
  high_water]`` — and there is no scan when a run added no posts.

A full ``small`` backfill pays about 3.6 points a post for membership (it paid 7 for five topics);
an incremental run pays the probe, ~2 points a topic (488 for 244 topics), plus ~6 points per
topic that gained posts: more than the nested topics cost for a handful of new posts, far less
than a scan that pages every topic (docs/ARCHITECTURE.md weighs the two).

The position is part of the harvest state (``source/windows.py``): ``links_through`` — links
are complete for posts created in ``(floor, links_through]`` — and, while a scan runs,
``links_scan``: its range, the topics not probed yet, the topics left to page with their
counts, and for each of those its page cursor and how many of its links were read. It changes
as rows are yielded, so it commits with them, and a stopped run resumes at the page it left.

Rows are (post_id, topic_id), merged on both (``contract.py``): a post's membership arrives a
topic at a time, so no load may replace a post's links wholesale. Only links to posts the
harvest loaded are kept (a quarantined post's links come with it when a retry reads it, with
its nested topics: ``post.graphql``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from producthuntdb.api.queries import batched_topic_posts_query, batched_topic_totals_query, load_query
from producthuntdb.source.helpers import HarvestRun, iso, loaded_outside, paginate_aliased, ts
from producthuntdb.source.windows import BOUNDARY, PRODUCT_HUNT_EPOCH

PROBES_PER_REQUEST = 20
PAGE_CAP = 20
MAX_ALIASES = 20
MAX_REQUEST_POINTS = 325
"""A request of topic pages costs at most a posts page: it paces like the rest of the harvest."""
Rows = list[dict[str, Any]]


def scan_due(state: dict[str, Any]) -> bool:
    """A scan is in progress, or the harvest moved past the links' position."""
    if state.get("links_scan") is not None:
        return True
    high = ts(state.get("high_water"))
    through = ts(state.get("links_through")) or ts(state.get("floor"))
    return high is not None and (through is None or high > through)


def topic_links(run: HarvestRun, state: dict[str, Any]) -> Iterator[Rows]:
    """The links of every topic in the range the harvest added; see the module docstring.

    A scan a stopped run left is finished first; if the harvest has moved on since, the next
    range is scanned in the same run."""
    while scan_due(state):
        scan = state.get("links_scan")
        if scan is None:
            scan = state["links_scan"] = _new_scan(run, state)
        done = yield from _scan(run, scan)
        if not done:
            return
        state["links_through"], state["links_scan"] = scan["before"], None
    run.finish("topic_links")


def _scan(run: HarvestRun, scan: dict[str, Any]) -> Generator[Rows, None, bool]:
    """Probe, then page every topic left in ``scan``; True when it is complete, False when the
    chunk (or the run) ended first — ``scan`` then says where to go on.

    Pages of several topics share a request (aliases, ``batched_topic_posts_query``): the same
    points, a few dozen requests instead of one per topic. Each alias is its own Relay connection
    with its own cursor: ``helpers.paginate_aliased`` pages them."""
    after, before = ts(scan["after"]), ts(scan["before"])
    assert after is not None and before is not None
    # 1 s either side, like the posts windows: an API that compares at whole seconds drops nothing
    span = {"postedAfter": iso(after - BOUNDARY), "postedBefore": iso(before + BOUNDARY)}
    if not _probe(run, scan, span):
        return False
    todo: list[list[Any]] = scan["todo"]  # [topic_id, slug, count, cursor, read]

    def plan(todo: list[list[Any]]) -> list[tuple[list[Any], dict[str, Any]]]:
        return [(entry, {"topic": entry[1], "first": first}) for entry, first in _batch(run, todo)]

    strays = loaded_outside(run, after, before)  # a topic's post ids carry no dates: the loaded ones tell
    for pages in paginate_aliased(run, "topics_posts", todo, plan, batched_topic_posts_query, span, strays):
        links = [(node["id"], entry[0]) for entry, nodes in pages for node in nodes]
        harvested = _harvested(run, sorted({post_id for post_id, _ in links}))
        rows = [{"post_id": post_id, "topic_id": topic_id} for post_id, topic_id in links if post_id in harvested]
        if rows:
            yield rows
    return not todo


def _batch(run: HarvestRun, todo: list[list[Any]]) -> list[tuple[list[Any], int]]:
    """The next topics to page in one request, each with its ``first``: what is left of its count
    (a count that fell short goes on by full pages), up to ``MAX_ALIASES`` topics and
    ``MAX_REQUEST_POINTS`` — or the rate window's last points, which would otherwise go unused."""
    room = run.client.governor.room()
    cap = MAX_REQUEST_POINTS if room is None else max(min(MAX_REQUEST_POINTS, room), 1)
    batch: list[tuple[list[Any], int]] = []
    points = 0
    for entry in todo[:MAX_ALIASES]:
        left = entry[2] - entry[4]
        first = min(PAGE_CAP, left) if left > 0 else PAGE_CAP
        price = run.client.price(load_query("topic_posts"), {"first": first})
        if batch and points + price > cap:
            break
        batch.append((entry, first))
        points += price
    return batch


def _new_scan(run: HarvestRun, state: dict[str, Any]) -> dict[str, Any]:
    """The scan of ``(links_through, high_water]``: every known topic to probe, or — the first
    scan of a whole history, right after this run read the topics — their ``postsCount``."""
    topics = {
        str(topic_id): (slug, int(count or 0))
        for topic_id, slug, count in run.db_query("SELECT id, slug, posts_count FROM {topics}", ())
    }
    topics.update(run.topics_read)  # read by this run, maybe not loaded yet
    through = ts(state.get("links_through"))
    floor = ts(state["floor"])
    assert floor is not None
    whole = through is None and floor <= PRODUCT_HUNT_EPOCH and state.get("topics_refreshed_at") == iso(run.observed_at)
    ordered = sorted(topics.items())
    return {
        "after": iso(through or floor), "before": state["high_water"],
        "unprobed": [] if whole else [[topic_id, slug] for topic_id, (slug, _) in ordered],
        "todo": [[topic_id, slug, count, None, 0] for topic_id, (slug, count) in ordered if count > 0] if whole else [],
    }


def _probe(run: HarvestRun, scan: dict[str, Any], variables: dict[str, Any]) -> bool:
    """Count each unprobed topic's posts in the range, 20 topics a request; False when the chunk
    (or the run) ends first. Topics with posts join ``todo`` with their count."""
    unprobed: list[list[str]] = scan["unprobed"]
    while unprobed:
        if run.chunk_full():
            return False
        batch = unprobed[:PROBES_PER_REQUEST]
        data = run.fetch(
            "topic_totals",
            {**variables, **{f"topic{i}": slug for i, (_, slug) in enumerate(batch)}},
            query=batched_topic_totals_query(len(batch)),
        )
        if data is None:
            return False
        for i, (topic_id, slug) in enumerate(batch):
            count = int((data.get(f"t{i}") or {}).get("totalCount") or 0)
            if count > 0:
                scan["todo"].append([topic_id, slug, count, None, 0])
        del unprobed[: len(batch)]
    return True


def _harvested(run: HarvestRun, ids: list[str]) -> set[str]:
    """The posts among ``ids`` that the harvest loaded (or fetched in this run)."""
    unknown = [post_id for post_id in ids if post_id not in run.fetched_posts]
    loaded: set[str] = set()
    if unknown:
        loaded = {row[0] for row in run.db_query("SELECT id FROM {posts} WHERE id IN (SELECT unnest(?))", (unknown,))}
    return {post_id for post_id in ids if post_id in run.fetched_posts or post_id in loaded}
