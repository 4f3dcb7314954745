"""Shared pieces of the benchmarks: the emulator, its admin endpoints, child-process stages, a table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from producthuntdb.telemetry import TELEMETRY_OFF

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
TOKEN = "bench-token-0123456789abcdef"
UNTHROTTLED = 10**12
"""A budget no run can spend: the emulator still charges and counts, but never paces or 429s."""

os.environ.update(TELEMETRY_OFF)


@contextmanager
def emulator(
    scale: str, budget: int = UNTHROTTLED, window_seconds: float = 900.0, seed: int = 42, **config: Any
) -> Iterator[Any]:
    """An in-process emulator on a free loopback port, stopped on exit (``config``: more EmulatorConfig fields)."""
    from producthuntdb.emulator import EmulatorConfig, EmulatorServer

    server = EmulatorServer(
        EmulatorConfig(seed=seed, scale=scale, budget=budget, window_seconds=window_seconds, **config)  # type: ignore[arg-type]
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def admin_get(server: Any, path: str) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/_emulator/{path}", timeout=30.0)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def admin_post(server: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server.base_url}/_emulator/{path}", json=body, timeout=30.0)
    response.raise_for_status()
    data: dict[str, Any] = response.json() if response.content else {}
    return data


def points_spent(server: Any) -> int:
    return int(admin_get(server, "stats")["points_spent"])


def status_count(server: Any, status: int) -> int:
    return int(admin_get(server, "stats").get("responses_by_status", {}).get(str(status), 0))


def run_stage(stage: str, **spec: Any) -> dict[str, Any]:
    """Run ``bench/stage.py`` for ``stage`` in a child process; its JSON result (with peak RSS)."""
    payload = json.dumps(
        {"stage": stage, **{k: str(v) if isinstance(v, Path) else v for k, v in spec.items()}}
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH / "stage.py"), payload],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **TELEMETRY_OFF},
        timeout=1800,
    )
    wall = time.perf_counter() - started
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("BENCH-RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
            result["wall_s"] = wall
            return result
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"stage": stage, "ok": False, "error": f"exit {done.returncode}: {tail[0][:300]}", "wall_s": wall}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(title: str, rows: list[tuple[str, Any, str]]) -> None:
    """Plain-text table: figure, value, note (target or baseline)."""
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(fmt(r[1])) for r in rows)
    print(f"\n{title}")
    print("-" * min(width + vwidth + 30, 110))
    for name, value, note in rows:
        text = fmt(value)
        cell = f"{text:<{vwidth}}" if isinstance(value, str) else f"{text:>{vwidth}}"
        print(f"{name:<{width}}  {cell}  {note}".rstrip())


def emulator_throughput(scale: str = "small", seconds: float = 5.0) -> dict[str, Any]:
    """``bench/bench_emulator.py``'s figures (pages/s of 20 posts), run in its own process."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_emulator.py"), "--scale", scale, "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    text = done.stdout
    try:
        data: dict[str, Any] = json.loads(text[: text.rindex("}") + 1])
    except ValueError:
        tail = (done.stderr or text).strip().splitlines()[-1:] or ["no output"]
        return {"error": f"exit {done.returncode}: {tail[0][:300]}"}
    return data
