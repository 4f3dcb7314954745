"""A deterministic synthetic Product Hunt, generated from (seed, scale, initial now).

Why columns: a ``large`` world has ~500,000 posts and ~50 million votes. Per-post facts
live in numpy arrays (built in a few seconds, a few hundred MB at most); everything bulky
(names, media, comments, votes) is derived on demand from (seed, post index) with a
counter-based hash, so it is never materialised and always identical.

Time: every post has a unique ``created_at`` (whole seconds, strictly increasing with the
post index, so post index order *is* creation order). Posts are generated ``FUTURE_DAYS``
past the initial now, so advancing the clock reveals new ones. A post's final votes and
comments arrive along one saturating curve over ``GROWTH_SECONDS`` (7 days): item ``k`` of
``n`` arrives at a fixed offset, so the items visible at any moment are exactly the first
``count(now)`` — ``votes.totalCount == votesCount`` always holds.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np

import producthuntdb.emulator.names as names
from producthuntdb.emulator.clock import iso, to_epoch
from producthuntdb.emulator.records import (
    COMMENT_ID_BASE,
    DAY,
    FUTURE_DAYS,
    GROWTH_SECONDS,
    LARGE_START,
    MAX_COMMENT_VOTES,
    POST_ID_BASE,
    SCALE_SPECS,
    USER_ID_BASE,
    VIEWER,
    VOTE_ID_BASE,
    VOTER_STEPS,
    WEBSITE_TRACKING,
    WIDE_TOPIC_SHARE,
    CollectionStatic,
    Moment,
    PostStatic,
    TopicStatic,
    UserStatic,
    dedupe_rows,
    launch_times,
    mix,
    slugify,
    visible_count,
)


class World:
    """The generated world; read-only after construction except for small caches."""

    def __init__(self, seed: int, scale: str, now: datetime) -> None:
        self.seed = seed
        self.scale = scale
        self.spec = spec = SCALE_SPECS[scale]
        self.initial_now = to_epoch(now)
        rng = np.random.default_rng([seed, 20131124, len(scale)])
        start = (
            to_epoch(LARGE_START)
            if spec.history_days is None
            else self.initial_now - int(spec.history_days * DAY)
        )
        self.start = start
        rate = spec.posts / ((self.initial_now - start) / DAY)
        future = round(rate * FUTURE_DAYS)
        history = launch_times(rng, spec.posts, start, self.initial_now - 1)
        ahead = launch_times(rng, future, self.initial_now + 1, self.initial_now + FUTURE_DAYS * DAY)
        self.created = np.concatenate([history, ahead])
        n = self.n_posts = len(self.created)
        if n > len(names.PREFIXES) * len(names.SUFFIXES) * len(names.EXTRAS):
            raise ValueError("world too large for the product-name space")
        self.id_gap = rng.integers(0, 3, n).astype(np.int64)
        self.post_ids = POST_ID_BASE + 3 * np.arange(n, dtype=np.int64) + self.id_gap
        self.is_featured = rng.random(n) < 0.5
        delay = rng.integers(5 * 60, 30 * 3600, n)
        next_day_end = (self.created // DAY + 2) * DAY - 1
        self.featured_at = np.minimum(self.created + delay, next_day_end)
        boost = np.where(self.is_featured, 1.6, 0.55)
        votes = np.floor(rng.lognormal(math.log(spec.vote_median), spec.vote_sigma, n) * boost)
        self.final_votes = np.clip(votes, 0, spec.users - 1).astype(np.int64)
        comment_rate = 0.12 * rng.lognormal(0.0, 0.5, n)
        self.final_comments = rng.poisson(self.final_votes * comment_rate).astype(np.int64)
        self.vote_base = VOTE_ID_BASE + np.concatenate([[0], np.cumsum(self.final_votes)[:-1]])
        self.comment_base = COMMENT_ID_BASE + np.concatenate([[0], np.cumsum(self.final_comments)[:-1]])
        self.reviews = rng.poisson(np.where(self.is_featured, 1.5, 0.3)).astype(np.int64)
        # Voters/commenters: user (a + k*step) mod p, a distinct voter per vote of a post.
        self.steps = rng.integers(1, spec.users, VOTER_STEPS).astype(np.int64)
        self.step_inverse = np.array([pow(int(s), -1, spec.users) for s in self.steps], dtype=np.int64)
        self.vote_a = rng.integers(0, spec.users, n).astype(np.int64)
        self.vote_step = rng.integers(0, VOTER_STEPS, n).astype(np.int64)
        self.comment_a = rng.integers(0, spec.users, n).astype(np.int64)
        self.n_users = spec.users
        self.maker_pool = max(2, int(spec.users * 0.35))
        self.user_created = start - rng.integers(DAY, 2 * 365 * DAY, spec.users)
        self.n_topics = len(names.TOPICS)
        self._build_topics(rng)
        self._build_post_links(rng)
        self._build_collections(rng)
        self._moments: OrderedDict[int, Moment] = OrderedDict()
        self._listings: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._slug_index: dict[str, int] | None = None
        self._topic_slug_index: dict[str, int] | None = None
        self._url_index: dict[str, list[int]] | None = None
        self._reverse: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.post_static = lru_cache(maxsize=65_536)(self._post_static)
        self.user_static = lru_cache(maxsize=65_536)(self._user_static)
        self.topic_static = lru_cache(maxsize=1024)(self._topic_static)
        self.collection_static = lru_cache(maxsize=16_384)(self._collection_static)
        self.comment_tree = lru_cache(maxsize=4096)(self._comment_tree)

    # ----------------------------------------------------------------- generation
    def _build_topics(self, rng: np.random.Generator) -> None:
        t = self.n_topics
        weights = 1.0 / (np.arange(t) + 3.0)
        self.topic_weights = weights / weights.sum()
        self.topic_created = self.start - rng.integers(30 * DAY, 3 * 365 * DAY, t)
        self.topic_followers = (self.topic_weights * 4_000_000 * rng.lognormal(0, 0.3, t)).astype(np.int64)
        n = self.n_posts
        counts = rng.choice(5, n, p=[0.2, 0.3, 0.25, 0.15, 0.1]) + 1
        matrix = rng.choice(t, (n, 5), p=self.topic_weights)
        dedupe_rows(rng, matrix, t, self.topic_weights)
        # Wide posts come from their own generator, so every other number of the world is unchanged.
        wide_rng = np.random.default_rng([self.seed, 613])
        wide = np.flatnonzero(wide_rng.random(n) < WIDE_TOPIC_SHARE)
        counts[wide] = wide_rng.integers(6, 9, len(wide))
        extended = np.concatenate([matrix, np.zeros((n, 3), dtype=matrix.dtype)], axis=1)
        for i in wide:
            others = np.setdiff1d(np.arange(t), matrix[i])
            extended[i, 5:] = wide_rng.choice(others, 3, replace=False)
        self.topic_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.topic_flat = extended[np.arange(8) < counts[:, None]].astype(np.int32)

    def _build_post_links(self, rng: np.random.Generator) -> None:
        n = self.n_posts
        counts = rng.choice(4, n, p=[0.45, 0.3, 0.15, 0.1]) + 1
        matrix = rng.integers(0, self.maker_pool, (n, 4))
        dedupe_rows(rng, matrix, self.maker_pool, None)
        self.maker_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.maker_flat = matrix[np.arange(4) < counts[:, None]].astype(np.int32)
        hunter_is_maker = rng.random(n) < 0.4
        self.hunter = np.where(hunter_is_maker, matrix[:, 0], rng.integers(0, self.n_users, n)).astype(
            np.int32
        )
        self.name_offset = int(rng.integers(0, 1 << 30))

    def _build_collections(self, rng: np.random.Generator) -> None:
        c = self.spec.collections
        lo = self.start + (self.initial_now - self.start) // 10
        self.coll_created = np.sort(rng.integers(lo, self.initial_now + FUTURE_DAYS * DAY, c)).astype(
            np.int64
        )
        self.coll_featured = rng.random(c) < 0.4
        self.coll_featured_at = self.coll_created + rng.integers(3600, 5 * DAY, c)
        self.coll_followers = np.floor(rng.lognormal(3.0, 1.3, c)).astype(np.int64)
        self.coll_curator = rng.integers(0, self.n_users, c).astype(np.int32)
        ptr = [0]
        flat: list[int] = []
        for k in range(c):
            available = int(np.searchsorted(self.created, self.coll_created[k], side="right"))
            size = min(available, int(rng.integers(3, 21)))
            chosen = rng.choice(available, size, replace=False) if size else np.zeros(0, dtype=np.int64)
            flat.extend(int(x) for x in chosen)
            ptr.append(len(flat))
        self.coll_ptr = np.array(ptr, dtype=np.int64)
        self.coll_posts = np.array(flat, dtype=np.int32)

    # ----------------------------------------------------------------- static records
    def post_index(self, post_id: str | int) -> int | None:
        """Index of a post id, or None if no post ever had it."""
        try:
            number = int(post_id) - POST_ID_BASE
        except (TypeError, ValueError):
            return None
        index = number // 3
        if number < 0 or index >= self.n_posts or self.post_ids[index] != int(post_id):
            return None
        return index

    def post_name(self, i: int) -> str:
        space = len(names.PREFIXES) * len(names.SUFFIXES) * len(names.EXTRAS)
        combo = (i * 104_729 + self.name_offset) % space
        combo, extra = divmod(combo, len(names.EXTRAS))
        prefix, suffix = divmod(combo, len(names.SUFFIXES))
        return names.PREFIXES[prefix] + names.SUFFIXES[suffix] + names.EXTRAS[extra]

    def _post_static(self, i: int) -> PostStatic:
        h = mix(self.seed, 1, i)
        name = self.post_name(i)
        slug = slugify(name)
        tagline = (
            f"{names.TAGLINE_VERBS[h % len(names.TAGLINE_VERBS)]} "
            f"{names.TAGLINE_OBJECTS[(h >> 8) % len(names.TAGLINE_OBJECTS)]} "
            f"{names.TAGLINE_ENDINGS[(h >> 16) % len(names.TAGLINE_ENDINGS)]}"
        )
        sentences = names.DESCRIPTION_SENTENCES
        first, second = (h >> 24) % len(sentences), (h >> 32) % len(sentences)
        description = f"{name} helps you {tagline[0].lower()}{tagline[1:]}. {sentences[first]}"
        if second != first:
            description += f" {sentences[second]}"
        media = []
        for m in range(1 + (h >> 40) % 4):
            kind = names.MEDIA_TYPES[mix(h, m) % len(names.MEDIA_TYPES)] if m else "image"
            key = f"{mix(h, m, 7):016x}"
            video = f"https://www.youtube.com/watch?v={key[:11]}" if kind == "video" else None
            media.append((kind, f"https://ph-files.imgix.net/{key}.png", video))
        domain = slug.replace("-", "") + (".ai" if "ai" in slug.split("-") else ".com")
        links = [{"type": "Website", "url": f"https://{domain}"}]
        if (h >> 44) % 3 == 0:
            links.append({"type": names.LINK_TYPES[1 + (h >> 46) % 3], "url": f"https://{domain}/download"})
        reviews = int(self.reviews[i])
        rating = round(3.5 + ((h >> 50) % 16) / 10, 1) if reviews else 0.0
        created = int(self.created[i])
        featured = int(self.featured_at[i]) if self.is_featured[i] else None
        twitter = f"https://twitter.com/{slug.replace('-', '')[:15]}" if (h >> 52) % 5 < 3 else None
        return PostStatic(
            index=i,
            id=str(int(self.post_ids[i])),
            name=name,
            tagline=tagline,
            description=description,
            slug=slug,
            url=f"https://www.producthunt.com/posts/{slug}",
            website=f"https://www.producthunt.com/r/{mix(h, 99) & 0xFFFFFFFFFFFFFF:014X}?{WEBSITE_TRACKING}",
            createdAt=iso(created),
            created=created,
            featured_at=featured,
            reviewsCount=reviews,
            reviewsRating=rating,
            media=tuple(media),
            productLinks=tuple(links),
            twitter_url=twitter,
        )

    def user_index(self, user_id: str | int) -> int | None:
        try:
            index = int(user_id) - USER_ID_BASE
        except (TypeError, ValueError):
            return None
        return index if 0 <= index < self.n_users else None

    def _user_static(self, u: int) -> UserStatic:
        h = mix(self.seed, 2, u)
        first = names.FIRST_NAMES[h % len(names.FIRST_NAMES)]
        last = names.LAST_NAMES[(h >> 8) % len(names.LAST_NAMES)]
        username = f"{first}{last}{u}".lower() if u else f"{first}_{last}".lower()
        has_twitter = (h >> 16) % 3 != 0
        has_site = (h >> 20) % 4 == 0
        return UserStatic(
            index=u,
            id=str(USER_ID_BASE + u),
            name=f"{first} {last}",
            username=username,
            headline=names.HEADLINES[(h >> 24) % len(names.HEADLINES)],
            url=f"https://www.producthunt.com/@{username}",
            profileImage=f"https://ph-avatars.imgix.net/{USER_ID_BASE + u}/original.png",
            coverImage=f"https://ph-files.imgix.net/covers/{h & 0xFFFFFFFF:08x}.png"
            if (h >> 28) % 2
            else None,
            twitterUsername=username[:15] if has_twitter else None,
            websiteUrl=f"https://{username}.dev" if has_site else None,
            createdAt=iso(int(self.user_created[u])),
            isMaker=u < self.maker_pool,
        )

    def user_by_username(self, username: str) -> int | None:
        match = re.fullmatch(r"[a-z]+(\d+)", username)
        if match:
            index = int(match.group(1))
            if 0 < index < self.n_users and self.user_static(index).username == username:
                return index
        return VIEWER if self.user_static(VIEWER).username == username else None

    def _topic_static(self, t: int) -> TopicStatic:
        name = names.TOPICS[t]
        slug = slugify(name.replace("&", "and"))
        created = int(self.topic_created[t])
        return TopicStatic(
            index=t,
            id=str(t + 1),
            name=name,
            slug=slug,
            description=f"Products and tools about {name.lower()}.",
            url=f"https://www.producthunt.com/topics/{slug}",
            image=f"https://ph-files.imgix.net/topics/{slug}.png",
            createdAt=iso(created),
            created=created,
            followersCount=int(self.topic_followers[t]),
        )

    def topic_index(self, topic_id: str | None = None, slug: str | None = None) -> int | None:
        if topic_id is not None:
            try:
                index = int(topic_id) - 1
            except ValueError:
                return None
            return index if 0 <= index < self.n_topics else None
        if slug is not None:
            return self._topic_slugs().get(slug)
        return None

    def _topic_slugs(self) -> dict[str, int]:
        if self._topic_slug_index is None:
            self._topic_slug_index = {self.topic_static(t).slug: t for t in range(self.n_topics)}
        return self._topic_slug_index

    def _collection_static(self, c: int) -> CollectionStatic:
        h = mix(self.seed, 3, c)
        base = names.COLLECTION_NAMES[h % len(names.COLLECTION_NAMES)]
        created = int(self.coll_created[c])
        slug = f"{slugify(base)}-{c + 1}"
        curator = int(self.coll_curator[c])
        return CollectionStatic(
            index=c,
            id=str(c + 1),
            name=base,
            tagline=f"A hand-picked list: {base.lower()}",
            description=f"{base}, collected over the years.",
            url=f"https://www.producthunt.com/@{self.user_static(curator).username}/collections/{slug}",
            coverImage=f"https://ph-files.imgix.net/collections/{h & 0xFFFFFF:06x}.png" if h % 3 else None,
            createdAt=iso(created),
            created=created,
            featured_at=int(self.coll_featured_at[c]) if self.coll_featured[c] else None,
            followersCount=int(self.coll_followers[c]),
            curator=curator,
        )

    def collection_index(self, collection_id: str | None = None, slug: str | None = None) -> int | None:
        key = collection_id
        if key is None and slug is not None:
            key = slug.rsplit("-", 1)[-1]
        try:
            index = int(key) - 1 if key is not None else -1
        except ValueError:
            return None
        if not 0 <= index < self.spec.collections:
            return None
        if slug is not None and not slug.endswith(f"-{index + 1}"):
            return None
        return index

    # ----------------------------------------------------------------- relations
    def post_topics(self, i: int) -> np.ndarray:
        return self.topic_flat[self.topic_ptr[i] : self.topic_ptr[i + 1]]

    def post_makers(self, i: int) -> np.ndarray:
        return self.maker_flat[self.maker_ptr[i] : self.maker_ptr[i + 1]]

    def collection_posts(self, c: int) -> np.ndarray:
        return self.coll_posts[self.coll_ptr[c] : self.coll_ptr[c + 1]]

    def vote_user(self, i: int, k: int) -> int:
        return int((self.vote_a[i] + k * self.steps[self.vote_step[i]]) % self.n_users)

    def comment_user(self, i: int, k: int) -> int:
        return int((self.comment_a[i] + k * self.steps[(self.vote_step[i] + 1) % VOTER_STEPS]) % self.n_users)

    def viewer_vote_position(self, indices: np.ndarray) -> np.ndarray:
        """For each post, the k of the viewer's vote (p when never): a modular inverse, no scan."""
        return self.user_vote_position(VIEWER, indices)

    def user_vote_position(self, user: int, indices: np.ndarray) -> np.ndarray:
        a = self.vote_a[indices]
        inverse = self.step_inverse[self.vote_step[indices]]
        return ((user - a) % self.n_users) * inverse % self.n_users

    def reverse_index(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """CSR of entity → post indices for ``makers``/``hunter``/``collections`` (built once, lazily)."""
        with self._lock:
            if name not in self._reverse:
                if name == "makers":
                    owners = self.maker_flat.astype(np.int64)
                    items = np.repeat(np.arange(self.n_posts), np.diff(self.maker_ptr))
                    size = self.n_users
                elif name == "hunter":
                    owners = self.hunter.astype(np.int64)
                    items = np.arange(self.n_posts)
                    size = self.n_users
                else:  # post → collections
                    owners = self.coll_posts.astype(np.int64)
                    items = np.repeat(np.arange(self.spec.collections), np.diff(self.coll_ptr))
                    size = self.n_posts
                order = np.lexsort((items, owners))
                ptr = np.concatenate([[0], np.cumsum(np.bincount(owners, minlength=size))])
                self._reverse[name] = (ptr, items[order])
            return self._reverse[name]

    def related(self, name: str, owner: int) -> np.ndarray:
        ptr, items = self.reverse_index(name)
        return items[ptr[owner] : ptr[owner + 1]]

    # ----------------------------------------------------------------- comments
    def _comment_tree(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(parent index or -1, final votes) of every comment of post ``i``; replies follow their parent."""
        count = int(self.final_comments[i])
        parents = np.full(count, -1, dtype=np.int64)
        votes = np.zeros(count, dtype=np.int64)
        for k in range(count):
            h = mix(self.seed, 4, i, k)
            if k and h % 100 < 35:
                j = (h >> 8) % k
                while parents[j] != -1:
                    j = int(parents[j])
                parents[k] = j
            bucket = (h >> 20) % 100
            votes[k] = 0 if bucket < 45 else 1 + (h >> 28) % 3 if bucket < 80 else 4 + (h >> 28) % 12
            if bucket >= 97:
                votes[k] = min(MAX_COMMENT_VOTES, 16 + (h >> 36) % 60)
        return parents, votes

    def comment_body(self, i: int, k: int, is_reply: bool) -> str:
        h = mix(self.seed, 5, i, k)
        pool = names.REPLY_BODIES if is_reply else names.COMMENT_BODIES
        return pool[h % len(pool)]

    def comment_location(self, comment_id: str | int) -> tuple[int, int] | None:
        """(post index, k) of a comment id, if such a comment was ever generated."""
        try:
            number = int(comment_id)
        except (TypeError, ValueError):
            return None
        i = int(np.searchsorted(self.comment_base, number, side="right")) - 1
        if i < 0:
            return None
        k = number - int(self.comment_base[i])
        return (i, k) if 0 <= k < self.final_comments[i] else None

    # ----------------------------------------------------------------- lookups by text
    def _name_indexes(self) -> tuple[dict[str, int], dict[str, list[int]]]:
        """slug → post and compact name (slug without dashes) → posts, built once on first use.

        Every URL a post carries is derived from its name, so these two maps answer the
        ``url``/``twitterUrl`` filters and ``post(slug:)`` without generating full posts.
        """
        with self._names_lock:
            if self._slug_index is None or self._url_index is None:
                slugs: dict[str, int] = {}
                compact: dict[str, list[int]] = {}
                for i in range(self.n_posts):
                    slug = slugify(self.post_name(i))
                    slugs[slug] = i
                    key = slug.replace("-", "")
                    compact.setdefault(key, []).append(i)
                    if len(key) > 15:
                        compact.setdefault(key[:15], []).append(i)
                self._slug_index, self._url_index = slugs, compact
            return self._slug_index, self._url_index

    def slug_index(self, slug: str) -> int | None:
        return self._name_indexes()[0].get(slug)

    def posts_with_url(self, url: str) -> list[int]:
        """Posts whose Product Hunt url, website, product link or twitter url is ``url``."""
        wanted = url.strip().rstrip("/").lower()
        bare = re.sub(r"^https?://(www\.)?", "", wanted)
        if bare.startswith("producthunt.com/posts/"):
            found = self.slug_index(bare.split("/")[2].split("?")[0])
            return [] if found is None else [found]
        if bare.startswith("producthunt.com/r/"):
            return []
        host = bare.split("/")[0]
        key = bare.split("/")[1] if host == "twitter.com" and "/" in bare else host.split(".")[0]
        result = []
        for i in self._name_indexes()[1].get(key, []):
            record = self.post_static(i)
            keys = {record.url, record.website, *(link["url"] for link in record.productLinks)}
            if record.twitter_url:
                keys.add(record.twitter_url)
            if wanted in {k.rstrip("/").lower() for k in keys}:
                result.append(i)
        return result

    # ----------------------------------------------------------------- the clock
    def moment(self, now: int) -> Moment:
        """Clock-dependent columns at ``now`` (cached for the last few distinct nows)."""
        with self._lock:
            cached = self._moments.get(now)
            if cached is not None:
                self._moments.move_to_end(now)
                return cached
        moment = self._compute_moment(now)
        with self._lock:
            self._moments[now] = moment
            while len(self._moments) > 4:
                self._moments.popitem(last=False)
        return moment

    def _compute_moment(self, now: int) -> Moment:
        n = int(np.searchsorted(self.created, now, side="right"))
        votes = self.final_votes[:n].copy()
        comments = self.final_comments[:n].copy()
        recent = int(np.searchsorted(self.created, now - GROWTH_SECONDS, side="right"))
        for i in range(recent, n):
            age = now - int(self.created[i])
            votes[i] = visible_count(int(self.final_votes[i]), age)
            comments[i] = visible_count(int(self.final_comments[i]), age)
        featured = self.is_featured[:n] & (self.featured_at[:n] <= now)
        collections = np.nonzero(self.coll_created <= now)[0]
        return Moment(now, n, votes, comments, featured, collections, {})

    def order(self, moment: Moment, name: str) -> np.ndarray:
        """All existing posts' indices in a posts order (ties broken by id, newest first)."""
        with self._lock:
            cached = moment.orders.get(name)
        if cached is not None:
            return cached
        n = moment.posts
        ids = np.arange(n)
        if name == "NEWEST":
            result = ids[::-1].copy()
        elif name == "VOTES":
            result = np.lexsort((-ids, -moment.votes))
        elif name == "FEATURED_AT":
            key = np.where(moment.featured, self.featured_at[:n], -1)
            result = np.lexsort((-ids, -self.created[:n], -key))
        else:  # RANKING: the day's leaderboard, newest day first
            day = self.created[:n] // DAY
            result = np.lexsort((-ids, -moment.votes, -day))
        with self._lock:
            moment.orders[name] = result
        return result

    def listing(self, key: tuple[Any, ...], build: Any) -> np.ndarray:
        """A small LRU of filtered listings: the harvester asks for the same one page after page."""
        with self._lock:
            cached = self._listings.get(key)
            if cached is not None:
                self._listings.move_to_end(key)
                return cached
        result = build()
        with self._lock:
            self._listings[key] = result
            while len(self._listings) > 64:
                self._listings.popitem(last=False)
        return result

    def truth(self, now: int) -> dict[str, int]:
        """Counts of everything that exists at ``now``: what a perfect harvest would hold."""
        m = self.moment(now)
        existing = m.collections
        collection_posts = int(np.diff(self.coll_ptr)[existing].sum()) if len(existing) else 0
        return {
            "posts": m.posts,
            "topics": self.n_topics,
            "users": self.n_users,
            "comments": int(m.comments.sum()),
            "votes": int(m.votes.sum()),
            "collections": len(existing),
            "collection_posts": collection_posts,
            "post_topics": int(self.topic_ptr[m.posts]),
            "post_topics_beyond_5": int(np.maximum(np.diff(self.topic_ptr[: m.posts + 1]) - 5, 0).sum()),
            "post_makers": int(self.maker_ptr[m.posts]),
            "featured_posts": int(m.featured.sum()),
        }
