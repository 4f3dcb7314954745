"""The emulator's request handling, without the socket: auth, faults, prices, caps, budget, execution.

Order of checks on the GraphQL endpoint: auth (401) → latency → body → fault draw →
parse/validate (HTTP 200 with ``errors``, no charge) → price (``emulator/pricing.py``, the
server's own rule) → per-query cap (``max_query_complexity``: HTTP 200 with the real API's
"exceeds max complexity" error, no charge) → budget (429, no charge) → execute and charge. Every GraphQL response
carries the three ``X-Rate-Limit-*`` headers, except the faults that model a CDN, a firewall
or a bare 429; every response carries a ``Date`` from the world's clock.

Apart from ``server.py`` (the HTTP transport) so that benchmarks and tests can call it in process.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from typing import Any

import producthuntdb.emulator.faults as fault_shapes
from producthuntdb.emulator.clock import Clock, iso, parse_datetime
from producthuntdb.emulator.config import EmulatorConfig
from producthuntdb.emulator.engine import Engine
from producthuntdb.emulator.faults import (
    BIG_INT,
    GRAPHQL_ERROR_BODY,
    MALFORMED_BODY,
    POSTS_FAULTS,
    FaultInjector,
    bad_value_posts,
    poisoned_posts,
)
from producthuntdb.emulator.limits import Quota, RateLimiter
from producthuntdb.emulator.pricing import Pricer
from producthuntdb.emulator.resolvers import BIG_COUNT_SENTINEL, Ctx
from producthuntdb.emulator.world import World
from producthuntdb.errors import ConfigError

GRAPHQL_PATH = "/v2/api/graphql"
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
MAX_BODY = 1 << 20


def dumps(value: Any) -> bytes:
    """Compact, deterministic JSON: same world, same query → same bytes."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (--bad-value-posts): sent as JSON's \\ud800 escape
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def error_body(message: str, **extra: Any) -> bytes:
    return dumps({"errors": [{"message": message, **extra}]})


def _too_complex(complexity: int, cap: int) -> str:
    """The real API's refusal of a query over its per-query cap (HTTP 200, no data, not charged)."""
    return f"Query has complexity of {complexity}, which exceeds max complexity of {cap}"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    """Close the socket without answering (the ``reset`` fault)."""


class Stats:
    """Counters for ``/_emulator/stats``; a lock because handlers run on many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.points_spent = 0
            self.by_status: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()

    def count(self, status: int | None = None, points: int = 0, fault: str | None = None) -> None:
        with self._lock:
            if status is not None:
                self.by_status[str(status)] += 1
            self.points_spent += points
            if fault is not None:
                self.faults[fault] += 1

    def started(self) -> None:
        with self._lock:
            self.requests += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "points_spent": self.points_spent,
                "responses_by_status": dict(sorted(self.by_status.items())),
                "faults_injected": sum(self.faults.values()),
                "faults_by_kind": dict(sorted(self.faults.items())),
            }


class Emulator:
    """The application: world, clock, budget, faults and stats, independent of the socket layer."""

    def __init__(self, config: EmulatorConfig, world: World | None = None) -> None:
        self.config = config
        self.world = world or World(config.seed, config.scale, config.now)
        self.engine = Engine(self.world, cost_model=config.cost_model, cost_factor=config.cost_factor)
        self.clock = Clock(config.now)
        self.poison = poisoned_posts(self.world, self.clock.now, config.seed, config.poison_posts)
        self.bad_values = bad_value_posts(
            self.world, self.clock.now, config.seed, config.bad_value_posts, self.poison
        )
        self.limiter = RateLimiter(config.budget, config.window_seconds, foreign_spend=config.foreign_spend)
        self.faults = FaultInjector(config.seed, config.fault_rate, config.faults)
        self.stats = Stats()
        self.stopping = threading.Event()

    # ------------------------------------------------------------------ GraphQL
    def graphql(self, authorization: str | None, raw: bytes) -> Reply:
        self.stats.started()
        try:
            reply = self._graphql(authorization, raw)
        except Exception as error:  # a bug in the emulator must still answer like a server would
            reply = self._json(
                500, error_body(f"Emulator internal error: {error.__class__.__name__}: {error}")
            )
        if not reply.drop:
            self.stats.count(reply.status)
        return reply

    def _json(self, status: int, body: bytes, quota: Quota | None = None) -> Reply:
        return Reply(status, body, (quota or self.limiter.peek()).headers())

    def date_header(self) -> dict[str, str]:
        """The ``Date`` header, from the world's clock: the one clock a client should trust."""
        return {"Date": formatdate(self.clock.now, usegmt=True)}

    def _graphql(self, authorization: str | None, raw: bytes) -> Reply:
        if not self._authorized(authorization):
            return self._json(401, error_body("Invalid or missing access token", error="invalid_oauth_token"))
        latency = self.config.latency_ms
        if latency and self.stopping.wait(latency / 1000):
            return Reply(503, drop=True)
        try:
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            return self._json(400, error_body("The request body is not valid JSON"))
        fault = self.faults.draw()
        if fault is not None:
            self.stats.count(fault=fault)
            reply = self._fault(fault)
            if reply is not None:
                return reply
        prepared = self.engine.prepare(body)
        if prepared.document is None:
            return self._json(200, dumps({"errors": prepared.errors}))
        cap = self.config.max_query_complexity
        if cap and prepared.complexity > cap:
            return self._json(200, error_body(_too_complex(prepared.complexity, cap)))
        if fault == "complexity":
            return self._json(200, error_body(_too_complex(prepared.cost, max(1, prepared.cost - 1))))
        allowed, quota = self.limiter.try_spend(prepared.cost)
        if not allowed:
            return self._json(
                429,
                error_body(
                    "Rate limit reached: this query costs more complexity points than remain in the window",
                    error="rate_limit_reached",
                    details={
                        "limit": quota.limit,
                        "remaining": quota.remaining,
                        "reset_in": quota.reset,
                        "cost": prepared.cost,
                    },
                ),
                quota,
            )
        now = self.clock.now
        ctx = Ctx(
            self.world,
            now,
            self.world.moment(now),
            self.config.redaction,
            self.poison,
            self.config.redacted_lookups,
            self.bad_values,
            ignore_dates=fault == "ignore_dates",
        )
        response, ran = self.engine.execute(prepared, body, ctx)
        if ran:
            self.stats.count(points=prepared.cost)
        else:
            quota = self.limiter.refund(prepared.cost)
        if fault == "partial" and ran:
            response = fault_shapes.break_one_node(response)
        elif fault == "cursor_loop" and ran:
            response = fault_shapes.loop_cursors(response, prepared.document, body.get("variables") or {})
        elif fault in POSTS_FAULTS and ran:
            response = fault_shapes.alter_posts(fault, response)
        answer = dumps(response)
        if self.bad_values:  # GraphQL's Int is 32-bit: the value beyond 64 bits goes in after serializing
            answer = answer.replace(
                b'"commentsCount":%d' % BIG_COUNT_SENTINEL, b'"commentsCount":%d' % BIG_INT
            )
        reply = self._json(200, answer, quota)
        if fault == "epoch_reset":
            reply.headers["X-Rate-Limit-Reset"] = str(now + quota.reset)
        return reply

    def _authorized(self, authorization: str | None) -> bool:
        if not authorization:
            return False
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        return self.config.token is None or token == self.config.token

    def _fault(self, kind: str) -> Reply | None:
        """The reply a fault sends instead of the answer; None when the answer follows (``slow``)."""
        if kind in ("500", "502", "503"):
            messages = {"500": "Internal Server Error", "502": "Bad Gateway", "503": "Service Unavailable"}
            return self._json(int(kind), error_body(messages[kind]))
        if kind == "graphql_error":
            return self._json(200, dumps(GRAPHQL_ERROR_BODY))
        if kind == "malformed":
            return self._json(200, MALFORMED_BODY)
        if kind == "reset":
            return Reply(0, drop=True)
        if kind == "timeout":
            if self.stopping.wait(self.config.timeout_seconds):
                return Reply(0, drop=True)
            return self._json(504, error_body("Gateway Timeout"))
        if kind == "slow":
            if self.stopping.wait(self.config.slow_seconds):
                return Reply(0, drop=True)
            return None
        if kind == "html_502":
            return Reply(502, fault_shapes.CDN_502_HTML, {"Content-Type": HTML_TYPE})
        if kind == "waf_403":
            return Reply(403, fault_shapes.WAF_403_HTML, {"Content-Type": HTML_TYPE})
        if kind == "429_bare":
            return Reply(429, error_body("Too Many Requests"))
        if kind == "retry_after":
            return Reply(429, error_body("Too Many Requests"), {"Retry-After": "1"})
        if kind == "429_real":
            return self._real_429()
        if kind in ("epoch_reset", "partial", "complexity", "cursor_loop", "ignore_dates", *POSTS_FAULTS):
            return None  # the request runs; its answer is altered after pricing or execution
        raise AssertionError(kind)

    def _real_429(self) -> Reply:
        """The real API's 429 (producthunt-api #292, #336): its JSON body names the limit, a negative
        remaining and when the window resets (``reset_in``); the headers say only that it is spent."""
        quota = self.limiter.peek()
        details = {"limit": quota.limit, "remaining": -50, "reset_in": quota.reset}
        body = {
            "data": None,
            "errors": [
                {
                    "error": "rate_limit_reached",
                    "error_description": "Sorry. You have exceeded the API rate limit, please try again later.",
                    "details": details,
                }
            ],
        }
        return Reply(
            429, dumps(body), {"X-Rate-Limit-Limit": str(quota.limit), "X-Rate-Limit-Remaining": "0"}
        )

    # ------------------------------------------------------------------ admin
    def admin(self, method: str, path: str, raw: bytes) -> Reply:
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            return Reply(400, error_body("The request body is not valid JSON"))
        if not isinstance(payload, dict):
            return Reply(400, error_body("The request body must be a JSON object"))
        route = path.rstrip("/")
        try:
            if route == "/_emulator/stats" and method == "GET":
                return Reply(
                    200,
                    dumps(
                        {
                            **self.stats.snapshot(),
                            "foreign_points": round(self.limiter.foreign_points),
                            "documents_cached": len(self.engine._documents),
                            "now": iso(self.clock.now),
                        }
                    ),
                )
            if route == "/_emulator/stats" and method == "DELETE":
                self.stats.reset()
                self.limiter.foreign_points = 0.0
                return Reply(200, dumps(self.stats.snapshot()))
            if route == "/_emulator/truth" and method == "GET":
                now = self.clock.now
                return Reply(200, dumps(self.world.truth(now)))
            if route == "/_emulator/clock":
                return self._clock(method, payload)
            if route == "/_emulator/config":
                return self._configure(method, payload)
            if route == "/_emulator/health" and method == "GET":
                return Reply(200, dumps({"ok": True}))
        except (ValueError, TypeError, ConfigError) as error:
            return Reply(400, error_body(str(error)))
        return Reply(404, error_body(f"No route for {method} {path}"))

    def _clock(self, method: str, payload: dict[str, Any]) -> Reply:
        if method == "POST":
            if "advance_seconds" in payload:
                seconds = payload["advance_seconds"]
                if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                    raise ValueError("advance_seconds must be a number")
                self.clock.advance(seconds)
            elif "now" in payload:
                self.clock.set(parse_datetime(str(payload["now"])))
            else:
                raise ValueError('POST /_emulator/clock needs {"advance_seconds": N} or {"now": ISO}')
        now = self.clock.now
        return Reply(200, dumps({"now": iso(now), "posts": self.world.moment(now).posts}))

    def _configure(self, method: str, payload: dict[str, Any]) -> Reply:
        if method == "POST":
            known = {
                "budget",
                "window_seconds",
                "fault_rate",
                "faults",
                "latency_ms",
                "timeout_seconds",
                "slow_seconds",
                "cost_model",
                "cost_factor",
                "poison_posts",
                "redacted_lookups",
                "foreign_spend",
                "max_query_complexity",
                "bad_value_posts",
            }
            unknown = set(payload) - known
            if unknown:
                raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
            faults = payload.get("faults", self.config.faults)
            if isinstance(faults, str):
                faults = [part.strip() for part in faults.split(",") if part.strip()]
            candidate = EmulatorConfig(
                **{
                    **asdict(self.config),
                    **{k: v for k, v in payload.items() if k != "faults"},
                    "faults": tuple(faults),
                }
            )
            self.config = candidate
            if "budget" in payload or "window_seconds" in payload or "foreign_spend" in payload:
                self.limiter.reconfigure(candidate.budget, candidate.window_seconds, candidate.foreign_spend)
            if "fault_rate" in payload or "faults" in payload:
                self.faults.configure(candidate.fault_rate, candidate.faults)
            if "cost_model" in payload or "cost_factor" in payload:
                self.engine.pricer = Pricer(self.engine.schema, candidate.cost_model, candidate.cost_factor)
            if "poison_posts" in payload:
                self.poison = poisoned_posts(
                    self.world, self.clock.now, candidate.seed, candidate.poison_posts
                )
            if "poison_posts" in payload or "bad_value_posts" in payload:
                self.bad_values = bad_value_posts(
                    self.world, self.clock.now, candidate.seed, candidate.bad_value_posts, self.poison
                )
        c = self.config
        return Reply(
            200,
            dumps(
                {
                    "seed": c.seed,
                    "scale": c.scale,
                    "budget": c.budget,
                    "window_seconds": c.window_seconds,
                    "fault_rate": c.fault_rate,
                    "faults": list(c.faults),
                    "latency_ms": c.latency_ms,
                    "timeout_seconds": c.timeout_seconds,
                    "slow_seconds": c.slow_seconds,
                    "cost_model": c.cost_model,
                    "cost_factor": c.cost_factor,
                    "poison_posts": c.poison_posts,
                    "foreign_spend": c.foreign_spend,
                    "max_query_complexity": c.max_query_complexity,
                    "poisoned_post_ids": sorted(int(self.world.post_ids[i]) for i in self.poison),
                    "bad_value_posts": c.bad_value_posts,
                    "bad_value_post_ids": {
                        str(self.world.post_ids[i]): kind for i, kind in sorted(self.bad_values.items())
                    },
                    "redaction": c.redaction,
                    "redacted_lookups": c.redacted_lookups,
                    "token_required": c.token is not None,
                }
            ),
        )
