"""Unstorable values, isolated per post: repaired where the meaning is plain, else the post is set aside.

One value that DuckDB, Parquet or dlt cannot hold used to fail the whole chunk, on every run:
a lone surrogate in a name (``str is not valid UTF-8``), a count beyond 64 bits (``Integer
exceeds 64-bit range``), a ``createdAt`` that is no timestamp (a bare ``StopIteration`` deep in
dlt). ``screen_post`` looks at one post node before it is yielded:

* a lone surrogate becomes U+FFFD and the post's ``repaired`` column names the field — the
  rest of the text is what the API sent, and nothing else could be meant;
* an integer outside 64 bits, a non-finite number, a ``createdAt`` or ``featuredAt`` that does
  not parse, a missing ``createdAt`` or one before Product Hunt existed or far in the future:
  the post cannot be stored as it is, and nothing says what was meant — it is quarantined
  with the reason (``quarantine.set_aside``), the rest of its page loads, and later runs try
  it again like any quarantined post. No page is fetched again because of it.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from producthuntdb.source.helpers import ts

INT64 = (-(2**63), 2**63 - 1)
TIMESTAMPS = ("createdAt", "featuredAt")
EARLIEST = datetime.fromisoformat("2013-01-01T00:00:00+00:00")
"""Before this no post can have been created (Product Hunt launched in November 2013)."""
FUTURE = timedelta(days=2)
"""A post created this far past the API's own clock is absurd, not clock skew."""
_SURROGATE = re.compile("[\ud800-\udfff]")


class Unstorable(ValueError):
    """A value of a post that no destination can hold and no repair can mean."""


def screen_post(node: dict[str, Any], now: datetime) -> tuple[dict[str, Any] | None, str | None]:
    """``(node, None)`` to load (repaired and flagged when needed), or ``(None, why)`` to quarantine."""
    repaired: list[str] = []
    try:
        clean = _clean(node, "", repaired)
        _check_times(clean, now)
    except Unstorable as why:
        return None, str(why)
    if repaired:
        clean["repaired"] = ", ".join(sorted(set(repaired)))
    return clean, None


def _clean(value: Any, path: str, repaired: list[str]) -> Any:
    if isinstance(value, str):
        if _SURROGATE.search(value) is None:
            return value
        repaired.append(path)
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise Unstorable(f"{path} is {value}, beyond 64 bits")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Unstorable(f"{path} is {value}")
        return value
    if isinstance(value, dict):
        return {key: _clean(item, f"{path}.{key}" if path else key, repaired) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item, path, repaired) for item in value]
    return value


def _check_times(node: dict[str, Any], now: datetime) -> None:
    for name in TIMESTAMPS:
        if name not in node:
            continue
        value = node[name]
        if value is None:
            if name == "createdAt":
                raise Unstorable("createdAt is null")
            continue
        try:
            when = ts(value) if isinstance(value, str) else None
        except ValueError:
            when = None
        if when is None:
            raise Unstorable(f"{name} {str(value)[:40]!r} is not a timestamp")
        if when < EARLIEST or when > now + FUTURE:
            raise Unstorable(f"{name} {value} is absurd")
