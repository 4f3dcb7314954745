"""The narrowing pager's pure core (``api/narrow.py``) as a property: whichever items of a page
are poisoned, the walk keeps every good item in order, names exactly the bad ones with a cursor
that asks each again, and costs about ``2 log2(first)`` requests a bad item. (The examples and the
walk against the emulator's poisoned posts are in ``tests/integration/test_api_narrow.py``.)
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from producthuntdb.api.narrow import Page, Span, narrow_page
from producthuntdb.errors import GraphQLQueryError


class Listing:
    """Items at offsets; a page holding a poisoned item fails whole (or, ``partial``, answers it null)."""

    def __init__(self, items: list[str], poisoned: set[str], partial: bool) -> None:
        self.items, self.poisoned, self.partial = items, poisoned, partial
        self.fetched: list[int] = []

    def start(self, after: str | None) -> int:
        return 0 if after is None else int(after) + 1

    def fetch(self, after: str | None, first: int) -> Page[str]:
        self.fetched.append(first)
        start = self.start(after)
        chunk = self.items[start : start + first]
        bad = [k for k, item in enumerate(chunk) if item in self.poisoned]
        if bad and not self.partial:
            raise GraphQLQueryError(f"the API refused the query: {chunk[bad[0]]} is broken")
        errors = [{"message": f"{chunk[k]} is broken", "path": ["posts", "nodes", k, "name"]} for k in bad]
        return Page([None if k in bad else item for k, item in enumerate(chunk)], str(start + len(chunk) - 1),
                    start + first < len(self.items), errors)

    def identify(self, after: str | None, first: int) -> Span:
        start = self.start(after)
        count = max(0, min(first, len(self.items) - start))
        return Span([(str(start + k), self.items[start + k]) for k in range(count)], start + first < len(self.items))


@settings(max_examples=80, deadline=None)
@given(
    size=st.integers(1, 30), first=st.integers(1, 20), data=st.data(), partial=st.booleans(),
)
def test_narrowing_keeps_every_good_item_in_order_and_names_exactly_the_bad_ones(
    size: int, first: int, data: st.DataObject, partial: bool
) -> None:
    items = [f"p{k}" for k in range(size)]
    poisoned = data.draw(st.sets(st.sampled_from(items[:first] or items), min_size=1, max_size=4))
    listing = Listing(items, poisoned, partial)
    failed = listing.fetch(None, first) if partial else None
    listing.fetched.clear()
    result = narrow_page(listing.fetch, listing.identify, None, first, failed)
    page = items[:first]
    assert result.items == [p for p in page if p not in poisoned]
    assert [b.identity for b in result.bad] == [p for p in page if p in poisoned]
    for bad in result.bad:  # each can be asked again alone
        assert listing.identify(bad.after, 1).entries[0][1] == bad.identity and bad.identity in bad.error
    assert result.end_cursor == str(min(first, size) - 1) and result.has_next == (first < size)
    if partial:
        assert listing.fetched == [], "a partial page's good items stand: nothing is fetched again"
    else:
        assert len(listing.fetched) <= len(poisoned) * 2 * max(1, math.ceil(math.log2(first))) + 1
        assert max(listing.fetched) <= max(1, (min(first, size) + 1) // 2), "the walk starts with halves"
        assert result.requests == len(listing.fetched) + 1
