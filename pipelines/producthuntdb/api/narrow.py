"""Narrow a page that fails to the items that fail: keep the good ones, name the bad ones.

A broken record on the API fails every request that includes it: the whole page errors
(or comes back with the record ``null``), and a harvester that only retries stops on that
page forever. ``narrow_page`` walks the failing span with smaller pages — halves, then
single items — so each bad item costs about ``2 log2(first)`` small requests, and returns
the good items in order, each bad item's identity and error, and where to continue.

It needs two functions from its caller (the source knows the queries, this module does
not):

``fetch(after, first) -> Page``
    the real page query; raises ``GraphQLQueryError`` when the server answers with errors
    and no data, or returns a ``Page`` whose failed items are ``None`` (a partial answer).
``identify(after, first) -> Span``
    a cheap query of the same listing asking only ``edges { cursor node { id } }``: the
    identity of each item and the cursor after it, so the walk can step past a bad item
    it could not read. Asked once per narrowed page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from producthuntdb.errors import GraphQLQueryError, QueryTooComplexError

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page as fetched: ``items`` (``None`` for an item that failed) and the errors beside them."""

    items: list[T | None]
    end_cursor: str | None
    has_next: bool
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return any(item is None for item in self.items)


@dataclass
class Span:
    """The identities of a run of items and, for each, the cursor that points at it."""

    entries: list[tuple[str, str]]
    """(cursor of the item, identity of the item), in listing order."""
    has_next: bool


@dataclass
class BadItem:
    identity: str
    error: str
    after: str | None
    """The cursor to ask ``first: 1`` after to get this item again (for a later retry)."""


@dataclass
class Narrowed(Generic[T]):
    items: list[T]
    bad: list[BadItem]
    end_cursor: str | None
    has_next: bool
    requests: int


def narrow_page(
    fetch: Callable[[str | None, int], Page[T]],
    identify: Callable[[str | None, int], Span],
    after: str | None,
    first: int,
    failed: Page[T] | None = None,
) -> Narrowed[T]:
    """The good items and the bad ones of the ``first`` items after ``after``, whose page failed.

    Without ``failed`` the page raised: the walk starts with its two halves.
    ``failed``: the partial page already fetched at (``after``, ``first``), if any; its good
    items are kept as they are and only its ``None`` items are named (no refetch).
    """
    if failed is not None:
        first = len(failed.items)  # what the page covered (the client may have asked fewer than ``first``)
    span = identify(after, first)
    entries = span.entries
    good: list[T] = []
    bad: list[BadItem] = []
    requests = 1

    def cursor_before(offset: int) -> str | None:
        return after if offset == 0 else entries[offset - 1][0]

    def mark(offset: int, error: str) -> None:
        bad.append(BadItem(entries[offset][1], error, cursor_before(offset)))

    def keep(page: Page[T], offset: int) -> None:
        for index, item in enumerate(page.items):
            if item is not None:
                good.append(item)
            elif offset + index < len(entries):
                mark(offset + index, _error_for(page.errors, index))

    def cover(offset: int, count: int) -> None:
        nonlocal requests
        count = min(count, len(entries) - offset)
        if count <= 0:
            return
        requests += 1
        try:
            page = fetch(cursor_before(offset), count)
        except QueryTooComplexError:
            if count == 1:
                raise  # one item too complex is the query's fault, not the item's
        except GraphQLQueryError as exc:
            if count == 1:
                mark(offset, str(exc))
                return
        else:
            keep(page, offset)  # a partial answer: its good items stand, its nulls are named
            return
        split(offset, count)

    def split(offset: int, count: int) -> None:
        half = (count + 1) // 2
        cover(offset, half)
        cover(offset + half, count - half)

    if failed is not None:
        keep(failed, 0)
    else:
        split(0, min(first, len(entries)))
    end = entries[-1][0] if entries else after
    return Narrowed(good, bad, end, span.has_next, requests)


def _error_for(errors: list[dict[str, Any]], index: int) -> str:
    """The message of the error whose path names list item ``index`` (else the first error)."""
    for error in errors:
        positions = [part for part in error.get("path") or [] if isinstance(part, int)]
        if positions and positions[0] == index:
            return str(error.get("message", error))
    return str(errors[0].get("message", errors[0])) if errors else "item missing from a partial answer"
