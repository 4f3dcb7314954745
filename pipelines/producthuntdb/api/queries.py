"""The GraphQL documents the harvester sends, kept as ``.graphql`` files beside this module.

Files (not strings in code) so that a test can validate every one against the bundled schema
and price it with ``query_cost`` — a query that would break or overspend fails in CI, not in
a scheduled run.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

QUERY_NAMES = (
    "posts_page",
    "posts_ids",
    "post",
    "post_counts",
    "posts_total",
    "newest_post",
    "topics_page",
    "topics_total",
    "topic_total",
    "topic_posts",
    "collections_page",
    "collection_posts",
    "viewer",
    "user",
    "post_comments",
    "post_votes",
)


def query_files() -> list[str]:
    """Names (without ``.graphql``) of every query file shipped in the package."""
    folder = resources.files("producthuntdb.api").joinpath("queries")
    return sorted(p.name.removesuffix(".graphql") for p in folder.iterdir() if p.name.endswith(".graphql"))


MEDIA_SUFFIX = "_media"
"""``posts_page_media``, ``post_media``: the lean query plus the post's thumbnail and product links."""

MEDIA_FIELDS = ("thumbnail { url }", "productLinks { type url }")
"""5 points a post (2 + 3), 100 a page of 20: +31 % on the lean page, the budget's main consumer, so
they are opt-in (``sync --with media``). ``website`` is a producthunt.com redirect; these links are
the only source of the product's own domain."""

MEDIA_QUERIES = ("posts_page", "post")


@cache
def load_query(name: str) -> str:
    """The text of ``queries/<name>.graphql`` (or its media variant); KeyError for an unknown name."""
    if name.endswith(MEDIA_SUFFIX) and name.removesuffix(MEDIA_SUFFIX) in MEDIA_QUERIES:
        return with_media(load_query(name.removesuffix(MEDIA_SUFFIX)))
    path = resources.files("producthuntdb.api").joinpath("queries", f"{name}.graphql")
    if not path.is_file():
        raise KeyError(f"no query named {name!r}")
    return path.read_text("utf-8")


def with_media(text: str) -> str:
    """``text`` with ``MEDIA_FIELDS`` after each post's ``makers { id }``, its operation renamed
    (``PostsPage`` → ``PostsPageMedia``) so that the server and the price book tell them apart."""
    match = re.search(r"^( *)makers \{ id \}\n", text, re.MULTILINE)
    operation = re.search(r"^query (\w+)", text, re.MULTILINE)
    assert match is not None and operation is not None, "a media query changed shape"
    fields = "".join(f"{match.group(1)}{field}\n" for field in MEDIA_FIELDS)
    text = text[: match.end()] + fields + text[match.end() :]
    return text.replace(f"query {operation.group(1)}", f"query {operation.group(1)}Media", 1)


def batched_users_query(count: int) -> str:
    """``count`` ``user(id:)`` lookups aliased into one request (``u0``, ``u1``, ...).

    Built from ``user.graphql`` so the selection stays in one validated file; the price is
    the sum of the parts (11 points a user), the saving is round trips, not points.
    """
    text = load_query("user")
    fragment = text[text.index("fragment UserFields") :]
    match = re.search(r"user\(id: \$id\) \{ \.\.\.UserFields \}", text)
    assert match is not None, "user.graphql changed shape"
    params = ", ".join(f"$id{i}: ID!" for i in range(count))
    fields = "\n  ".join(f"u{i}: user(id: $id{i}) {{ ...UserFields }}" for i in range(count))
    return f"query Users({params}) {{\n  {fields}\n}}\n\n{fragment}"


def batched_topic_totals_query(count: int) -> str:
    """``count`` ``topic_total.graphql`` probes aliased into one request (``t0``, ``t1``, ...),
    over one date range (``$postedAfter``/``$postedBefore``) and ``$topic0``... slugs.

    Built from the file so the selection stays validated in one place; the price is the sum of
    the parts (2 points a topic), the saving is round trips.
    """
    text = load_query("topic_total")
    match = re.search(r"posts\(topic: \$topic, (.*)\{ totalCount \}", text)
    assert match is not None, "topic_total.graphql changed shape"
    params = ", ".join(f"$topic{i}: String!" for i in range(count))
    fields = "\n  ".join(f"t{i}: posts(topic: $topic{i}, {match.group(1)}{{ totalCount }}" for i in range(count))
    return (
        f"query TopicTotals($postedAfter: DateTime, $postedBefore: DateTime, {params}) {{\n  {fields}\n}}\n"
    )


def batched_topic_posts_query(count: int) -> str:
    """``count`` ``topic_posts.graphql`` pages aliased into one request (``t0``, ``t1``, ...), each
    with its own ``$topicN``/``$firstN``/``$cursorN`` over one date range.

    Points are the sum of the parts; what it saves is requests: a topic holds a page or two of a
    range, and one request per topic would be ~500 requests for a ``small`` history.
    """
    text = load_query("topic_posts")
    match = re.search(r"posts\((.*)\) \{\n(.*?)\n  \}", text, re.DOTALL)
    assert match is not None, "topic_posts.graphql changed shape"
    arguments = match.group(1)
    for name in ("topic", "first", "cursor"):
        assert f"${name}" in arguments, "topic_posts.graphql changed shape"
    selection = " ".join(line.strip() for line in match.group(2).splitlines())
    params = ", ".join(f"$topic{i}: String!, $cursor{i}: String, $first{i}: Int" for i in range(count))
    fields = "\n  ".join(
        f"t{i}: posts("
        + arguments.replace("$topic", f"$topic{i}").replace("$first", f"$first{i}").replace("$cursor", f"$cursor{i}")
        + f") {{ {selection} }}"
        for i in range(count)
    )
    return f"query TopicsPosts($postedAfter: DateTime, $postedBefore: DateTime, {params}) {{\n  {fields}\n}}\n"
