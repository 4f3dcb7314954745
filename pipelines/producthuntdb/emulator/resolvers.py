"""Plain Python objects that graphql-core's default resolver walks: no per-field resolver table.

graphql-core's default resolver reads ``source.<field>`` and calls it with ``(info, **args)``
when it is callable. So a node is a small object whose static fields come straight from a
cached record (``__getattr__``), whose clock-dependent fields are properties, and whose
connection fields are methods. That keeps the per-field cost at one attribute lookup,
which is what makes 150+ pages/s possible.

Decisions worth knowing (documented in the README):
* ``Post.comments`` lists every comment of the post, replies included (each with its
  ``parentId``), so ``comments.totalCount == commentsCount``; ``Comment.replies`` lists the
  direct replies of one comment.
* Votes are listed oldest first; ``postedAfter``/``postedBefore`` and
  ``createdAfter``/``createdBefore`` are exclusive bounds.
* A redacted user keeps its real ``createdAt``; everything else is as ``API_FACTS.md`` says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from graphql import GraphQLError

from producthuntdb.emulator.clock import iso, parse_datetime
from producthuntdb.emulator.cursors import encode_cursor, page_window
from producthuntdb.emulator.records import (
    COMMENT_VOTE_ID_BASE,
    MAX_COMMENT_VOTES,
    USER_ID_BASE,
    VIEWER,
    Moment,
    arrival_offsets,
    mix,
    visible_count,
)
from producthuntdb.emulator.world import World

REDACTED = "[REDACTED]"
PAGE_ARGS = ("first", "after", "last", "before")


@dataclass(slots=True)
class Ctx:
    """What every node of one request needs: the world, the request's now, redaction."""

    world: World
    now: int
    moment: Moment
    redaction: bool
    poison: frozenset[int] = frozenset()
    """Indices of posts that fail to resolve (``--poison-posts``)."""
    redacted_lookups: bool = False
    """``user(id:)`` answers redacted (``EmulatorConfig.redacted_lookups``)."""
    bad_values: Mapping[int, str] = field(default_factory=dict)
    """Post index → the unstorable value it carries (``--bad-value-posts``, ``faults.BAD_VALUE_KINDS``)."""
    ignore_dates: bool = False
    """``posts`` ignores ``postedAfter``/``postedBefore`` (the ``ignore_dates`` fault)."""


class Connection:
    """A Relay connection over a positional sequence of raw items, made into nodes lazily."""

    __slots__ = ("_items", "_make", "_seq", "_window")

    def __init__(
        self, seq: Sequence[Any] | np.ndarray, args: dict[str, Any], make: Callable[[Any], Any]
    ) -> None:
        self._seq = seq
        self._window = page_window(len(seq), args)
        self._make = make
        self._items: list[Any] | None = None

    def _page(self) -> list[Any]:
        if self._items is None:
            seq, make = self._seq, self._make
            self._items = [make(seq[p]) for p in range(self._window.start, self._window.end)]
        return self._items

    @property
    def totalCount(self) -> int:
        return self._window.total

    @property
    def pageInfo(self) -> dict[str, Any]:
        w = self._window
        empty = w.end <= w.start
        return {
            "hasNextPage": w.has_next,
            "hasPreviousPage": w.has_previous,
            "startCursor": None if empty else encode_cursor(w.start),
            "endCursor": None if empty else encode_cursor(w.end - 1),
        }

    @property
    def nodes(self) -> list[Any]:
        return self._page()

    @property
    def edges(self) -> list[dict[str, Any]]:
        start = self._window.start
        return [{"cursor": encode_cursor(start + n), "node": node} for n, node in enumerate(self._page())]


def _page_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: args[k] for k in PAGE_ARGS if k in args}


def _time_arg(value: Any, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        raise GraphQLError(f"Argument '{name}' is not a valid ISO-8601 DateTime: {value!r}") from None


EMPTY: tuple[int, ...] = ()


# --------------------------------------------------------------------------- users
class RedactedUser:
    """Any user but the viewer, as the API serves them since March 2023."""

    __slots__ = ("createdAt",)
    id = "0"
    name = username = url = headline = REDACTED
    profileImage = coverImage = twitterUsername = websiteUrl = None
    isMaker = isFollowing = isViewer = False

    def __init__(self, created_at: str) -> None:
        self.createdAt = created_at

    def _empty(self, info: Any, **args: Any) -> Connection:
        return Connection(EMPTY, _page_args(args), lambda x: x)

    followers = following = madePosts = submittedPosts = votedPosts = followedCollections = _empty


class _RecordNode:
    """A node whose static fields come straight from its cached record ``s``."""

    __slots__ = ("ctx", "s")

    ctx: Ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s, name)


class _FeaturedNode(_RecordNode):
    """A record node with a ``featuredAt`` that stays null until the request's clock reaches it."""

    __slots__ = ()

    @property
    def featuredAt(self) -> str | None:
        at = self.s.featured_at
        return iso(at) if at is not None and at <= self.ctx.now else None


class UserNode(_RecordNode):
    """A user with real data: the viewer always, everyone when redaction is off."""

    __slots__ = ("u",)

    def __init__(self, ctx: Ctx, u: int) -> None:
        self.ctx, self.u, self.s = ctx, u, ctx.world.user_static(u)

    def profileImage(self, info: Any, size: int | None = None) -> str | None:
        image = self.s.profileImage
        return f"{image}?size={size}" if image and size else image

    def coverImage(self, info: Any, height: int | None = None, width: int | None = None) -> str | None:
        return _sized(self.s.coverImage, height, width)

    @property
    def isViewer(self) -> bool:
        return self.u == VIEWER

    @property
    def isFollowing(self) -> bool:
        return self.u != VIEWER and mix(self.ctx.world.seed, 7, self.u) % 11 == 0

    def _people(self, salt: int, args: dict[str, Any]) -> Connection:
        world = self.ctx.world
        count = mix(world.seed, salt, self.u) % 40
        step = 1 + mix(world.seed, salt + 1, self.u) % (world.n_users - 1)
        people = [(self.u + (k + 1) * step) % world.n_users for k in range(count)]
        people = [p for p in people if p != self.u]
        return Connection(people, _page_args(args), lambda p: user_node(self.ctx, p))

    def followers(self, info: Any, **args: Any) -> Connection:
        return self._people(20, args)

    def following(self, info: Any, **args: Any) -> Connection:
        return self._people(30, args)

    def _posts(self, indices: np.ndarray, args: dict[str, Any]) -> Connection:
        existing = indices[indices < self.ctx.moment.posts][::-1]
        return Connection(existing, _page_args(args), lambda i: post_node(self.ctx, int(i)))

    def madePosts(self, info: Any, **args: Any) -> Connection:
        return self._posts(self.ctx.world.related("makers", self.u), args)

    def submittedPosts(self, info: Any, **args: Any) -> Connection:
        return self._posts(self.ctx.world.related("hunter", self.u), args)

    def votedPosts(self, info: Any, **args: Any) -> Connection:
        ctx, world = self.ctx, self.ctx.world

        def build() -> np.ndarray:
            everything = np.arange(ctx.moment.posts)
            positions = world.user_vote_position(self.u, everything)
            return everything[positions < ctx.moment.votes]

        voted = world.listing(("voted", self.u, ctx.now), build)
        return self._posts(voted, args)

    def followedCollections(self, info: Any, **args: Any) -> Connection:
        existing = self.ctx.moment.collections
        followed = existing[_follows_collection(self.ctx.world.seed, self.u, existing)][::-1]
        return Connection(followed, _page_args(args), lambda c: CollectionNode(self.ctx, int(c)))


def _follows_collection(seed: int, user: int, collections: np.ndarray) -> np.ndarray:
    return ((collections * 2_654_435_761 + user * 40_503 + seed) % 1_000_003) % 9 == 0


def user_node(ctx: Ctx, u: int) -> UserNode | RedactedUser:
    if ctx.redaction and u != VIEWER:
        return RedactedUser(ctx.world.user_static(u).createdAt)
    return UserNode(ctx, u)


def user_id(ctx: Ctx, u: int) -> str:
    return "0" if ctx.redaction and u != VIEWER else str(USER_ID_BASE + u)


def _sized(url: str | None, height: int | None, width: int | None) -> str | None:
    if url is None or (height is None and width is None):
        return url
    params = "&".join(f"{k}={v}" for k, v in (("h", height), ("w", width)) if v is not None)
    return f"{url}?{params}"


# --------------------------------------------------------------------------- posts
class MediaNode:
    __slots__ = ("_url", "type", "videoUrl")

    def __init__(self, kind: str, url: str, video: str | None) -> None:
        self.type, self._url, self.videoUrl = kind, url, video

    def url(self, info: Any, height: int | None = None, width: int | None = None) -> str | None:
        return _sized(self._url, height, width)


class PostNode(_FeaturedNode):
    __slots__ = ("i",)

    def __init__(self, ctx: Ctx, i: int) -> None:
        self.ctx, self.i, self.s = ctx, i, ctx.world.post_static(i)

    @property
    def votesCount(self) -> int:
        return int(self.ctx.moment.votes[self.i])

    @property
    def commentsCount(self) -> int:
        return int(self.ctx.moment.comments[self.i])

    @property
    def userId(self) -> str:
        return user_id(self.ctx, int(self.ctx.world.hunter[self.i]))

    @property
    def user(self) -> UserNode | RedactedUser:
        return user_node(self.ctx, int(self.ctx.world.hunter[self.i]))

    @property
    def makers(self) -> list[UserNode | RedactedUser]:
        return [user_node(self.ctx, int(u)) for u in self.ctx.world.post_makers(self.i)]

    @property
    def media(self) -> list[MediaNode]:
        return [MediaNode(*m) for m in self.s.media]

    @property
    def thumbnail(self) -> MediaNode:
        return MediaNode(*self.s.media[0])

    @property
    def isVoted(self) -> bool:
        position = self.ctx.world.viewer_vote_position(np.array([self.i]))[0]
        return bool(position < self.ctx.moment.votes[self.i])

    @property
    def isCollected(self) -> bool:
        world = self.ctx.world
        return any(int(world.coll_curator[c]) == VIEWER for c in world.related("collections", self.i))

    def topics(self, info: Any, **args: Any) -> Connection:
        return Connection(
            self.ctx.world.post_topics(self.i), _page_args(args), lambda t: TopicNode(self.ctx, int(t))
        )

    def collections(self, info: Any, **args: Any) -> Connection:
        world, now = self.ctx.world, self.ctx.now
        found = [int(c) for c in world.related("collections", self.i) if world.coll_created[c] <= now]
        return Connection(found, _page_args(args), lambda c: CollectionNode(self.ctx, c))

    def comments(self, info: Any, order: str = "NEWEST", **args: Any) -> Connection:
        visible = int(self.ctx.moment.comments[self.i])
        ks = _order_comments(self.ctx, self.i, list(range(visible)), order)
        return Connection(ks, _page_args(args), lambda k: CommentNode(self.ctx, self.i, k))

    def votes(self, info: Any, **args: Any) -> Connection:
        ctx, i = self.ctx, self.i
        created = self.s.created
        final = int(ctx.world.final_votes[i])
        visible = int(ctx.moment.votes[i])
        lo, hi = _time_window(arrival_offsets(final)[:visible], created, args)
        world = ctx.world
        base = int(world.vote_base[i])
        offsets = arrival_offsets(final)

        def make(k: int) -> VoteNode:
            return VoteNode(ctx, base + k, created + int(offsets[k]), world.vote_user(i, k))

        return Connection(range(lo, hi), _page_args(args), make)


class PoisonedPost(PostNode):
    """A broken record: its id and dates resolve, its name does not, on every request.

    ``name`` is non-null, so graphql-core nulls the nearest nullable parent and reports the
    error with its path, as the real API does for a record it cannot serialize.
    """

    __slots__ = ()

    @property
    def name(self) -> str:
        raise GraphQLError(f"Internal error while resolving Post {self.s.id}: record could not be loaded")


BIG_COUNT_SENTINEL = 2_147_483_647
"""What a ``big_int`` post's ``commentsCount`` resolves to: GraphQL's ``Int`` is 32-bit, so the
value beyond 64 bits is swapped in by the server after serialization (``faults.BIG_INT``)."""
LONE_SURROGATE = "\ud800"


class BadValuePost(PostNode):
    """A post whose record holds a value no harvester can store, on every request: a lone
    surrogate in its name, a count beyond 64 bits, or a timestamp that is no timestamp."""

    __slots__ = ()

    @property
    def name(self) -> str:
        real = str(self.s.name)
        return real[:3] + LONE_SURROGATE + real[3:] if self._kind == "surrogate" else real

    @property
    def commentsCount(self) -> int:
        return BIG_COUNT_SENTINEL if self._kind == "big_int" else int(self.ctx.moment.comments[self.i])

    @property
    def createdAt(self) -> str:
        return "not-a-date" if self._kind == "bad_timestamp" else str(self.s.createdAt)

    @property
    def _kind(self) -> str:
        return self.ctx.bad_values[self.i]


def post_node(ctx: Ctx, i: int) -> PostNode:
    if i in ctx.poison:
        return PoisonedPost(ctx, i)
    return BadValuePost(ctx, i) if i in ctx.bad_values else PostNode(ctx, i)


def _time_window(offsets: np.ndarray, created: int, args: dict[str, Any]) -> tuple[int, int]:
    """Positions of items strictly between createdAfter and createdBefore (sorted offsets)."""
    lo, hi = 0, len(offsets)
    after = _time_arg(args.get("createdAfter"), "createdAfter")
    before = _time_arg(args.get("createdBefore"), "createdBefore")
    if after is not None:
        lo = int(np.searchsorted(offsets, after - created, side="right"))
    if before is not None:
        hi = max(lo, int(np.searchsorted(offsets, before - created, side="left")))
    return lo, hi


def _comment_created(world: World, i: int, k: int) -> int:
    """When comment ``k`` of post ``i`` is made (epoch seconds)."""
    return int(world.created[i]) + int(arrival_offsets(int(world.final_comments[i]))[k])


def _comment_votes_now(ctx: Ctx, i: int, k: int, final: int) -> int:
    return visible_count(final, ctx.now - _comment_created(ctx.world, i, k))


def _order_comments(ctx: Ctx, i: int, ks: list[int], order: str) -> list[int]:
    if order == "VOTES_COUNT":
        _, votes = ctx.world.comment_tree(i)
        return sorted(ks, key=lambda k: (-_comment_votes_now(ctx, i, k, int(votes[k])), -k))
    return ks[::-1]


class VoteNode:
    __slots__ = ("createdAt", "ctx", "id", "u")

    def __init__(self, ctx: Ctx, vote_id: int, created: int, u: int) -> None:
        self.ctx, self.id, self.createdAt, self.u = ctx, str(vote_id), iso(created), u

    @property
    def user(self) -> UserNode | RedactedUser:
        return user_node(self.ctx, self.u)

    @property
    def userId(self) -> str:
        return user_id(self.ctx, self.u)


class CommentNode:
    __slots__ = ("created", "ctx", "i", "k")

    def __init__(self, ctx: Ctx, i: int, k: int) -> None:
        self.ctx, self.i, self.k = ctx, i, k
        self.created = _comment_created(ctx.world, i, k)

    @property
    def id(self) -> str:
        return str(int(self.ctx.world.comment_base[self.i]) + self.k)

    @property
    def createdAt(self) -> str:
        return iso(self.created)

    @property
    def _parent(self) -> int:
        parents, _ = self.ctx.world.comment_tree(self.i)
        return int(parents[self.k])

    @property
    def parentId(self) -> str | None:
        p = self._parent
        return None if p < 0 else str(int(self.ctx.world.comment_base[self.i]) + p)

    @property
    def parent(self) -> CommentNode | None:
        p = self._parent
        return None if p < 0 else CommentNode(self.ctx, self.i, p)

    @property
    def body(self) -> str:
        return self.ctx.world.comment_body(self.i, self.k, self._parent >= 0)

    @property
    def url(self) -> str:
        return f"{self.ctx.world.post_static(self.i).url}?comment={self.id}"

    @property
    def _user(self) -> int:
        return self.ctx.world.comment_user(self.i, self.k)

    @property
    def user(self) -> UserNode | RedactedUser:
        return user_node(self.ctx, self._user)

    @property
    def userId(self) -> str:
        return user_id(self.ctx, self._user)

    @property
    def isVoted(self) -> bool:
        return False

    @property
    def _final_votes(self) -> int:
        _, votes = self.ctx.world.comment_tree(self.i)
        return int(votes[self.k])

    @property
    def votesCount(self) -> int:
        return visible_count(self._final_votes, self.ctx.now - self.created)

    def votes(self, info: Any, **args: Any) -> Connection:
        final = self._final_votes
        offsets = arrival_offsets(final)[: self.votesCount]
        lo, hi = _time_window(offsets, self.created, args)
        world, i, k = self.ctx.world, self.i, self.k
        base = COMMENT_VOTE_ID_BASE + int(world.comment_base[i] + k) * (MAX_COMMENT_VOTES + 1)
        users_step = 1 + mix(world.seed, 8, i, k) % (world.n_users - 1)
        first_user = mix(world.seed, 9, i, k) % world.n_users

        def make(v: int) -> VoteNode:
            u = (first_user + v * users_step) % world.n_users
            return VoteNode(self.ctx, base + v, self.created + int(offsets[v]), u)

        return Connection(range(lo, hi), _page_args(args), make)

    def replies(self, info: Any, order: str = "NEWEST", **args: Any) -> Connection:
        parents, _ = self.ctx.world.comment_tree(self.i)
        visible = int(self.ctx.moment.comments[self.i])
        ks = [j for j in range(self.k + 1, visible) if parents[j] == self.k]
        ks = _order_comments(self.ctx, self.i, ks, order)
        return Connection(ks, _page_args(args), lambda j: CommentNode(self.ctx, self.i, j))


# --------------------------------------------------------------------------- topics, collections
class TopicNode(_RecordNode):
    __slots__ = ("t",)

    def __init__(self, ctx: Ctx, t: int) -> None:
        self.ctx, self.t, self.s = ctx, t, ctx.world.topic_static(t)

    def image(self, info: Any, height: int | None = None, width: int | None = None) -> str | None:
        return _sized(self.s.image, height, width)

    @property
    def isFollowing(self) -> bool:
        return _viewer_follows_topic(self.ctx.world, self.t)

    @property
    def postsCount(self) -> int:
        return int(topic_post_counts(self.ctx)[self.t])


def _viewer_follows_topic(world: World, t: int) -> bool:
    return mix(world.seed, 6, t) % 6 == 0


def topic_post_counts(ctx: Ctx) -> np.ndarray:
    world, n = ctx.world, ctx.moment.posts
    return world.listing(
        ("topic_counts", ctx.now),
        lambda: np.bincount(world.topic_flat[: world.topic_ptr[n]], minlength=world.n_topics),
    )


class CollectionNode(_FeaturedNode):
    __slots__ = ("c",)

    def __init__(self, ctx: Ctx, c: int) -> None:
        self.ctx, self.c, self.s = ctx, c, ctx.world.collection_static(c)

    @property
    def isFollowing(self) -> bool:
        return bool(_follows_collection(self.ctx.world.seed, VIEWER, np.array([self.c]))[0])

    @property
    def user(self) -> UserNode | RedactedUser:
        return user_node(self.ctx, self.s.curator)

    @property
    def userId(self) -> str:
        return user_id(self.ctx, self.s.curator)

    def posts(self, info: Any, **args: Any) -> Connection:
        return Connection(
            self.ctx.world.collection_posts(self.c), _page_args(args), lambda i: post_node(self.ctx, int(i))
        )

    def topics(self, info: Any, **args: Any) -> Connection:
        world = self.ctx.world
        counts: dict[int, int] = {}
        for i in world.collection_posts(self.c):
            for t in world.post_topics(int(i)):
                counts[int(t)] = counts.get(int(t), 0) + 1
        ranked = sorted(counts, key=lambda t: (-counts[t], t))
        return Connection(ranked, _page_args(args), lambda t: TopicNode(self.ctx, t))


class ViewerNode:
    __slots__ = ("ctx",)

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    @property
    def user(self) -> UserNode:
        return UserNode(self.ctx, VIEWER)
