"""``make bench``: every benchmark against the emulator, side by side with its baseline.

Prints a table and writes ``bench/results.json``. Benchmarks report; they never pass or fail.
Timing figures come with a baseline measured in the same run (dlt's own floor, the ideal
harvest time), because these machines are shared and noisy.

Per size (``small``, ``medium``) on an unthrottled emulator (it charges and counts points but
never makes anyone wait):
  * points per post of a full harvest: ours (``run_sync``), the naive harvester and the original
    ProductHuntDB query shape (``bench/baselines.py``);
  * extract+normalize+load rows/s of our sync vs a plain dlt pipeline loading the same rows from
    memory (``dlt_floor``, in dlt's default load files), and vs the same floor in the Parquet
    files our sync writes into DuckDB (``dlt_floor_same_format``);
  * a sync with nothing new and one after a day of new posts: points and seconds — the day's sync
    with the sweep of older posts' counts (``source/sweep.py``) and, on a copy, without it;
  * the posts pages alone with and without ``thumbnail``/``productLinks``: points per post;
  * ``dbt build`` and gate seconds; peak RSS of every stage (each runs in its own process);
  * the time from "gate passed" to "served file swapped" (``gate_to_swap_s``), and the latency of
    a reader querying the served file every 0.2 s while build → check → serve run again
    (``reader_ms``: idle p50 vs during-run p50/p95/max, and any failed query).
The same full sync and ``dbt build`` on a throwaway PostgreSQL server (``bench_postgres.py``),
per ``--postgres-sizes`` (default ``medium``), beside the DuckDB figures of the same size.
On ``small`` only, under a compressed window (6,250 points per 10 s): a full backfill's share of
the available budget, its 429s, and its wall time over the ideal (points ÷ budget rate) — the
*price matrix*: once per server pricing rule (``current`` × 0.5, 1 and 3, ``legacy-nodes``,
``nested``), each alone and beside another tool of the same application spending half of every
window (``--foreign-spend``), side by side with the points per post, 429s, budget use and the
foreign points (issue 20).

    python bench/run_all.py [--sizes small,medium] [--window-seconds 10] [--out bench/results.json]
    python bench/run_all.py --only price-matrix      # the price matrix alone
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import BASELINES, harvest
from bench_postgres import bench_postgres
from common import (
    ROOT,
    TOKEN,
    admin_get,
    admin_post,
    emulator,
    emulator_throughput,
    points_spent,
    print_table,
    ratio,
    run_stage,
    status_count,
)
from producthuntdb.warehouse.targets import LOADER_FILE_FORMATS

SYNC_FILE_FORMAT = LOADER_FILE_FORMATS["duckdb"]
"""The load files our sync writes into DuckDB."""
READER_IDLE_S = 3.0
"""How long the reader runs before the refresh starts: its idle latency is the baseline."""
REAL_BUDGET = 6250
DAY = 86_400
TARGETS = {
    "ours_vs_naive": "≤ 0.30",
    "budget_use": "≥ 0.94",
    "n_429": "= 0",
    "harvest_time_over_ideal": "≤ 1.05",
    "load_vs_floor": "≥ 0.60",
    "peak_rss_mb_sync_medium": "< 1024",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _sync(server: Any, data_dir: Path, settings: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """Run our sync in a child process; add the points the emulator charged for it."""
    before = points_spent(server)
    result = run_stage(
        "sync", data_dir=data_dir, api_url=server.url, token=TOKEN, options=options, settings=settings or {}
    )
    result["points"] = points_spent(server) - before
    if not result.get("ok"):
        log(f"  sync failed: {result.get('error')}")
    return result


def bench_baselines(server: Any, figures: dict[str, Any]) -> None:
    for name, query in BASELINES.items():
        before = points_spent(server)
        try:
            result = harvest(server.url, name, query, token=TOKEN)
        except Exception as exc:  # a baseline that cannot run is reported, not fatal
            log(f"  {name} harvester failed: {exc}")
            figures[f"{name}_error"] = str(exc)[:200]
            continue
        points = points_spent(server) - before
        figures[f"{name}_points_per_post"] = ratio(points, result.posts)
        figures[f"{name}_page_cost"] = result.query_cost
        figures[f"{name}_posts"] = result.posts
        figures[f"{name}_seconds"] = result.seconds
        log(f"  {name}: {result.posts} posts, {result.pages} pages, {points:,} points")


def bench_post_fields(server: Any, figures: dict[str, Any]) -> None:
    """Every post paged with our posts query, with and without the thumbnail and product links
    (``--with media``): what those two fields cost a post, charged by the emulator."""
    from producthuntdb.api.queries import load_query

    for name, query_name in (("posts_pages", "posts_page_media"), ("posts_pages_lean", "posts_page")):
        query = load_query(query_name).replace("$cursor", "$after")  # baselines.harvest pages with $after
        before = points_spent(server)
        result = harvest(server.url, name, query, token=TOKEN)
        figures[f"{name}_points_per_post"] = ratio(points_spent(server) - before, result.posts)
        figures[f"{name}_page_cost"] = result.query_cost
    log(
        f"  posts pages: {figures['posts_pages_points_per_post']:.2f} points a post with thumbnail and links, "
        f"{figures['posts_pages_lean_points_per_post']:.2f} without"
    )


def bench_size(size: str, work: Path) -> dict[str, Any]:
    """Every figure that runs on an unthrottled emulator, for one world size."""
    figures: dict[str, Any] = {"peak_rss_mb": {}}
    data = work / size
    with emulator(size) as server:
        truth = admin_get(server, "truth")
        figures["world_posts"] = truth.get("posts")
        log(f"{size}: world of {truth.get('posts')} posts; baselines")
        bench_baselines(server, figures)
        bench_post_fields(server, figures)

        log(f"{size}: our full sync (unthrottled)")
        full = _sync(server, data)
        figures["peak_rss_mb"]["sync"] = full.get("peak_rss_mb")
        if full.get("ok"):
            posts = full["raw_rows"].get("posts", 0)
            figures["posts_loaded"] = posts
            figures["rows_loaded"] = full["rows"]
            figures["full_sync_points"] = full["points"]
            figures["full_sync_s"] = full["seconds"]
            figures["points_per_post"] = ratio(full["points"], posts)
            figures["rows_per_s"] = ratio(full["rows"], full["seconds"])
            for name in BASELINES:
                figures[f"ours_vs_{name}"] = ratio(
                    figures["points_per_post"], figures.get(f"{name}_points_per_post")
                )

            log(f"{size}: plain dlt floor on the same rows")
            floor = run_stage(
                "dlt_floor", source_db=data / "work" / "producthunt.duckdb", data_dir=work / f"{size}-floor"
            )
            figures["peak_rss_mb"]["dlt_floor"] = floor.get("peak_rss_mb")
            if floor.get("ok"):
                figures["dlt_floor_rows_per_s"] = floor["rows_per_s"]
                figures["load_vs_floor"] = ratio(figures["rows_per_s"], floor["rows_per_s"])
            else:
                log(f"  dlt floor failed: {floor.get('error')}")
            log(f"{size}: plain dlt floor in our sync's load files ({SYNC_FILE_FORMAT})")
            same = run_stage(
                "dlt_floor",
                source_db=data / "work" / "producthunt.duckdb",
                data_dir=work / f"{size}-floor-{SYNC_FILE_FORMAT}",
                loader_file_format=SYNC_FILE_FORMAT,
            )
            if same.get("ok"):
                figures["dlt_floor_same_format_rows_per_s"] = same["rows_per_s"]
                figures["load_vs_floor_same_format"] = ratio(figures["rows_per_s"], same["rows_per_s"])

            log(f"{size}: sync with nothing new")
            noop = _sync(server, data)
            figures["noop_sync_points"] = noop["points"] if noop.get("ok") else None
            figures["noop_sync_s"] = noop.get("seconds")
            figures["noop_vs_full_points"] = ratio(figures["noop_sync_points"], full["points"])

            log(f"{size}: one day of new posts, with the sweep of older counts and (on a copy) without")
            shutil.copytree(data, work / f"{size}-no-sweep")
            admin_post(server, "clock", {"advance_seconds": DAY})
            day = _sync(server, data)
            lean_day = _sync(server, work / f"{size}-no-sweep", settings={"sweep_share": 0.0})
            figures["one_day_sync_points"] = day["points"] if day.get("ok") else None
            figures["one_day_sync_s"] = day.get("seconds")
            figures["one_day_vs_full_points"] = ratio(figures["one_day_sync_points"], full["points"])
            if day.get("ok") and lean_day.get("ok"):
                swept = day["raw_rows"].get("post_metrics", 0) - lean_day["raw_rows"].get("post_metrics", 0)
                figures["one_day_sync_points_no_sweep"] = lean_day["points"]
                figures["sweep_points"] = day["points"] - lean_day["points"]
                figures["sweep_posts"] = swept
                figures["sweep_points_per_post"] = ratio(figures["sweep_points"], swept)
            figures["peak_rss_mb"]["sync_incremental"] = max(
                noop.get("peak_rss_mb") or 0, day.get("peak_rss_mb") or 0
            )
        else:
            figures["sync_error"] = full.get("error")

    if (
        figures.get("rows_loaded")
        and _stage_figures(figures, size, "build", "dbt build", "dbt_build_s", data)
        and _stage_figures(figures, size, "gate", "quality gate", "gate_s", data)
        and _stage_figures(figures, size, "serve", "serve (gate passed → served file swapped)", "gate_to_swap_s", data)
    ):
        bench_readers(figures, size, data)
    return figures


def bench_readers(figures: dict[str, Any], size: str, data: Path) -> None:
    """Query latency of a reader of the served file, idle and while build → check → serve run."""
    stop = data / "reader.stop"
    stop.unlink(missing_ok=True)
    out = data / "reader.jsonl"
    log(f"{size}: reader latency, idle then during build → check → serve")
    with out.open("w", encoding="utf-8") as handle:
        reader = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "reader.py"), str(data / "producthunt.duckdb"), str(stop)],
            stdout=handle,
            text=True,
        )
        try:
            time.sleep(READER_IDLE_S)
            idle_lines = len(out.read_text("utf-8").splitlines())
            refresh = run_stage("refresh", data_dir=data)
        finally:
            stop.touch()
            reader.wait(timeout=60)
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    idle, during = lines[:idle_lines], lines[idle_lines:]
    figures["reader_ms"] = {
        "idle_p50": _percentile([x["ms"] for x in idle if "ms" in x], 50),
        "run_p50": _percentile([x["ms"] for x in during if "ms" in x], 50),
        "run_p95": _percentile([x["ms"] for x in during if "ms" in x], 95),
        "run_max": _percentile([x["ms"] for x in during if "ms" in x], 100),
        "queries_during_run": len(during),
        "failed_queries": sum(1 for x in lines if "error" in x),
    }
    figures["refresh_s"] = refresh.get("seconds") if refresh.get("ok") else None
    figures["refresh_gate_to_swap_s"] = refresh.get("gate_to_swap_s") if refresh.get("ok") else None
    if not refresh.get("ok"):
        figures["refresh_error"] = refresh.get("error")


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)], 1)


def _stage_figures(figures: dict[str, Any], size: str, stage: str, label: str, key: str, data: Path) -> bool:
    """Run one stage in its own process; record its seconds (as ``key``), peak RSS and any error."""
    log(f"{size}: {label}")
    result = run_stage(stage, data_dir=data)
    figures[key] = result.get("seconds") if result.get("ok") else None
    figures["peak_rss_mb"][stage] = result.get("peak_rss_mb")
    if not result.get("ok"):
        figures[f"{stage}_error"] = result.get("error")
        log(f"  {stage} failed: {result.get('error')}")
    return bool(result.get("ok"))


PRICE_RULES = {
    "current": ("current", 1.0),
    "current x0.5": ("current", 0.5),
    "current x3": ("current", 3.0),
    "legacy-nodes": ("legacy-nodes", 1.0),
    "nested": ("nested", 1.0),
}
"""The server's pricing rules the client must adapt to (issues 13 and 20): the throttled backfill runs under each."""
FOREIGN_SHARE = 0.5
"""In the matrix's shared rows, another tool of the same application spends this share of every window."""


def bench_budget(
    size: str, work: Path, window_seconds: float, cost_model: str = "current", cost_factor: float = 1.0,
    foreign_share: float = 0.0,
) -> dict[str, Any]:
    """A full backfill under a compressed window: budget share used, 429s, time over the ideal."""
    foreign_spend = REAL_BUDGET * foreign_share / window_seconds
    figures: dict[str, Any] = {
        "budget": REAL_BUDGET, "window_seconds": window_seconds, "cost_model": cost_model, "cost_factor": cost_factor,
        "foreign_spend": foreign_spend,
    }
    with emulator(
        size, budget=REAL_BUDGET, window_seconds=window_seconds, cost_model=cost_model, cost_factor=cost_factor,
        foreign_spend=foreign_spend,
    ) as server:
        log(
            f"{size}: backfill under {REAL_BUDGET} points per {window_seconds:g} s, {cost_model} x{cost_factor:g}"
            + (f", another tool spending {foreign_spend:g} points/s" if foreign_spend else "")
        )
        run = _sync(server, work / f"{size}-throttled-{cost_model}-{cost_factor:g}-{foreign_share:g}")
        n_429 = status_count(server, 429)
        figures["foreign_points"] = admin_get(server, "stats").get("foreign_points", 0)
    figures["n_429"] = n_429
    figures["peak_rss_mb"] = run.get("peak_rss_mb")
    if not run.get("ok"):
        figures["error"] = run.get("error")
        return figures
    points, seconds = run["points"], run["seconds"]
    rate = REAL_BUDGET / window_seconds
    windows = math.floor(seconds / window_seconds) + 1  # every window the run touched, the last one whole
    figures.update(
        points=points,
        seconds=seconds,
        posts_loaded=run["raw_rows"].get("posts", 0),
        points_per_post=ratio(points, run["raw_rows"].get("posts", 0)),
        ideal_s=points / rate,
        windows=windows,
        budget_use=points / (REAL_BUDGET * windows),
        harvest_time_over_ideal=seconds / (points / rate) if points else None,
        status=run["report"].get("status"),
        stop_reason=run["report"].get("stop_reason"),
        window_use=_mean(run["report"].get("window_usage") or []),
        window_use_min=min(run["report"].get("window_usage") or [0.0]),
        reported_points=run["report"].get("points"),
        reported_vs_charged=ratio(run["report"].get("points"), points),
        reported_foreign_points=run["report"].get("foreign_points"),
        longest_wait_s=run["report"].get("longest_wait"),
    )
    return figures


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def bench_price_matrix(size: str, work: Path, window_seconds: float) -> dict[str, Any]:
    """The throttled backfill under each pricing rule, alone and beside another tool, side by side."""
    matrix: dict[str, Any] = {}
    for foreign in (0.0, FOREIGN_SHARE):
        for label, (model, factor) in PRICE_RULES.items():
            name = label if not foreign else f"{label} + foreign {foreign:g}"
            matrix[name] = bench_budget(size, work, window_seconds, model, factor, foreign)
    return matrix


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The top-level keys the README and the issue name, from the per-size figures."""
    sizes: dict[str, dict[str, Any]] = results["sizes"]
    first = sizes.get("small") or next(iter(sizes.values()), {})
    largest = sizes.get("medium") or first
    budget = results.get("budget", {})
    top: dict[str, Any] = {
        "points_per_post": first.get("points_per_post"),
        "naive_points_per_post": first.get("naive_points_per_post"),
        "original_points_per_post": first.get("original_points_per_post"),
        "ours_vs_naive": first.get("ours_vs_naive"),
        "ours_vs_original": first.get("ours_vs_original"),
        "budget_use": budget.get("budget_use"),
        "n_429": budget.get("n_429"),
        "harvest_time_over_ideal": budget.get("harvest_time_over_ideal"),
        "rows_per_s": largest.get("rows_per_s"),
        "dlt_floor_rows_per_s": largest.get("dlt_floor_rows_per_s"),
        "load_vs_floor": largest.get("load_vs_floor"),
        "load_vs_floor_same_format": largest.get("load_vs_floor_same_format"),
        "dbt_build_s": {size: f.get("dbt_build_s") for size, f in sizes.items()},
        "gate_s": {size: f.get("gate_s") for size, f in sizes.items()},
        "gate_to_swap_s": {size: f.get("gate_to_swap_s") for size, f in sizes.items()},
        "reader_ms": {size: f.get("reader_ms") for size, f in sizes.items()},
        "noop_sync_points": {size: f.get("noop_sync_points") for size, f in sizes.items()},
        "one_day_sync_points": {size: f.get("one_day_sync_points") for size, f in sizes.items()},
        "one_day_sync_points_no_sweep": {size: f.get("one_day_sync_points_no_sweep") for size, f in sizes.items()},
        "sweep_points_per_post": first.get("sweep_points_per_post"),
        "posts_pages_points_per_post": first.get("posts_pages_points_per_post"),
        "posts_pages_lean_points_per_post": first.get("posts_pages_lean_points_per_post"),
        "peak_rss_mb": {size: f.get("peak_rss_mb") for size, f in sizes.items()},
        "emulator_pages_per_s": ((results.get("emulator") or {}).get("throughput") or {}).get(
            "pages_per_second"
        ),
    }
    if budget:
        top["peak_rss_mb"]["throttled_backfill"] = budget.get("peak_rss_mb")
    top["warehouse"] = {
        size: {
            "postgres_rows_per_s": f.get("rows_per_s"),
            "duckdb_rows_per_s": sizes.get(size, {}).get("rows_per_s"),
            "postgres_dbt_build_s": f.get("dbt_build_s"),
            "duckdb_dbt_build_s": sizes.get(size, {}).get("dbt_build_s"),
        }
        for size, f in (results.get("postgres") or {}).items()
    }
    return top


def report(results: dict[str, Any]) -> None:
    top = results
    rows: list[tuple[str, Any, str]] = [
        ("points/post, ours", top["points_per_post"], "small world, full harvest"),
        ("points/post, naive harvester", top["naive_points_per_post"], "first: 50, every field"),
        (
            "points/post, original ProductHuntDB",
            top["original_points_per_post"],
            "3,805 points per page of 20",
        ),
        (
            "points/post, posts pages with / without thumbnail+links",
            " / ".join(f"{v:.2f}" if isinstance(v, float) else "—" for v in (
                top.get("posts_pages_points_per_post"), top.get("posts_pages_lean_points_per_post"))),
            "the two fields cost 5 points a post",
        ),
        ("ours / naive", top["ours_vs_naive"], f"target {TARGETS['ours_vs_naive']}"),
        ("ours / original", top["ours_vs_original"], ""),
        ("budget use", top["budget_use"], f"target {TARGETS['budget_use']} (6,250 pts / window)"),
        ("429s received", top["n_429"], f"target {TARGETS['n_429']}"),
        (
            "harvest time / ideal",
            top["harvest_time_over_ideal"],
            f"target {TARGETS['harvest_time_over_ideal']}",
        ),
        ("rows/s, our sync", top["rows_per_s"], "largest size, unthrottled emulator"),
        ("rows/s, plain dlt from memory", top["dlt_floor_rows_per_s"], "the library's floor"),
        ("ours / dlt floor", top["load_vs_floor"], f"target {TARGETS['load_vs_floor']}"),
        ("ours / dlt floor in our load files", top.get("load_vs_floor_same_format"), SYNC_FILE_FORMAT),
    ]
    throughput = (results.get("emulator") or {}).get("throughput") or {}
    rows.append(("emulator pages/s (20 posts each)", throughput.get("pages_per_second"), "one client thread"))
    print_table("ProductHuntDB benchmarks", rows)
    per_size: list[tuple[str, Any, str]] = []
    for size, f in results["sizes"].items():
        rss = f.get("peak_rss_mb") or {}
        per_size += [
            (f"{size}: posts in world / loaded", f"{f.get('world_posts')} / {f.get('posts_loaded')}", ""),
            (
                f"{size}: points/post ours, naive, original",
                " / ".join(
                    f"{v:.1f}" if isinstance(v, float) else "—"
                    for v in (
                        f.get("points_per_post"),
                        f.get("naive_points_per_post"),
                        f.get("original_points_per_post"),
                    )
                ),
                "",
            ),
            (
                f"{size}: full sync points, s",
                f"{f.get('full_sync_points')} pts, {f.get('full_sync_s') or 0:.1f} s",
                "",
            ),
            (
                f"{size}: rows/s ours vs floor",
                f"{f.get('rows_per_s') or 0:,.0f} vs {f.get('dlt_floor_rows_per_s') or 0:,.0f}",
                "",
            ),
            (
                f"{size}: no-op sync points, s",
                f"{f.get('noop_sync_points')} pts, {f.get('noop_sync_s') or 0:.1f} s",
                "",
            ),
            (
                f"{size}: one-day sync points, s",
                f"{f.get('one_day_sync_points')} pts, {f.get('one_day_sync_s') or 0:.1f} s",
                "with the sweep of older counts",
            ),
            (
                f"{size}: one-day sync points without the sweep",
                f"{f.get('one_day_sync_points_no_sweep')} pts; the sweep: {f.get('sweep_points')} pts for "
                f"{f.get('sweep_posts')} posts ({f.get('sweep_points_per_post') or 0:.2f} a post)",
                "PRODUCTHUNT_SWEEP_SHARE=0 on a copy",
            ),
            (
                f"{size}: dbt build s, gate s",
                f"{f.get('dbt_build_s') or 0:.1f} / {f.get('gate_s') or 0:.1f}",
                "",
            ),
            (
                f"{size}: gate passed → served file swapped, s",
                f"{f.get('gate_to_swap_s') or 0:.2f} (in a run: {f.get('refresh_gate_to_swap_s') or 0:.2f})",
                "",
            ),
            (
                f"{size}: reader ms idle p50 / run p50, p95, max",
                " / ".join(str((f.get("reader_ms") or {}).get(k)) for k in ("idle_p50", "run_p50", "run_p95", "run_max"))
                + f" ({(f.get('reader_ms') or {}).get('failed_queries')} failed)",
                "",
            ),
            (f"{size}: peak RSS MiB", ", ".join(f"{k} {v}" for k, v in rss.items()), ""),
        ]
        for key in ("sync_error", "build_error", "gate_error", "serve_error", "refresh_error", "naive_error", "original_error"):
            if f.get(key):
                per_size.append((f"{size}: {key}", f[key], ""))
    if per_size:
        print_table("Per size", per_size)
    warehouse: list[tuple[str, Any, str]] = []
    for size, f in (results.get("warehouse") or {}).items():
        warehouse += [
            (
                f"{size}: sync rows/s PostgreSQL vs DuckDB",
                f"{f.get('postgres_rows_per_s') or 0:,.0f} vs {f.get('duckdb_rows_per_s') or 0:,.0f}",
                "same world, same process layout",
            ),
            (
                f"{size}: dbt build s PostgreSQL vs DuckDB",
                f"{f.get('postgres_dbt_build_s') or 0:.1f} vs {f.get('duckdb_dbt_build_s') or 0:.1f}",
                "4 threads vs 1 (DuckDB has one writer)",
            ),
        ]
    for size, f in (results.get("postgres") or {}).items():
        for key in ("error", "sync_error", "build_error"):
            if f.get(key):
                warehouse.append((f"{size}: postgres {key}", f[key], ""))
    if warehouse:
        print_table("On a warehouse (PostgreSQL)", warehouse)
    budget = results.get("budget") or {}
    if budget:
        print_table(
            "Throttled backfill",
            [
                (k, budget.get(k), "")
                for k in (
                    "points",
                    "seconds",
                    "ideal_s",
                    "windows",
                    "budget_use",
                    "n_429",
                    "harvest_time_over_ideal",
                    "peak_rss_mb",
                    "status",
                    "error",
                )
                if budget.get(k) is not None
            ],
        )


def report_price_matrix(results: dict[str, Any]) -> None:
    models = results.get("price_matrix") or {}
    if not models:
        return
    keys = (
        "points_per_post", "n_429", "budget_use", "foreign_points", "reported_foreign_points", "window_use",
        "reported_vs_charged", "harvest_time_over_ideal", "longest_wait_s", "status",
    )
    rows = [(f"{label}: {key}", figures.get(key), "") for label, figures in models.items() for key in keys]
    print_table(
        "Price matrix: the throttled backfill under each server pricing rule, alone and beside another tool "
        "(points are what the server charged us; foreign what the other tool spent)", rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="small,medium", help="comma separated: tiny, small, medium")
    parser.add_argument("--budget-size", default="small", help="world of the throttled backfill ('' to skip)")
    parser.add_argument("--window-seconds", type=float, default=10.0, help="compressed rate-limit window")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--emulator-seconds", type=float, default=5.0, help="emulator throughput run (0 skips)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--postgres-sizes", default="medium", help="sizes also run on a throwaway PostgreSQL ('' to skip)"
    )
    parser.add_argument(
        "--only", choices=("price-matrix",), default=None,
        help="run one part alone (price-matrix: the throttled backfills, on --budget-size)",
    )
    args = parser.parse_args(argv)
    if args.only == "price-matrix":
        args.sizes = args.postgres_sizes = ""
        args.emulator_seconds = 0
        args.budget_size = args.budget_size or "small"

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="producthuntdb-bench-"))
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sizes": {},
    }
    try:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            results["sizes"][size] = bench_size(size, work)
        for size in [s.strip() for s in args.postgres_sizes.split(",") if s.strip()]:
            results.setdefault("postgres", {})[size] = bench_postgres(size, work, log)
        if args.budget_size:
            results["price_matrix"] = bench_price_matrix(args.budget_size, work, args.window_seconds)
            results["budget"] = results["price_matrix"]["current"]
        if args.emulator_seconds > 0:
            log("emulator throughput (bench/bench_emulator.py)")
            results["emulator"] = emulator_throughput("small", args.emulator_seconds)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"work directory kept: {work}")
    results.update(headline(results))
    results["total_s"] = time.perf_counter() - started
    results["targets"] = TARGETS
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", "utf-8")
    report(results)
    report_price_matrix(results)
    print(f"\nwrote {args.out} in {results['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
