"""``producthuntdb doctor --calibrate``: what each query the harvester sends really costs on this API.

The real API's prices are not documented (``shared/reference/API_FACTS.md``); a sync learns
them as it goes, but its first window is priced from our estimates. Calibrating sends every query
shape the harvester uses once — cheapest first, each built from what the earlier ones returned
(a post id, a topic slug, a collection id) — and prints, per shape, our estimate, what the server
charged us and what other tools of the same application spent meanwhile (``api/governor.py``
tells the two apart; three 2-point requests first, the last after a pause, measure the others'
rate). The result is stored in the
working file's harvest state, where the next sync starts from it.

It announces, before the first request, the most it will spend: three times the shapes' prices
as known now (the stored book, else our estimates). It never sends a shape whose price, scaled by
the largest ratio charged ÷ estimated seen so far, would take the spending past that bound: on a
server pricier than that, the shapes that do not fit are listed as not sent, and said in one line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor, StopRun
from producthuntdb.api.queries import load_query
from producthuntdb.errors import ProductHuntDBError
from producthuntdb.savedstate import stored_prices
from producthuntdb.settings import Settings
from producthuntdb.sync import store_prices

HEADROOM = 3.0
"""The announced bound is this many times the shapes' prices as known before the first request."""

PAUSE_SECONDS = 1.0
"""Before the last of the probes: what ``Remaining`` loses meanwhile is the others' rate."""

PROBE = "topics_total"
PROBES = 3
"""A first reading of the window, a price, and one more after a pause."""

Context = dict[str, Any]

SHAPES: tuple[tuple[str, Callable[[Context], dict[str, Any] | None]], ...] = (
    ("topics_total", lambda c: {}),
    ("posts_total", lambda c: {}),
    ("newest_post", lambda c: {}),
    ("viewer", lambda c: {}),
    ("user", lambda c: {"id": c["user"]} if "user" in c else None),
    ("topics_page", lambda c: {}),
    ("topic_total", lambda c: {"topic": c["topic"]} if "topic" in c else None),
    ("topic_posts", lambda c: {"topic": c["topic"], "first": 20} if "topic" in c else None),
    ("posts_ids", lambda c: {"first": 20}),
    ("post_counts", lambda c: {"first": 20}),
    ("posts_page", lambda c: {"first": 20}),
    ("post", lambda c: {"id": c["post"]} if "post" in c else None),
    ("post_votes", lambda c: {"id": c["post"]} if "post" in c else None),
    ("post_comments", lambda c: {"id": c["post"]} if "post" in c else None),
    ("collections_page", lambda c: {}),
    ("collection_posts", lambda c: {"id": c["collection"]} if "collection" in c else None),
)
"""Every query the harvester sends, cheapest first; each builds its variables from what came back."""


@dataclass
class Measured:
    """One shape: our estimate, what the server charged us, what the others spent meanwhile."""

    query: str
    estimate: int
    charged: int | None = None
    foreign: int | None = None
    note: str = ""


@dataclass
class Calibration:
    announced: int
    spent: int = 0
    foreign: int = 0
    shapes: list[Measured] = field(default_factory=list)
    stopped: str | None = None
    stored_in: str | None = None


def run_calibration(settings: Settings, announce: Callable[[int, int], None] = lambda shapes, points: None) -> Calibration:
    """Send each query shape once (see the module docstring); ``announce(shapes, points)`` is called
    with the bound before the first request."""
    governor = BudgetGovernor(budget_share=settings.budget_share, prices=stored_prices(settings))
    with GraphQLClient(settings, governor) as client:
        known = sum(client.price(load_query(name), build(_SAMPLE) or {}) for name, build in SHAPES)
        known += PROBES * client.price(load_query(PROBE))
        calibration = Calibration(announced=math.ceil(known * HEADROOM))
        announce(len(SHAPES), calibration.announced)
        try:
            for probe in range(PROBES):
                if probe == PROBES - 1:
                    time.sleep(PAUSE_SECONDS)
                client.execute(load_query(PROBE))
        except StopRun as stop:
            calibration.stopped = stop.reason
        context: Context = {}
        ratio = 1.0
        for name, build in SHAPES if calibration.stopped is None else ():
            variables = build(context)
            query = load_query(name)
            measured = Measured(name, client.cost(query, variables or {}))
            calibration.shapes.append(measured)
            if variables is None:
                measured.note = "skipped: nothing to ask it about (an earlier shape returned nothing)"
                continue
            predicted = max(client.price(query, variables), math.ceil(measured.estimate * ratio))
            if governor.points + predicted > calibration.announced:
                calibration.stopped = calibration.stopped or (
                    f"{name} would take the spending past the announced {calibration.announced} points"
                )
                measured.note = f"not sent: ~{predicted} points would pass the announced {calibration.announced}"
                continue
            points, foreign = governor.points, governor.foreign_points
            try:
                data = client.execute(query, variables)
            except StopRun as stop:
                calibration.stopped = stop.reason
                break
            except ProductHuntDBError as exc:
                measured.note = f"failed: {exc}"
                continue
            measured.charged, measured.foreign = governor.points - points, governor.foreign_points - foreign
            if measured.estimate and measured.charged:
                ratio = max(ratio, measured.charged / measured.estimate)
            _remember(context, name, data)
        calibration.spent, calibration.foreign = governor.points, governor.foreign_points
    store_prices(settings, governor.prices)
    calibration.stored_in = str(settings.db_path)
    return calibration


_SAMPLE: Context = {"user": "0", "topic": "tech", "post": "0", "collection": "0"}
"""Stand-in ids, only to price the shapes before the first request."""


def _remember(context: Context, name: str, data: dict[str, Any]) -> None:
    """Ids the later shapes need, from an answer."""
    if name == "viewer":
        user = (data.get("viewer") or {}).get("user") or {}
        if user.get("id"):
            context["user"] = user["id"]
    nodes = ((data.get(_ROOTS.get(name, "")) or {}).get("nodes")) or []
    if nodes and name in _ROOTS:
        context[_KEYS[name]] = nodes[0]["slug" if name == "topics_page" else "id"]


_ROOTS = {"topics_page": "topics", "posts_page": "posts", "collections_page": "collections"}
_KEYS = {"topics_page": "topic", "posts_page": "post", "collections_page": "collection"}


def describe(measured: Measured) -> str:
    """One line per shape, for the console."""
    if measured.charged is None:
        return f"{measured.query}: estimate {measured.estimate} — {measured.note}"
    ratio = f" (×{measured.charged / measured.estimate:.2f})" if measured.estimate else ""
    return (
        f"{measured.query}: estimate {measured.estimate}, charged {measured.charged}{ratio}, "
        f"foreign {measured.foreign}"
    )
