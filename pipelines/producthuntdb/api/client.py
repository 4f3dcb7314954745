"""The GraphQL client: one pooled HTTP connection, bounded retries, the governor in front.

Every request goes through ``GraphQLClient.execute``:

1. the query is priced with ``query_cost`` and the governor decides whether it may go now,
   must wait for the window to reset, or must not go at all (a run bound: ``StopRun``);
2. it is POSTed with the bearer token over a keep-alive ``httpx.Client`` with explicit
   connect/read timeouts and a ``User-Agent`` naming the project;
3. the ``X-Rate-Limit-*`` headers of every response feed the governor;
4. failures are sorted: HTTP 401 stops at once (``TokenRejectedError``); a GraphQL
   validation error stops with the server's message (``GraphQLQueryError``); 5xx, timeouts,
   dropped connections, malformed JSON and the API's transient "Oops, something went wrong"
   are retried ``max_retries`` times with exponential backoff and jitter, then raise
   ``ApiError``; a 429 waits for the reset (it does not use up a retry).

The token never appears in a message: every error text goes through ``mask``.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

import httpx
from graphql import DocumentNode, parse
from loguru import logger

from producthuntdb import __version__
from producthuntdb.api.complexity import query_cost
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.errors import ApiError, GraphQLQueryError, TokenRejectedError
from producthuntdb.settings import Settings, mask_secrets
from producthuntdb.tracing import span

USER_AGENT = f"producthuntdb/{__version__} (+https://github.com/producthuntdb/producthuntdb)"
TRANSIENT_GRAPHQL_MARKERS = ("oops, something went wrong", "internal server error", "timeout", "try again")
MAX_BACKOFF_SECONDS = 60.0
PAGE_CAP = 20
"""The API returns at most 20 items a page and charges ``first`` as requested: never ask more."""
MAX_429_PER_REQUEST = 20
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@lru_cache(maxsize=64)
def _parsed(query: str) -> DocumentNode:
    return parse(query)


def default_backoff_base(api_url: str) -> float:
    """Seconds of the first retry wait: short against a local emulator, polite against the API."""
    host = urlparse(api_url).hostname or ""
    return 0.05 if host in LOCAL_HOSTS else 1.0


class GraphQLClient:
    """Sends GraphQL requests to ``settings.api_url``; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        governor: BudgetGovernor | None = None,
        *,
        backoff_base: float | None = None,
        max_retries: int | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.url = settings.api_url
        self.governor = governor or BudgetGovernor(budget_share=settings.budget_share)
        self.max_retries = settings.max_retries if max_retries is None else max_retries
        self.backoff_base = default_backoff_base(self.url) if backoff_base is None else backoff_base
        self.retries = 0
        self._sleep = sleep
        self._secrets = [s for s in settings.secrets() if s]
        token = settings.token_value()
        timeout = httpx.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout,
            write=settings.read_timeout, pool=settings.connect_timeout,
        )
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def mask(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        return mask_secrets(text, self._secrets)

    def cost(self, query: str, variables: Mapping[str, Any] | None = None) -> int:
        return query_cost(_parsed(query), variables)

    def fit_first(self, query: str, variables: Mapping[str, Any] | None = None, minimum: int = 4) -> int:
        """The page size (``$first``) to ask for now: 20, or fewer to spend a window's last points.

        A page of ``n`` costs ``overhead + n * item``; when the window (or ``max_points``) has
        room for at least ``minimum`` items but not for 20, asking for what fits uses points
        that would otherwise be left unused while waiting for the reset.
        """
        room = self.governor.room()
        full = self.cost(query, {**(variables or {}), "first": PAGE_CAP})
        if room is None or room >= full:
            return PAGE_CAP
        one = self.cost(query, {**(variables or {}), "first": 1})
        item = (full - one) // (PAGE_CAP - 1)
        fits = (room - (one - item)) // item if item > 0 else PAGE_CAP
        return int(fits) if minimum <= fits < PAGE_CAP else PAGE_CAP

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of one request; raises the errors described in the module docstring."""
        cost = self.cost(query, variables)
        body = {"query": query, "variables": dict(variables or {})}
        failures = 0
        n_429 = 0
        while True:
            self.governor.before(cost)
            problem = self._attempt(body, cost)
            if isinstance(problem, dict):
                return problem
            if problem == "429":
                n_429 += 1
                if n_429 > MAX_429_PER_REQUEST:
                    raise ApiError(f"the API kept answering HTTP 429 ({n_429} times in a row) at {self.url}")
                continue
            failures += 1
            if failures > self.max_retries:
                raise ApiError(self.mask(f"the API failed {failures} times in a row at {self.url}: {problem}"))
            self.retries += 1
            wait = min(MAX_BACKOFF_SECONDS, self.backoff_base * 2 ** (failures - 1)) * (0.5 + random.random())
            logger.debug("retry {}/{} in {:.2f}s: {}", failures, self.max_retries, wait, self.mask(problem))
            self.governor.check_deadline(wait)
            self._sleep(wait)

    def _attempt(self, body: dict[str, Any], cost: int) -> dict[str, Any] | str:
        """One HTTP exchange: the data, ``"429"``, or a description of a retryable failure."""
        with span("api.request", cost=cost) as current:
            try:
                response = self._http.post(self.url, content=json.dumps(body))
            except httpx.TimeoutException as exc:
                return f"timeout ({exc.__class__.__name__})"
            except httpx.TransportError as exc:
                return f"connection error ({exc.__class__.__name__})"
            if current is not None:
                current.set_attribute("http.status_code", response.status_code)
        self.governor.observe(response.headers)
        status = response.status_code
        if status == 401:
            raise TokenRejectedError("the API rejected the token (HTTP 401): check PRODUCTHUNT_TOKEN")
        if status == 429:
            self.governor.on_429(response.headers)
            return "429"
        if status >= 500:
            return f"HTTP {status}"
        if status != 200:
            raise ApiError(self.mask(f"the API answered HTTP {status} at {self.url}: {response.text[:200]}"))
        try:
            payload = response.json()
        except (ValueError, UnicodeDecodeError):
            return "malformed JSON in the response"
        if not isinstance(payload, dict):
            return "malformed response (not a JSON object)"
        errors = payload.get("errors")
        if errors:
            message = _error_message(errors)
            if any(marker in message.lower() for marker in TRANSIENT_GRAPHQL_MARKERS):
                return f"GraphQL error: {message}"
            raise GraphQLQueryError(self.mask(f"the API refused the query: {message}"))
        data = payload.get("data")
        if not isinstance(data, dict):
            return "malformed response (no data)"
        self.governor.charged(cost)
        return data


def _error_message(errors: Any) -> str:
    if isinstance(errors, list):
        parts = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        return "; ".join(parts)[:500]
    return str(errors)[:500]
