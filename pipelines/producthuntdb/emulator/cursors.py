"""Relay pagination over positional listings, with graphql-ruby's opaque offset cursors.

A cursor is base64 of the item's 1-based position, as graphql-ruby's array connections
emit (``MQ`` is the first item). Pages hold at most ``MAX_PAGE_SIZE`` items whatever
``first``/``last`` ask: the real API's cap.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

MAX_PAGE_SIZE = 20


def encode_cursor(position: int) -> str:
    """Cursor of the item at 0-based ``position``."""
    return base64.b64encode(str(position + 1).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """0-based position of the item a cursor points at; GraphQLError when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = int(base64.b64decode(padded.encode(), validate=True).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise GraphQLError(f"Invalid cursor: {cursor!r}") from None
    if value < 1:
        raise GraphQLError(f"Invalid cursor: {cursor!r}")
    return value - 1


@dataclass(frozen=True, slots=True)
class Window:
    """The slice ``[start, end)`` of a listing of ``total`` items that one page shows."""

    start: int
    end: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.end < self.total

    @property
    def has_previous(self) -> bool:
        return self.start > 0


def page_window(total: int, args: dict[str, Any]) -> Window:
    """Apply first/after/last/before (Relay's algorithm) and the 20-item cap."""
    first, last = args.get("first"), args.get("last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise GraphQLError(f"Argument '{name}' must be a non-negative integer, got {value}")
    start, end = 0, total
    if args.get("after") is not None:
        start = min(max(decode_cursor(args["after"]) + 1, 0), total)
    if args.get("before") is not None:
        end = max(min(decode_cursor(args["before"]), total), start)
    if first is not None:
        end = min(end, start + min(first, MAX_PAGE_SIZE))
    if last is not None:
        start = max(start, end - min(last, MAX_PAGE_SIZE))
    if first is None and last is None:
        end = min(end, start + MAX_PAGE_SIZE)
    return Window(start, end, total)
