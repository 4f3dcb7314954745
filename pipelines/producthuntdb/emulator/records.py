"""The emulator's vocabulary: world sizes, stable hashing, arrival curves and the per-entity records.

Kept apart from ``world.py`` (which builds and indexes a world) because the resolvers and the
root fields need these shapes and curves without the builder.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np

DAY = 86_400
FUTURE_DAYS = 30
GROWTH_SECONDS = 7 * DAY
GROWTH_TAU = 0.9 * DAY
LARGE_START = datetime(2013, 11, 24, tzinfo=UTC)
POST_ID_BASE = 10_000
USER_ID_BASE = 1_000
COMMENT_ID_BASE = 1_000_000
VOTE_ID_BASE = 100_000_000
COMMENT_VOTE_ID_BASE = 10**12
MAX_COMMENT_VOTES = 99
VIEWER = 0
"""User index of the token's owner: the one user redaction never hides."""
_MASK64 = (1 << 64) - 1
VOTER_STEPS = 64
WEBSITE_TRACKING = (
    "utm_campaign=producthunt-api&utm_medium=api-v2"
    "&utm_source=Application%3A+ProductHuntDB+Emulator+%28ID%3A+4242%29"
)
"""What the real API appends to every ``website`` redirect (API_FACTS.md, #192): its ``utm_*``
parameters name the calling application and its id — what a published dataset must strip."""
WIDE_TOPIC_SHARE = 0.03
"""Share of posts listed under 6-8 topics: more than a ``topics(first: 5)`` page shows."""


@dataclass(frozen=True)
class ScaleSpec:
    """How big a world is and how its votes are distributed."""

    posts: int
    history_days: float | None
    """None: from LARGE_START to now."""
    users: int
    """A prime: voters of a post are an arithmetic progression modulo it (see ``vote_user``)."""
    collections: int
    vote_median: float
    vote_sigma: float


SCALE_SPECS: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec(200, 30, 1_009, 16, 16, 0.9),
    "small": ScaleSpec(3_000, 365, 10_007, 120, 38, 1.1),
    "medium": ScaleSpec(50_000, 5 * 365, 100_003, 1_500, 38, 1.2),
    "large": ScaleSpec(500_000, None, 400_009, 8_000, 32, 1.25),
}


def mix(*parts: int) -> int:
    """splitmix64 over a tuple of ints: a stable hash (unlike ``hash()``, never randomised)."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & _MASK64)) & _MASK64
        x = (x + 0x9E3779B97F4A7C15) & _MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        x = z ^ (z >> 31)
    return x


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@lru_cache(maxsize=4096)
def arrival_offsets(count: int) -> np.ndarray:
    """Seconds after creation at which items 0..count-1 arrive (sorted; the last at 7 days)."""
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    share = np.arange(1, count + 1, dtype=np.float64) / count
    scale = 1.0 - math.exp(-GROWTH_SECONDS / GROWTH_TAU)
    offsets = np.ceil(-GROWTH_TAU * np.log1p(-share * scale))
    return np.minimum(offsets, GROWTH_SECONDS).astype(np.int64)


def visible_count(count: int, age: int) -> int:
    """How many of ``count`` eventual items exist ``age`` seconds after creation."""
    if age >= GROWTH_SECONDS:
        return count
    if age < 0 or count <= 0:
        return 0
    return int(np.searchsorted(arrival_offsets(count), age, side="right"))


@dataclass(frozen=True, slots=True)
class PostStatic:
    """Everything about a post that never changes with the clock (cached per post)."""

    index: int
    id: str
    name: str
    tagline: str
    description: str
    slug: str
    url: str
    website: str
    createdAt: str
    created: int
    featured_at: int | None
    reviewsCount: int
    reviewsRating: float
    media: tuple[tuple[str, str, str | None], ...]
    productLinks: tuple[dict[str, str], ...]
    twitter_url: str | None


@dataclass(frozen=True, slots=True)
class UserStatic:
    index: int
    id: str
    name: str
    username: str
    headline: str | None
    url: str
    profileImage: str | None
    coverImage: str | None
    twitterUsername: str | None
    websiteUrl: str | None
    createdAt: str
    isMaker: bool


@dataclass(frozen=True, slots=True)
class TopicStatic:
    index: int
    id: str
    name: str
    slug: str
    description: str
    url: str
    image: str
    createdAt: str
    created: int
    followersCount: int


@dataclass(frozen=True, slots=True)
class CollectionStatic:
    index: int
    id: str
    name: str
    tagline: str
    description: str
    url: str
    coverImage: str | None
    createdAt: str
    created: int
    featured_at: int | None
    followersCount: int
    curator: int


@dataclass
class Moment:
    """What the clock-dependent queries need at one ``now``; computed once per distinct now."""

    now: int
    posts: int
    """Posts existing (indices 0..posts-1)."""
    votes: np.ndarray
    comments: np.ndarray
    featured: np.ndarray
    collections: np.ndarray
    """Indices of existing collections."""
    orders: dict[str, np.ndarray]


def launch_times(rng: np.random.Generator, count: int, lo: int, hi: int) -> np.ndarray:
    """``count`` strictly increasing second timestamps in [lo, hi] with weekday seasonality.

    Weekdays carry about twice the launches of weekends, activity grows over the span, and
    half of a day's launches cluster just after 07:00 UTC (00:01 Pacific, launch time).
    """
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    first_day, last_day = lo // DAY, hi // DAY
    days = np.arange(first_day, last_day + 1)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    factor = np.array([1.15, 1.2, 1.2, 1.15, 1.0, 0.6, 0.55])[weekday]
    trend = 0.5 + (days - first_day + 0.5) / max(1, len(days))
    span = np.minimum((days + 1) * DAY, hi + 1) - np.maximum(days * DAY, lo)
    weights = factor * trend * span
    per_day = rng.multinomial(count, weights / weights.sum())
    day_of = np.repeat(days, per_day)
    launch_hour = rng.random(count) < 0.5
    seconds = np.where(
        launch_hour, 7 * 3600 + 60 + rng.integers(0, 3 * 3600, count), rng.integers(0, DAY, count)
    )
    times = day_of * DAY + seconds
    width = max(1, min(DAY, hi - lo - count))
    outside = (times < lo) | (times > hi - count)
    times[outside] = lo + (times[outside] % width)
    times = np.sort(times)
    steps = np.arange(count)
    times = np.maximum.accumulate(times - steps) + steps
    return times.astype(np.int64)


def dedupe_rows(rng: np.random.Generator, matrix: np.ndarray, size: int, p: np.ndarray | None) -> None:
    """Redraw entries equal to an earlier entry of the same row until each row is distinct."""
    columns = matrix.shape[1]
    for j in range(1, columns):
        for _ in range(50):
            duplicate = np.zeros(matrix.shape[0], dtype=bool)
            for k in range(j):
                duplicate |= matrix[:, j] == matrix[:, k]
            if not duplicate.any():
                break
            matrix[duplicate, j] = rng.choice(size, int(duplicate.sum()), p=p)
        else:
            for row in np.nonzero(duplicate)[0].tolist():
                taken = set(matrix[row, :j].tolist())
                matrix[row, j] = next(x for x in range(size) if x not in taken)
