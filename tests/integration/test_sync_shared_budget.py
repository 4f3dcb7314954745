"""A budget shared with others, the real API's 429s, complexity caps, prices that outlive a run (issue 20).

Every test syncs over real HTTP against the emulator: another tool of the same application
spending half of each window, 429s that are throttles rather than a spent window, a per-query
complexity cap under the nested cost rule, a second run that must start from the prices the
first one stored, and collections that fail without failing the posts harvest.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.api.queries import load_query
from producthuntdb.emulator import EmulatorServer
from producthuntdb.savedstate import stored_prices
from producthuntdb.status import collect_status
from tests.plugins.emulator import EMULATOR_TOKEN, admin
from tests.plugins.pipeline import (
    UNTHROTTLED,
    assert_complete,
    emulator_truth,
    raw_query,
    run_sync_into,
    test_settings,
)


def stats(server: EmulatorServer) -> dict[str, Any]:
    return dict(admin(server, "stats"))


def test_another_tool_spending_half_of_every_window_never_aborts_the_sync(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """The issue's first failure: the other tool's spending was taken for our price and aborted the run."""
    server = emulator_factory(scale="small", budget=6250, window_seconds=10, foreign_spend=312.5)
    settings, report = run_sync_into(tmp_path, server.url)
    counters = stats(server)
    assert report.status == "ok", report.stop_reason
    assert counters["responses_by_status"].get("429", 0) <= 2, counters
    assert_complete(settings, emulator_truth(server.base_url))
    assert counters["foreign_points"] > 0 and report.foreign_points > 0
    # what we count as ours is what the server charged us, give or take what the others spent meanwhile
    assert counters["points_spent"] <= report.points <= counters["points_spent"] + counters["foreign_points"]
    status = collect_status(settings, estimate=False)
    assert status["last_runs"][0]["foreign_points"] == report.foreign_points
    assert status["budget"]["foreign_points_last_run"] == report.foreign_points


def test_a_budget_share_beside_another_tool_takes_its_share_of_what_the_other_left(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """``--budget-share 0.5`` beside a tool taking half of each window aborted on main; now half of what
    it leaves is ours."""
    server = emulator_factory(scale="tiny", budget=6250, window_seconds=5, foreign_spend=625)
    settings, report = run_sync_into(tmp_path, server.url, budget_share=0.5)
    assert report.status == "ok", report.stop_reason
    assert stats(server)["responses_by_status"].get("429", 0) <= 2
    assert_complete(settings, emulator_truth(server.base_url))


def test_spurious_bare_429s_are_throttles_never_a_whole_window(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """429_bare at 0.1 with the default 15-minute window: back off seconds, never wait for the reset."""
    server = emulator_factory(scale="small", budget=UNTHROTTLED, fault_rate=0.1, faults=("429_bare",))
    settings, report = run_sync_into(tmp_path, server.url)
    assert report.status == "ok", report.stop_reason
    assert_complete(settings, emulator_truth(server.base_url))
    assert report.n_429 >= 10  # ~10 % of ~230 requests
    assert report.longest_wait <= 2 * 1.0 + 0.1  # the second in a row waits 2 s; none waited the window
    assert report.waited_seconds <= report.n_429 * (2 * 1.0 + 0.05)


def test_the_real_429_body_is_read_for_the_reset(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """``429_real`` names the reset only in its JSON body: the third in a row waits exactly until then."""
    server = emulator_factory(scale="tiny", window_seconds=8, fault_rate=1.0, faults=("429_real",))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            admin(server, "config", {"fault_rate": 0.0})

    governor = BudgetGovernor(sleep=sleep)
    with GraphQLClient(test_settings(tmp_path, server.url), governor) as client:
        client.execute(load_query("viewer"))
    assert governor.n_429 == 3
    assert sleeps[:2] == [pytest.approx(1.05), pytest.approx(2.05)]  # throttles: nothing of the window was ours
    assert sleeps[2] == pytest.approx(8.05)  # the body's reset_in (a whole window: none had opened), no default


@pytest.mark.parametrize(
    ("cost_model", "cap"), [("current", 300), ("nested", 0), ("nested", 300)],
    ids=["current-cap-300", "nested", "nested-cap-300"],
)
def test_complexity_caps_and_nested_prices_split_requests_and_load_everything(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer], cost_model: str, cap: int
) -> None:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, cost_model=cost_model, max_query_complexity=cap)
    settings, report = run_sync_into(tmp_path, server.url)
    counters = stats(server)
    assert report.status == "ok", report.stop_reason
    assert_complete(settings, emulator_truth(server.base_url))
    assert report.points == counters["points_spent"]  # a refusal's complexity was never counted or priced
    book = stored_prices(settings)
    assert book.max_complexity == (cap or None)
    if cap:
        assert book.sizes["PostsPage"]["first"] < 20 and book.sizes["CollectionsPage"]["postsFirst"] < 20
        assert max(min(charges) for charges in book.recent.values()) <= cap  # prices are charges, never a refusal's


def test_a_second_run_starts_from_the_prices_the_first_stored(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    """Under ``--cost-factor 3`` a posts page costs 975, not the 325 we estimate: the second run knows it
    from its first request and does not send one that the window cannot hold."""
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED, cost_factor=3)
    run_sync_into(tmp_path, server.url, max_points=8000)  # learns the prices, stops half-way
    settings = test_settings(tmp_path, server.url)
    assert stored_prices(settings).price("PostsPage", "PostsPage(first=20)", 325) == 975
    # a fresh window spent down to 400 points: room for a page as we estimate it, not as it is charged
    admin(server, "config", {"budget": 6250, "window_seconds": 600})
    with httpx.Client(headers={"Authorization": f"Bearer {EMULATOR_TOKEN}"}) as http:
        for _ in range(6):
            http.post(server.url, json={"query": load_query("posts_page")}).raise_for_status()
    before = stats(server)["responses_by_status"].get("429", 0)
    _, report = run_sync_into(tmp_path, server.url, max_points=400)
    assert report.status == "stopped" and report.stop_reason == "max_points"
    assert report.n_429 == 0 and stats(server)["responses_by_status"].get("429", 0) == before


class _FailingCollections(BaseHTTPRequestHandler):
    """A proxy in front of the emulator that answers every collections page with a GraphQL error."""

    upstream = ""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if b"CollectionsPage" in body:
            status, content = 200, json.dumps({"errors": [{"message": "Collection could not be loaded"}]}).encode()
            headers: dict[str, str] = {}
        else:
            answer = httpx.post(self.upstream, content=body, headers={"Authorization": self.headers["Authorization"]})
            status, content = answer.status_code, answer.content
            headers = {k: v for k, v in answer.headers.items() if k.lower().startswith(("x-rate-limit", "date"))}
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json", "Content-Length": str(len(content))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def failing_collections(emulator_factory: Callable[..., EmulatorServer]) -> Iterator[tuple[str, EmulatorServer]]:
    server = emulator_factory(scale="tiny", budget=UNTHROTTLED)
    handler = type("Handler", (_FailingCollections,), {"upstream": server.url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}/v2/api/graphql", server
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_collections_that_cannot_be_read_end_the_run_partial_not_failed(
    tmp_path: Path, failing_collections: tuple[str, EmulatorServer]
) -> None:
    url, server = failing_collections
    settings, report = run_sync_into(tmp_path, url, backoff_base=0.01)
    truth = emulator_truth(server.base_url)
    assert report.status == "partial" and report.stop_reason is not None
    assert report.stop_reason.startswith("collections: ") and "\n" not in report.stop_reason
    (posts,) = raw_query(settings, "select count(*) from raw.posts")[0]
    assert posts == truth["posts"]
    status = collect_status(settings, estimate=False)
    assert status["last_runs"][0]["status"] == "partial"
    assert any("partial" in gap for gap in status["gaps"])
