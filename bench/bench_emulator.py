"""Emulator throughput: pages/s of 20 posts (a dozen fields + nested topics) on one client thread.

Also reports how long each of ``--scales`` (default ``large``: the 30-second start requirement)
takes from nothing to a first served page, and the process's peak memory (< 2 GB required). Usage:
    .venv/bin/python bench/bench_emulator.py [--scale small] [--seconds 5] [--scales tiny,large]
"""

from __future__ import annotations

import argparse
import http.client
import json
import resource
import time

import httpx

from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.emulator.app import Emulator

QUERY = """
query Page($after: String) {
  posts(first: 20, order: NEWEST, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name tagline description slug url website votesCount commentsCount
      createdAt featuredAt reviewsRating userId
      topics(first: 5) { nodes { id slug } }
    }
  }
}
"""


def pages_per_second(scale: str, seconds: float) -> dict[str, float]:
    """Page through ``posts(order: NEWEST)`` over one keep-alive HTTP/1.1 connection.

    The client is stdlib ``http.client`` in the same process as the server, so client and
    server share one core (and the GIL): the figure is a floor of what the server sustains.
    """
    config = EmulatorConfig(scale=scale, budget=10**12)  # type: ignore[arg-type]
    with EmulatorServer(config) as server:
        connection = http.client.HTTPConnection(config.host, server.port, timeout=30)
        headers = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
        after: str | None = None
        pages = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            body = json.dumps({"query": QUERY, "variables": {"after": after}})
            connection.request("POST", "/v2/api/graphql", body=body, headers=headers)
            response = connection.getresponse()
            payload = json.loads(response.read())
            if response.status != 200 or "errors" in payload:
                raise RuntimeError(f"unexpected answer {response.status}: {str(payload)[:200]}")
            info = payload["data"]["posts"]["pageInfo"]
            after = info["endCursor"] if info["hasNextPage"] else None
            pages += 1
        elapsed = time.perf_counter() - started
        connection.close()
    return {"pages": pages, "seconds": round(elapsed, 2), "pages_per_second": round(pages / elapsed, 1)}


def server_ms_per_page(scale: str, pages: int = 300) -> float:
    """The server's own work per page (auth, pricing, budget, execution, JSON), without HTTP."""
    app = Emulator(EmulatorConfig(scale=scale, budget=10**12))  # type: ignore[arg-type]
    body = json.dumps({"query": QUERY, "variables": {"after": None}}).encode()
    for _ in range(20):
        app.graphql("Bearer bench", body)
    started = time.perf_counter()
    for _ in range(pages):
        app.graphql("Bearer bench", body)
    return round((time.perf_counter() - started) / pages * 1000, 3)


def start_seconds(scale: str) -> float:
    """Seconds from nothing to a served first page: world generation, bind, one request."""
    started = time.perf_counter()
    with EmulatorServer(EmulatorConfig(scale=scale)) as server:  # type: ignore[arg-type]
        response = httpx.post(server.url, json={"query": QUERY}, headers={"Authorization": "Bearer bench"})
        response.raise_for_status()
        return round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--scales", default="large", help="comma-separated scales whose start time to measure"
    )
    args = parser.parse_args()
    result: dict[str, object] = {
        "throughput": pages_per_second(args.scale, args.seconds),
        "scale": args.scale,
    }
    result["server_ms_per_page"] = server_ms_per_page(args.scale)
    result["start_seconds"] = {s: start_seconds(s) for s in args.scales.split(",") if s}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2))
    throughput = result["throughput"]
    assert isinstance(throughput, dict)
    print(f"emulator: {throughput['pages_per_second']} pages/s of 20 posts ({args.scale} world)")


if __name__ == "__main__":
    main()
