"""The GraphQL client: one pooled HTTP connection, bounded retries, the governor in front.

Every request goes through ``GraphQLClient.execute`` (or ``execute_partial``):

1. the query is priced — what the server was seen to charge for that shape, else our estimate
   (``query_cost``) scaled by what it charges over it (``api/prices.py``) — and the governor
   decides whether it may go now, must wait for the window to reset, or must not go at all
   (a run bound: ``StopRun``);
2. it is POSTed with the bearer token over a keep-alive ``httpx.Client`` with explicit
   connect/read timeouts and a ``User-Agent`` naming the project;
3. the rate headers of every response feed the governor, which counts the points really
   charged; the ``Date`` header sets ``server_clock`` (the API's time, for observations);
4. failures are sorted: HTTP 401 stops at once (``TokenRejectedError``); a GraphQL error
   without data stops with the server's message (``GraphQLQueryError``); a refusal over the
   server's per-query complexity cap splits the request (``api/split.py``: fewer aliases per
   request, smaller pages), remembers what fits for that query in the price book and never
   counts the complexity as a price — a request that cannot ask for less is retried like a
   transient failure, then raises ``QueryTooComplexError``; 5xx, HTML pages from a CDN or firewall,
   timeouts, dropped connections, malformed JSON, partial data (``execute`` only) and the
   API's transient "Oops, something went wrong" are retried ``max_retries`` times with
   exponential backoff and jitter (each retry said at INFO with its wait), then raise
   ``ApiError`` in one line — status, content type and a hint, never an HTML body;
   a 429 waits (``api/governor.py``: a throttle backs off, a spent window waits for its reset,
   read from the headers or the body's ``details.reset_in``) and does not use up a retry.

The token never appears in a message: every error text goes through ``mask``.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

import httpx
from graphql import DocumentNode, parse
from loguru import logger

from producthuntdb import __version__
from producthuntdb.api.clock import ServerClock
from producthuntdb.api.complexity import query_cost
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.api.prices import shape_key, size_base
from producthuntdb.api.split import (
    operation_name,
    parts,
    size_variables,
    smaller_sizes,
    subset,
    top_fields,
)
from producthuntdb.errors import ApiError, GraphQLQueryError, QueryTooComplexError, TokenRejectedError
from producthuntdb.settings import Settings, mask_secrets
from producthuntdb.tracing import span

USER_AGENT = f"producthuntdb/{__version__} (+https://github.com/producthuntdb/producthuntdb)"
TRANSIENT_GRAPHQL_MARKERS = ("oops, something went wrong", "internal server error", "timeout", "try again")
MAX_BACKOFF_SECONDS = 60.0
PAGE_CAP = 20
"""The API returns at most 20 items a page and charges ``first`` as requested: never ask more."""
MAX_429_PER_REQUEST = 20
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
COMPLEXITY_MESSAGE = re.compile(r"complexity of (\d+),? which exceeds max complexity of (\d+)", re.IGNORECASE)


@dataclass
class GraphQLResult:
    """A response that ran: its ``data`` (items that failed are ``null``) and the ``errors`` beside it."""

    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.errors)


class _Retry(str):
    """A failure worth another attempt; the text says what happened, in one line."""


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
        self.server_clock = ServerClock()
        self.governor = governor or BudgetGovernor(budget_share=settings.budget_share)
        self.governor.server_time = self.server_clock.epoch
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
        """Our estimate of the query's price (the complexity rule as we model it)."""
        return query_cost(_parsed(query), variables)

    def price(self, query: str, variables: Mapping[str, Any] | None = None) -> int:
        """Points to budget for this query shape: what the server charged for it, else the estimate
        scaled by what the server charges over our estimates."""
        document = _parsed(query)
        values = self._fitted(document, dict(variables or {}))
        return self.governor.prices.price(operation_name(document), _shape(document, values), self.cost(query, values))

    def fitted(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``variables`` as they will be sent: every page size within what the complexity cap lets through."""
        return self._fitted(_parsed(query), dict(variables or {}))

    def _fitted(self, document: DocumentNode, variables: dict[str, Any]) -> dict[str, Any]:
        prices, operation = self.governor.prices, operation_name(document)
        for name, value in size_variables(document, variables).items():
            cap = prices.size_cap(operation, name)
            if cap is not None and value > cap:
                variables[name] = cap
        return variables

    def fit_first(self, query: str, variables: Mapping[str, Any] | None = None, minimum: int = 4) -> int:
        """The page size (``$first``) to ask for now: 20 (or what the complexity cap lets through),
        or fewer to spend a window's last points.

        A page of ``n`` costs ``overhead + n * item``; when the window (or ``max_points``) has
        room for at least ``minimum`` items but not for 20, asking for what fits uses points
        that would otherwise be left unused while waiting for the reset.
        """
        cap = self.governor.prices.size_cap(operation_name(_parsed(query)), "first")
        largest = min(PAGE_CAP, cap) if cap is not None else PAGE_CAP
        room = self.governor.room()
        full = self.price(query, {**(variables or {}), "first": largest})
        if room is None or room >= full or largest <= minimum:
            return largest
        one = self.price(query, {**(variables or {}), "first": 1})
        item = -(-(full - one) // (largest - 1))
        fits = (room - (one - item)) // item if item > 0 else largest
        if not minimum <= fits < largest:
            return largest
        while fits >= minimum and self.price(query, {**(variables or {}), "first": fits}) > room:
            fits -= 1
        return int(fits) if fits >= minimum else largest

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of one request, complete: partial answers are retried, then raise."""
        return self._run(query, variables, allow_partial=False).data

    def execute_partial(self, query: str, variables: Mapping[str, Any] | None = None) -> GraphQLResult:
        """The ``data`` of one request with the ``errors`` beside it: failed items are ``null``.

        For callers that can keep the good items of a page and set the bad ones aside
        (see ``api/narrow.py``). A response without data still raises ``GraphQLQueryError``.
        """
        return self._run(query, variables, allow_partial=True)

    def _run(self, query: str, variables: Mapping[str, Any] | None, allow_partial: bool) -> GraphQLResult:
        document = _parsed(query)
        operation = operation_name(document)
        prices = self.governor.prices
        values = self._fitted(document, dict(variables or {}))
        fields = len(top_fields(document))
        most = prices.aliases.get(operation)
        if most is not None and fields > most:
            return self._in_parts(document, values, most, allow_partial)
        body = {"query": query, "variables": values}
        failures = n_429 = 0
        while True:
            estimate = self.cost(query, values)
            shape = _shape(document, values)
            price = prices.price(operation, shape, estimate)
            self.governor.before(price)
            outcome = self._attempt(body, operation, shape, estimate, price, allow_partial)
            if isinstance(outcome, GraphQLResult):
                return outcome
            if isinstance(outcome, QueryTooComplexError):
                prices.refused(outcome.limit)  # what fits is remembered; the complexity is no price
                if fields > 1:
                    prices.fit_aliases(operation, parts(fields, outcome.cost, outcome.limit))
                    logger.info(
                        "{} is over the API's complexity cap ({} > {}): sent {} aliases a request",
                        operation, outcome.cost, outcome.limit, prices.aliases[operation],
                    )
                    return self._in_parts(document, values, prices.aliases[operation], allow_partial)
                smaller = smaller_sizes(size_variables(document, values), outcome.cost, outcome.limit)
                if smaller is not None:
                    for name, value in smaller.items():
                        prices.fit_size(operation, size_base(name), value)
                    logger.info(
                        "{} is over the API's complexity cap ({} > {}): page sizes {}",
                        operation, outcome.cost, outcome.limit, smaller,
                    )
                    values.update(smaller)
                    continue
                if failures + 1 > self.max_retries:
                    raise outcome  # said every time: the query must ask for less
                problem = str(outcome)
            elif outcome == "429":
                n_429 += 1
                if n_429 > MAX_429_PER_REQUEST:
                    raise ApiError(f"the API kept answering HTTP 429 ({n_429} times in a row) at {self.url}")
                continue
            else:
                problem = str(outcome)
            failures += 1
            if failures > self.max_retries:
                raise ApiError(self.mask(f"the API failed {failures} times in a row at {self.url}: {problem}"))
            self.retries += 1
            wait = min(MAX_BACKOFF_SECONDS, self.backoff_base * 2 ** (failures - 1)) * (0.5 + random.random())
            logger.info("retry {}/{} in {:.2f}s: {}", failures, self.max_retries, wait, self.mask(problem))
            self.governor.check_deadline(wait)
            self._sleep(wait)

    def _in_parts(
        self, document: DocumentNode, variables: dict[str, Any], size: int, allow_partial: bool
    ) -> GraphQLResult:
        """The request sent as parts of at most ``size`` top-level fields, their answers merged."""
        count = len(top_fields(document))
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for start in range(0, count, size):
            text, values = subset(document, range(start, min(start + size, count)), variables)
            result = self._run(text, values, allow_partial)
            data.update(result.data)
            errors += result.errors
        return GraphQLResult(data, errors)

    def _attempt(
        self, body: dict[str, Any], operation: str, shape: str, estimate: int, price: int, allow_partial: bool,
    ) -> GraphQLResult | _Retry | QueryTooComplexError:
        """One HTTP exchange: a result, ``"429"``, a retryable failure, or a complexity refusal."""
        with span("api.request", cost=price) as current:
            try:
                response = self._http.post(self.url, content=json.dumps(body))
            except httpx.TimeoutException as exc:
                return _Retry(f"timeout ({exc.__class__.__name__})")
            except httpx.TransportError as exc:
                return _Retry(f"connection error ({exc.__class__.__name__})")
            if current is not None:
                current.set_attribute("http.status_code", response.status_code)
        self.server_clock.observe(response.headers)
        status = response.status_code

        def settle(ran: bool) -> None:
            self.governor.settle(response.headers, estimate, price, ran, operation, shape)

        if status == 401:
            raise TokenRejectedError("the API rejected the token (HTTP 401): check PRODUCTHUNT_TOKEN")
        if status == 429:
            details = _rate_details(response)
            cost = details.get("cost")
            if isinstance(cost, int) and not isinstance(cost, bool):  # the emulator names the price it refused
                self.governor.prices.told(operation, shape, estimate, cost)
            reset_in = details.get("reset_in")
            self.governor.on_429(response.headers, float(reset_in) if isinstance(reset_in, int | float) else None)
            return _Retry("429")
        if not _is_json(response):
            settle(False)
            # A CDN, proxy or firewall answered for the API: worth retrying, never worth printing.
            return _Retry(_describe_foreign(response))
        if status >= 500:
            settle(False)
            return _Retry(f"HTTP {status}")
        if status != 200:
            settle(False)
            detail = _json_errors(response)
            raise ApiError(self.mask(f"the API answered HTTP {status} at {self.url}" + (f": {detail}" if detail else "")))
        try:
            payload = response.json()
        except (ValueError, UnicodeDecodeError):
            settle(False)
            return _Retry("malformed JSON in the response")
        if not isinstance(payload, dict):
            settle(False)
            return _Retry("malformed response (not a JSON object)")
        errors = payload.get("errors")
        raw_data = payload.get("data")
        data: dict[str, Any] | None = raw_data if isinstance(raw_data, dict) else None
        settle(data is not None)
        if errors:
            message = _error_message(errors)
            matched = COMPLEXITY_MESSAGE.search(message)
            if matched:
                cost, limit = int(matched.group(1)), int(matched.group(2))
                return QueryTooComplexError(
                    self.mask(f"the API refused {operation} as too complex (complexity {cost}, its cap is {limit})"),
                    cost, limit,
                )
            if any(marker in message.lower() for marker in TRANSIENT_GRAPHQL_MARKERS):
                return _Retry(f"GraphQL error: {message}")
            if data is None:
                raise GraphQLQueryError(self.mask(f"the API refused the query: {message}"), _error_list(errors))
            if not allow_partial:
                return _Retry(f"partial response: {message}")
            return GraphQLResult(data, _error_list(errors))
        if data is None:
            return _Retry("malformed response (no data)")
        return GraphQLResult(data)


def _shape(document: DocumentNode, variables: Mapping[str, Any]) -> str:
    """What decides a query's price: the operation, its aliases and its page sizes."""
    return shape_key(operation_name(document), len(top_fields(document)), size_variables(document, variables))


def _rate_details(response: httpx.Response) -> dict[str, Any]:
    """A 429 body's ``errors[0].details`` (the real API's: limit, remaining, reset_in), or nothing."""
    try:
        details = response.json()["errors"][0]["details"]
    except (ValueError, KeyError, IndexError, TypeError):
        return {}
    return details if isinstance(details, dict) else {}


def _is_json(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "json" in kind or (not kind and response.content[:1] in (b"{", b"["))


def _describe_foreign(response: httpx.Response) -> str:
    """One line about a non-JSON answer: status, content type, size and what it likely is."""
    kind = response.headers.get("content-type", "no content type").split(";")[0].strip()
    size = len(response.content)
    status = response.status_code
    if status == 403:
        hint = "a firewall or CDN block page, not the API: check the network, VPN or proxy, or try later"
    elif status == 429:
        hint = "a rate limit in front of the API"
    elif status >= 500:
        hint = "a proxy or CDN error page: the API is down or unreachable"
    else:
        hint = "not the API's JSON: check PRODUCTHUNT_API_URL"
    return f"HTTP {status} ({kind}, {size} bytes): {hint}"


def _json_errors(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(payload, dict) and payload.get("errors"):
        return _error_message(payload["errors"])[:200]
    if isinstance(payload, dict) and payload.get("error"):
        return str(payload["error"])[:200]
    return ""


def _error_list(errors: Any) -> list[dict[str, Any]]:
    if isinstance(errors, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    return [{"message": str(errors)}]


def _error_message(errors: Any) -> str:
    if isinstance(errors, list):
        parts = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        return "; ".join(parts)[:500]
    return str(errors)[:500]
