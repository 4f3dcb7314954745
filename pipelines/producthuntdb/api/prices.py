"""What the server was seen to charge, and what it refuses: learned per query shape, kept across runs.

The real API's prices are not documented and other tools of the same application spend from
the same window, so a drop of ``X-Rate-Limit-Remaining`` across one request is the request's
price *plus* whatever the others spent meanwhile: an upper bound, never the price itself. The
book therefore keeps, per shape, the last few drops and prices the shape at their *smallest*:
a burst of foreign spend raises one observation, not the price, while a server that really
charges more shows it in every observation and moves the price after ``RECENT`` of them.

A shape is the operation, its number of top-level fields (aliases) and its page sizes
(``shape_key``). A shape never seen is priced from the ratio charged ÷ estimated of the same
operation — the largest of its recent ones: a server whose rule is not ours (nested connections
multiply) charges some shapes of one operation far more over our estimate than others, and a
shape priced too low is a 429 — else the largest ratio confirmed by two observations of any
operation (a server that charges more for one query likely does for the next), else the estimate.

The book also remembers the server's per-query complexity cap: the page sizes and the number of
aliases each operation may ask for (``sizes``, ``aliases``) once the server refused a larger
request. A refusal's complexity is never a price: the server charged nothing for it.

``dump``/``load`` turn the book into JSON for the harvest state (``source/__init__.py``), so
the next run prices its first request with what this one learned.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RECENT = 3
"""A shape's price is the smallest of its last observations: this many."""

RATIO_MIN_ESTIMATE = 20
"""Smaller queries teach no ratio: a few points of foreign spend would make it anything."""

STORED_SHAPES = 400
"""At most this many shapes are kept in the harvest state (the most recently seen)."""

BOOK_VERSION = 1
SIZE_VARIABLE = re.compile(r"^(first|last|[a-z]+First)(\d*)$")
"""Variables that set a page size: ``first``, ``first3`` (an alias's), ``postsFirst`` (a nested connection's)."""


def size_base(name: str) -> str:
    """``first3`` → ``first``: the aliases of one query share their size caps."""
    return name.rstrip("0123456789")


def shape_key(operation: str, fields: int, sizes: Mapping[str, int]) -> str:
    """``PostsPage(first=20)``, ``TopicsPosts×3(first0=20,first1=7,first2=1)``."""
    inner = ",".join(f"{name}={value}" for name, value in sorted(sizes.items()))
    return f"{operation}{f'×{fields}' if fields > 1 else ''}({inner})"


@dataclass
class PriceBook:
    """See the module docstring."""

    recent: dict[str, list[int]] = field(default_factory=dict)
    """shape → its last drops of ``Remaining`` (each the price plus any foreign spend)."""
    ratios: dict[str, list[float]] = field(default_factory=dict)
    """operation → its last ratios of charged to estimated points (the largest prices its new shapes)."""
    max_complexity: int | None = None
    """The server's per-query complexity cap, once it refused a query (not a price)."""
    sizes: dict[str, dict[str, int]] = field(default_factory=dict)
    """operation → size variable (``size_base``) → the largest value the cap lets through."""
    aliases: dict[str, int] = field(default_factory=dict)
    """operation → the most top-level fields (aliases) one request may carry under the cap."""

    # -- prices ---------------------------------------------------------------------------
    def known(self, shape: str) -> int | None:
        """The shape's price as observed (the smallest recent drop), or None if never seen."""
        seen = self.recent.get(shape)
        return min(seen) if seen else None

    def ratio(self, operation: str) -> float:
        seen = self.ratios.get(operation)
        if seen:
            return max(seen)
        confirmed = [max(values) for values in self.ratios.values() if len(values) >= 2]
        return max(confirmed) if confirmed else 1.0

    def price(self, operation: str, shape: str, estimate: int) -> int:
        """Points to budget for a request of ``shape`` that we estimate at ``estimate``."""
        known = self.known(shape)
        if known is not None:
            return known
        return max(1, math.ceil(estimate * self.ratio(operation) - 1e-9)) if estimate > 0 else 0

    def learn(self, operation: str, shape: str, estimate: int, drop: int) -> None:
        """One drop of ``Remaining`` across a request of ``shape`` (its price plus any foreign spend)."""
        if drop <= 0:
            return
        _push(self.recent.setdefault(shape, []), drop)
        self.recent[shape] = self.recent.pop(shape)  # most recently seen last: what ``dump`` keeps
        if estimate >= RATIO_MIN_ESTIMATE:
            _push(self.ratios.setdefault(operation, []), drop / estimate)

    def told(self, operation: str, shape: str, estimate: int, cost: int) -> None:
        """The server *said* what the request costs (a 429 naming it): the price, with nothing foreign in it."""
        if cost <= 0:
            return
        self.recent[shape] = [cost]
        if estimate >= RATIO_MIN_ESTIMATE:
            self.ratios[operation] = [cost / estimate]

    # -- the per-query complexity cap -------------------------------------------------------
    def refused(self, limit: int) -> None:
        """The server refused a query over its complexity cap ``limit`` (remembered, never a price)."""
        self.max_complexity = limit

    def fit_size(self, operation: str, base: str, value: int) -> None:
        caps = self.sizes.setdefault(operation, {})
        caps[base] = min(caps.get(base, value), value)

    def fit_aliases(self, operation: str, count: int) -> None:
        self.aliases[operation] = min(self.aliases.get(operation, count), max(1, count))

    def size_cap(self, operation: str, name: str) -> int | None:
        return self.sizes.get(operation, {}).get(size_base(name))

    # -- the harvest state ------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        shapes = list(self.recent)[-STORED_SHAPES:]
        return {
            "version": BOOK_VERSION,
            "shapes": {shape: min(self.recent[shape]) for shape in shapes},
            "ratios": {operation: round(max(values), 4) for operation, values in self.ratios.items()},
            "max_complexity": self.max_complexity,
            "sizes": {operation: dict(caps) for operation, caps in self.sizes.items()},
            "aliases": dict(self.aliases),
        }

    @classmethod
    def load(cls, stored: Mapping[str, Any] | None) -> PriceBook:
        """A book from ``dump``'s JSON; anything unreadable is left out (it is only a head start)."""
        book = cls()
        if not isinstance(stored, Mapping) or stored.get("version") != BOOK_VERSION:
            return book
        book.recent = {str(k): [int(v)] for k, v in _items(stored.get("shapes")) if _positive(v)}
        # a stored ratio counts as confirmed: it was seen in the run that stored it
        book.ratios = {str(k): [float(v), float(v)] for k, v in _items(stored.get("ratios")) if _positive(v)}
        limit = stored.get("max_complexity")
        book.max_complexity = int(limit) if isinstance(limit, int | float) and _positive(limit) else None
        book.sizes = {
            str(operation): {str(k): int(v) for k, v in _items(caps) if _positive(v)}
            for operation, caps in _items(stored.get("sizes"))
        }
        book.aliases = {str(k): int(v) for k, v in _items(stored.get("aliases")) if _positive(v)}
        return book


def _push(values: list[Any], value: Any) -> None:
    values.append(value)
    del values[:-RECENT]


def _items(value: Any) -> list[tuple[Any, Any]]:
    return list(value.items()) if isinstance(value, Mapping) else []


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
