"""What the gate checks, per mart, as plain data (versioned here, turned into GX suites by ``gate``).

Which marts exist is dbt's answer (``dbtproject.mart_names``), not a list kept here: a spec whose
mart dbt does not build is not used, and a unit test fails when a mart has no spec.

A spec names columns; the gate adds an expectation only for columns the mart actually has, except
the key columns, which must exist. Keeping the specs free of GX imports lets unit tests and the
export read them without paying GX's import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REDACTED = "[REDACTED]"
SLUG_REGEX = r"^[a-z0-9]+(-[a-z0-9]+)*$"
"""Product Hunt slugs: lowercase words joined by single hyphens (DuckDB's ``~`` is a full match)."""
URL_REGEX = r"^https?://[^\s/]+[^\s]*$"
TRACKING_REGEX = r"[?&](utm_[^=&#]*|ref)="
"""A tracking parameter in a URL's query: what staging strips (``strip_tracking``)."""


@dataclass(frozen=True)
class Reference:
    """``column`` of this mart must appear in ``table.target`` (NULLs are allowed)."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class MartSpec:
    """The promises one mart makes; see dbt_project/models/marts/*.yml for their meaning."""

    table: str
    key: tuple[str, ...]
    optional: bool = False
    """Opt-in marts (comments, votes, post_links) may be absent or empty: their suite is skipped then."""
    row_floor: bool = True
    """The last export's rows are a floor (no silent data loss). Not for marts whose rows are
    regrouped from others: a post featured a day after it was created moves to that launch day
    (``daily_launches`` can lose a day), a post's trajectory from its loaded votes replaces the
    points of its syncs."""
    not_null: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    regex: dict[str, str] = field(default_factory=dict)
    ordered: tuple[tuple[str, str], ...] = ()
    """(later, earlier) column pairs: later >= earlier where both are set."""
    no_tracking: tuple[str, ...] = ()
    """URL columns that must not carry ``utm_*`` or ``ref`` parameters (they name the harvesting app)."""
    timestamps: tuple[str, ...] = ()
    """Columns that must not lie in the future."""
    references: tuple[Reference, ...] = ()


COUNTS = ("votes_count", "comments_count", "reviews_count", "followers_count", "posts_count")

MART_SPECS: tuple[MartSpec, ...] = (
    MartSpec(
        table="posts",
        key=("post_id",),
        not_null=("name", "created_at"),
        non_negative=COUNTS,
        bounds={"reviews_rating": (0.0, 5.0)},
        regex={"slug": SLUG_REGEX, "url": URL_REGEX, "website": URL_REGEX, "thumbnail_url": URL_REGEX},
        no_tracking=("website",),
        ordered=(("featured_at", "created_at"), ("launch_date", "created_date")),
        timestamps=("created_at", "featured_at"),
    ),
    MartSpec(
        # empty under the API's redaction: the viewer, the one user it shows, is not published (an
        # export made before that rule held it, so no floor either)
        table="users",
        key=("user_id",),
        optional=True,
        row_floor=False,
        regex={"url": URL_REGEX},
        timestamps=("created_at",),
    ),
    MartSpec(
        table="topics",
        key=("topic_id",),
        not_null=("name",),
        non_negative=COUNTS,
        regex={"slug": SLUG_REGEX, "url": URL_REGEX},
        timestamps=("created_at",),
    ),
    MartSpec(
        table="post_topics",
        key=("post_id", "topic_id"),
        references=(Reference("post_id", "posts", "post_id"), Reference("topic_id", "topics", "topic_id")),
    ),
    MartSpec(
        table="post_makers",
        key=("post_id", "position"),
        non_negative=("position",),
        references=(Reference("post_id", "posts", "post_id"),),
    ),
    MartSpec(
        table="post_links",
        key=("post_id", "position"),
        not_null=("url",),
        non_negative=("position",),
        regex={"url": URL_REGEX},
        no_tracking=("url",),
        references=(Reference("post_id", "posts", "post_id"),),
        optional=True,  # filled by `sync --with media`
    ),
    MartSpec(
        table="comments",
        key=("comment_id",),
        optional=True,
        not_null=("post_id", "created_at"),
        non_negative=COUNTS,
        regex={"url": URL_REGEX},
        timestamps=("created_at",),
        references=(Reference("post_id", "posts", "post_id"),),
    ),
    MartSpec(
        table="votes",
        key=("vote_id",),
        optional=True,
        not_null=("post_id",),
        timestamps=("created_at",),
        references=(Reference("post_id", "posts", "post_id"),),
    ),
    MartSpec(
        # no reference to posts: a collection lists posts older than a --since harvest holds
        table="collection_posts",
        key=("collection_id", "post_id"),
        optional=True,
    ),
    # The analytics marts: dbt tests their logic; the gate adds keys and sane counts so that
    # every published table has a page in the Data Docs.
    MartSpec(
        table="post_metrics_history",
        key=("post_id", "observed_at"),
        non_negative=COUNTS,
        timestamps=("observed_at",),
        references=(Reference("post_id", "posts", "post_id"),),
    ),
    MartSpec(
        table="daily_launches",
        row_floor=False,
        key=("launch_date",),
        non_negative=("launches", "featured", "votes", "comments", "makers", "top_votes"),
    ),
    MartSpec(
        table="leaderboard_daily",
        row_floor=False,
        key=("launch_date", "post_id"),
        not_null=("is_partial_day",),
        non_negative=(*COUNTS, "launch_day_votes"),
        bounds={"vote_rank": (1, 1_000_000)},
        references=(Reference("post_id", "posts", "post_id"),),
    ),
    MartSpec(
        table="topic_trends",
        row_floor=False,
        key=("topic_id", "month"),
        non_negative=("posts", "featured_posts", "votes", "comments"),
    ),
    MartSpec(
        table="topic_trends_weekly",
        row_floor=False,
        key=("topic_id", "week"),
        non_negative=("posts", "featured_posts", "votes", "comments"),
    ),
    MartSpec(
        table="post_trajectory",
        row_floor=False,
        key=("post_id", "metric", "hours_since_launch"),
        not_null=("cumulative_count", "source"),
        non_negative=("cumulative_count",),
        references=(Reference("post_id", "posts", "post_id"),),
    ),
    MartSpec(
        table="collections",
        key=("collection_id",),
        optional=True,
        not_null=("name",),
        non_negative=COUNTS,
        regex={"url": URL_REGEX},
        ordered=(("featured_at", "created_at"),),
        timestamps=("created_at", "featured_at"),
    ),
)

SPECS_BY_TABLE = {spec.table: spec for spec in MART_SPECS}
