"""The Query and Mutation root fields: lookups and the filtered, ordered root listings.

The harvester's hottest path is ``posts(order: NEWEST, postedAfter: ...)``: since post
index order is creation order, that listing is a bisect and a reversed ``range`` — no
array is built. Other orders and filters go through cached numpy listings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from graphql import GraphQLError

from producthuntdb.emulator.records import VIEWER
from producthuntdb.emulator.resolvers import (
    CollectionNode,
    CommentNode,
    Connection,
    Ctx,
    PostNode,
    RedactedUser,
    TopicNode,
    ViewerNode,
    _page_args,
    _time_arg,
    _viewer_follows_topic,
    post_node,
    user_node,
)

POST_ORDERS = ("RANKING", "NEWEST", "FEATURED_AT", "VOTES")


def _lookup(
    id: str | None,
    by_id: Callable[[str], int | None],
    name: str | None,
    by_name: Callable[[str], int | None],
    missing: str,
) -> int | None:
    """The index ``id`` names, else the one ``name`` (slug, username) names; an error when neither is given."""
    if id is not None:
        return by_id(id)
    if name is not None:
        return by_name(name)
    raise GraphQLError(missing)


class Root:
    """``root_value`` of every request: one per request, bound to that request's clock."""

    __slots__ = ("ctx",)

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ posts
    def posts(self, info: Any, **args: Any) -> Connection:
        ctx, world = self.ctx, self.ctx.world
        n = ctx.moment.posts
        order = args.get("order") or "RANKING"
        after = _time_arg(args.get("postedAfter"), "postedAfter")
        before = _time_arg(args.get("postedBefore"), "postedBefore")
        if ctx.ignore_dates:  # the server of 2022 that answered as if no dates were asked (API_FACTS.md)
            after = before = None
        created = world.created[:n]
        lo = 0 if after is None else int(np.searchsorted(created, after, side="right"))
        hi = n if before is None else max(lo, int(np.searchsorted(created, before, side="left")))
        featured, topic = args.get("featured"), args.get("topic")
        url, twitter = args.get("url"), args.get("twitterUrl")
        page = _page_args(args)
        make = self._post
        if order == "NEWEST" and featured is None and topic is None and url is None and twitter is None:
            return Connection(range(hi - 1, lo - 1, -1), page, make)

        def build() -> np.ndarray:
            keep = np.zeros(n, dtype=bool)
            keep[lo:hi] = True
            if featured is not None:
                keep &= ctx.moment.featured if featured else ~ctx.moment.featured
            if topic is not None:
                t = world.topic_index(slug=topic)
                tagged = np.zeros(n, dtype=bool)
                if t is not None:
                    upto = int(world.topic_ptr[n])
                    owners = np.repeat(np.arange(n), np.diff(world.topic_ptr[: n + 1]))
                    tagged[owners[world.topic_flat[:upto] == t]] = True
                keep &= tagged
            for value in (url, twitter):
                if value is not None:
                    matching = np.zeros(n, dtype=bool)
                    found = [i for i in world.posts_with_url(value) if i < n]
                    matching[found] = True
                    keep &= matching
            ordered = world.order(ctx.moment, order)
            return ordered[keep[ordered]].astype(np.int32)

        key = ("posts", ctx.now, order, lo, hi, featured, topic, url, twitter)
        return Connection(world.listing(key, build), page, make)

    def _post(self, i: Any) -> PostNode:
        return post_node(self.ctx, int(i))

    def post(self, info: Any, id: str | None = None, slug: str | None = None) -> PostNode | None:
        world = self.ctx.world
        i = _lookup(id, world.post_index, slug, world.slug_index, "post needs an id or a slug")
        return None if i is None or i >= self.ctx.moment.posts else post_node(self.ctx, i)

    # ------------------------------------------------------------------ topics
    def topics(self, info: Any, **args: Any) -> Connection:
        ctx, world = self.ctx, self.ctx.world
        order = args.get("order") or "NEWEST"
        query = (args.get("query") or "").strip().lower()
        follower = args.get("followedByUserid")

        def build() -> np.ndarray:
            ids = np.arange(world.n_topics)
            if order == "FOLLOWERS_COUNT":
                ordered = np.lexsort((-ids, -world.topic_followers))
            else:
                ordered = np.lexsort((-ids, -world.topic_created))
            keep = [
                int(t)
                for t in ordered
                if (
                    not query
                    or query in world.topic_static(int(t)).name.lower()
                    or query in world.topic_static(int(t)).slug
                )
                and (follower is None or self._follows(follower, int(t)))
            ]
            return np.array(keep, dtype=np.int64)

        listing = world.listing(("topics", order, query, follower), build)
        return Connection(listing, _page_args(args), lambda t: TopicNode(ctx, int(t)))

    def _follows(self, user: str, t: int) -> bool:
        world = self.ctx.world
        u = world.user_index(user)
        return u == VIEWER and _viewer_follows_topic(world, t)

    def topic(self, info: Any, id: str | None = None, slug: str | None = None) -> TopicNode | None:
        t = self.ctx.world.topic_index(id, slug)
        return None if t is None else TopicNode(self.ctx, t)

    # ------------------------------------------------------------------ collections
    def collections(self, info: Any, **args: Any) -> Connection:
        ctx, world = self.ctx, self.ctx.world
        order = args.get("order") or "FOLLOWERS_COUNT"
        featured, post_id, owner = args.get("featured"), args.get("postId"), args.get("userId")

        def build() -> np.ndarray:
            existing = ctx.moment.collections
            featured_now = world.coll_featured[existing] & (world.coll_featured_at[existing] <= ctx.now)
            keep = np.ones(len(existing), dtype=bool)
            if featured is not None:
                keep &= featured_now if featured else ~featured_now
            if post_id is not None:
                i = world.post_index(post_id)
                members: Any = (
                    world.related("collections", i) if i is not None and i < ctx.moment.posts else []
                )
                keep &= np.isin(existing, np.asarray(members, dtype=np.int64))
            if owner is not None:
                u = world.user_index(owner)
                keep &= world.coll_curator[existing] == (-1 if u is None else u)
            ids = existing
            if order == "NEWEST":
                ordered = np.lexsort((-ids, -world.coll_created[ids]))
            elif order == "FEATURED_AT":
                key = np.where(featured_now, world.coll_featured_at[ids], -1)
                ordered = np.lexsort((-ids, -world.coll_created[ids], -key))
            else:
                ordered = np.lexsort((-ids, -world.coll_followers[ids]))
            return existing[ordered[keep[ordered]]]

        key = ("collections", ctx.now, order, featured, post_id, owner)
        return Connection(world.listing(key, build), _page_args(args), lambda c: CollectionNode(ctx, int(c)))

    def collection(self, info: Any, id: str | None = None, slug: str | None = None) -> CollectionNode | None:
        c = self.ctx.world.collection_index(id, slug)
        if c is None or self.ctx.world.coll_created[c] > self.ctx.now:
            return None
        return CollectionNode(self.ctx, c)

    # ------------------------------------------------------------------ comment, users
    def comment(self, info: Any, id: str) -> CommentNode | None:
        location = self.ctx.world.comment_location(id)
        if location is None:
            return None
        i, k = location
        if i >= self.ctx.moment.posts or k >= self.ctx.moment.comments[i]:
            return None
        return CommentNode(self.ctx, i, k)

    def user(self, info: Any, id: str | None = None, username: str | None = None) -> Any:
        world = self.ctx.world
        u = _lookup(id, world.user_index, username, world.user_by_username, "user needs an id or a username")
        if u is not None and self.ctx.redacted_lookups and u != VIEWER:
            return RedactedUser(world.user_static(u).createdAt)
        return None if u is None else user_node(self.ctx, u)

    def viewer(self, info: Any) -> ViewerNode:
        return ViewerNode(self.ctx)

    # ------------------------------------------------------------------ mutations (no lasting effect)
    def userFollow(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        return self._follow_payload(input)

    def userFollowUndo(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        return self._follow_payload(input)

    def _follow_payload(self, data: dict[str, Any]) -> dict[str, Any]:
        u = self.ctx.world.user_index(data.get("userId", ""))
        errors = [] if u is not None else [{"field": "userId", "message": "User not found"}]
        return {
            "clientMutationId": data.get("clientMutationId"),
            "errors": errors,
            "node": None if u is None else user_node(self.ctx, u),
        }
