"""The two harvesters ProductHuntDB is measured against, written as their authors write them.

* ``NAIVE_QUERY``: what a user commonly writes first — ``first: 50``, every scalar field of a
  post, and nested ``user``, ``makers`` and ``topics(first: 20)`` objects with all their scalars.
* ``ORIGINAL_QUERY``: the query shape of the original ProductHuntDB tool this project replaces —
  per post 16 scalars, ``user`` with 7 fields, ``makers`` with 5, ``topics(first: 10)`` with 3
  fields and ``pageInfo``, ``productLinks``, ``thumbnail`` and ``media`` with 2-3 fields each;
  ``first: 50``, its default page size (3,805 points for the 20 posts a page returns).

Both page ``posts`` with ``after`` until ``hasNextPage`` is false: a full harvest of posts
with their topics and makers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

POST_SCALARS = """
          id name tagline description slug url website votesCount commentsCount reviewsCount
          reviewsRating createdAt featuredAt userId isCollected isVoted"""
USER_SCALARS = """
            id name username headline url profileImage coverImage twitterUsername websiteUrl
            createdAt isMaker isFollowing isViewer"""


def _posts_query(name: str, nested: str) -> str:
    """A ``posts`` query paged with ``after``: every post scalar, then the ``nested`` fields."""
    return f"""
query {name}($after: String) {{
  posts(first: 50, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{
      node {{{POST_SCALARS}{nested}
      }}
    }}
  }}
}}
"""


NAIVE_QUERY = _posts_query(
    "NaivePosts",
    f"""
        user {{{USER_SCALARS}
        }}
        makers {{{USER_SCALARS}
        }}
        topics(first: 20) {{
          edges {{ node {{ id name slug description url followersCount postsCount createdAt isFollowing }} }}
        }}""",
)

ORIGINAL_QUERY = _posts_query(
    "OriginalPosts",
    """
        user { id name username headline profileImage twitterUsername url }
        makers { id name username headline profileImage }
        topics(first: 10) {
          pageInfo { hasNextPage endCursor }
          nodes { id name slug }
        }
        productLinks { type url }
        thumbnail { type url }
        media { type url videoUrl }""",
)

BASELINES = {"naive": NAIVE_QUERY, "original": ORIGINAL_QUERY}


@dataclass
class HarvestResult:
    """What one baseline harvest cost and got."""

    name: str
    posts: int = 0
    pages: int = 0
    points: int = 0
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    query_cost: int = 0

    @property
    def points_per_post(self) -> float | None:
        return self.points / self.posts if self.posts else None


def harvest(
    url: str, name: str, query: str, token: str = "bench-token-0123456789abcdef", max_pages: int | None = None
) -> HarvestResult:
    """Page every post with ``query`` until ``hasNextPage`` is false.

    ``points`` is the priced cost of the pages sent (``query_cost`` × pages); the benchmark
    reads what the emulator actually charged from ``/_emulator/stats`` around the call.
    """
    from producthuntdb.api.complexity import query_cost

    result = HarvestResult(name=name, query_cost=query_cost(query, {"after": None}))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    after: str | None = None
    started = time.perf_counter()
    with httpx.Client(timeout=60.0, headers=headers) as client:
        while max_pages is None or result.pages < max_pages:
            response = client.post(url, json={"query": query, "variables": {"after": after}})
            status = str(response.status_code)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if response.status_code != 200:
                raise RuntimeError(f"{name} harvest got HTTP {status}: {response.text[:200]}")
            body: dict[str, Any] = response.json()
            if body.get("errors"):
                raise RuntimeError(f"{name} harvest got GraphQL errors: {body['errors'][:1]}")
            connection = body["data"]["posts"]
            result.pages += 1
            result.points += result.query_cost
            result.posts += len(connection["edges"] if "edges" in connection else connection["nodes"])
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
    result.seconds = time.perf_counter() - started
    return result
