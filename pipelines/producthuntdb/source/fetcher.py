"""The requests of a harvest: one ``Fetcher`` between the resources and the API (client, governor, stop reason).

Every request of every resource goes through ``Fetcher.fetch`` (the ``GraphQLClient`` and its
budget governor below it), which counts it. A run bound (``StopRun``) or an API failure does not
raise through dlt's extract: ``fetch`` records it (``stop_reason``, ``error``) and answers
``None``, the resources end where they are, and the rows fetched so far are loaded with their
position before the run stops (or fails) — no point is wasted. A failure inside
``optional(part)`` (the collections) is recorded in ``partial`` instead: that part ends, the rest
of the run goes on, and the run ends ``partial``. How many pages go into one load is not the
fetcher's business (``helpers.ChunkLimits``, used by ``sync``'s chunk loop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger

from producthuntdb.api.client import PAGE_CAP, GraphQLClient, GraphQLResult
from producthuntdb.api.governor import StopRun
from producthuntdb.api.queries import load_query
from producthuntdb.errors import (
    GraphQLQueryError,
    ProductHuntDBError,
    QueryTooComplexError,
    TokenRejectedError,
)


@dataclass
class Stats:
    """Counters of one run (the progress bar and the run report)."""

    pages: int = 0
    post_pages: int = 0
    expected_post_pages: int | None = None
    posts_full: int = 0
    posts_refreshed: int = 0
    quarantined: int = 0
    """Posts set aside by this run (found bad, or retried and still bad): ``raw._quarantine``."""
    gaps: int = 0
    missing: int = 0
    """Windows this run closed with fewer posts than the API listed, and how many: ``raw._gaps``."""


@dataclass(kw_only=True)
class Fetcher:
    """The API as the resources see it; see the module docstring."""

    client: GraphQLClient
    on_page: Callable[[Stats], None] | None = None
    stats: Stats = field(default_factory=Stats)
    stop_reason: str | None = None
    error: ProductHuntDBError | None = None
    partial: dict[str, str] = field(default_factory=dict)
    """Parts of the harvest that failed without failing the run (part → the error, one line)."""
    asked: int = PAGE_CAP
    """The page size (``$first``) of the last request: a page shorter than asked is doubtful (``guards.py``)."""
    _optional: str | None = None

    def api_now(self) -> datetime:
        """Now on the API's clock (its ``Date`` header): the time of a metric observation, so that it
        lines up with the ``createdAt`` the same API reports (the machine's clock may be skewed)."""
        return self.client.server_clock.now()

    @property
    def interrupted(self) -> bool:
        """The run must end: a bound was reached or the API failed."""
        return self.stop_reason is not None or self.error is not None

    @contextmanager
    def optional(self, part: str) -> Iterator[None]:
        """Requests whose failure ends ``part`` only: recorded in ``partial``, the run goes on."""
        self._optional = part
        try:
            yield
        finally:
            self._optional = None

    def fetch(
        self, name: str, variables: dict[str, Any] | None = None, *, query: str | None = None, elastic: bool = False
    ) -> dict[str, Any] | None:
        """The data of one request, or None when the run must stop (the reason is recorded).

        ``elastic``: a page of 20 items, or what fits in the window's last points.
        """
        result = self._request(name, variables, query=query, elastic=elastic, partial=False)
        return result.data if result is not None else None

    def fetch_partial(self, name: str, variables: dict[str, Any] | None = None) -> GraphQLResult | None:
        """Like ``fetch``, for a caller that can set bad items aside (``source/quarantine.py``):
        a partial answer comes back with its errors, and a GraphQL error without data (other
        than the complexity limit) raises ``GraphQLQueryError`` instead of ending the run."""
        return self._request(name, variables, query=None, elastic=False, partial=True)

    def _request(
        self, name: str, variables: dict[str, Any] | None, *, query: str | None, elastic: bool, partial: bool
    ) -> GraphQLResult | None:
        if self.interrupted:
            return None
        text = query or load_query(name)
        variables = dict(variables or {})
        try:
            if elastic:
                variables["first"] = self.client.fit_first(text, variables)
            variables = self.client.fitted(text, variables)  # the page size the complexity cap lets through
            self.asked = int(variables.get("first") or PAGE_CAP)
            result = (
                self.client.execute_partial(text, variables) if partial
                else GraphQLResult(self.client.execute(text, variables))
            )
        except StopRun as stop:
            self.stop_reason = stop.reason
            return None
        except GraphQLQueryError as exc:
            if partial and not isinstance(exc, QueryTooComplexError):
                self._count(name, variables)
                raise
            self.fail(exc)
            return None
        except ProductHuntDBError as exc:
            self.fail(exc)
            return None
        self._count(name, variables)
        return result

    def fail(self, exc: ProductHuntDBError) -> None:
        """The run fails with ``exc`` — or, inside ``optional(part)``, only that part does."""
        part = self._optional
        if part is None or isinstance(exc, TokenRejectedError):
            self.error = exc
            return
        self.partial[part] = " ".join(str(exc).split())[:300]
        logger.warning("{} could not be read ({}): the run goes on without them and ends partial; the next "
                       "sync tries again", part, self.partial[part])

    def _count(self, name: str, variables: dict[str, Any]) -> None:
        self.stats.pages += 1
        logger.debug("page {} ({}) {}", self.stats.pages, name, variables)
        if self.on_page:
            self.on_page(self.stats)
