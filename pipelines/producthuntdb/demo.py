"""``producthuntdb demo`` (``make demo``): the whole pipeline on the bundled emulator, no token needed.

Starts the emulator in this process on a free loopback port, points a copy of the settings at
it, runs :func:`pipeline.run` (sync → build → check → serve → export) into the demo directory
(``data/demo`` by default), stops the emulator in a ``finally`` (even when a stage fails), and
ends with a summary: rows per mart, points spent, where the files are and how to query them.
"""

from __future__ import annotations

import secrets as _random
import shutil
from pathlib import Path
from typing import Any, cast

from loguru import logger
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from producthuntdb import display, pipeline, warehouse
from producthuntdb.errors import ProductHuntDBError
from producthuntdb.settings import Settings

DEMO_WINDOW_SECONDS = 3.0
"""The real budget (6,250 points) per 3-second window instead of 15 minutes: the governor still
spends each window to the last request and waits for the reset — for real, but briefly."""

MARKER = ".producthuntdb-demo"
PIPELINE_OUTPUTS = frozenset(
    {"producthunt.duckdb", "producthunt.duckdb.wal", "work", "dlt", "dbt", "export", "gx", "quality", "logs"}
)
"""What a pipeline run writes into its data directory: a directory holding nothing else may be emptied."""
"""Written into the demo directory; ``--fresh`` only ever deletes a directory that carries it."""


def prepare_dir(data_dir: Path, fresh: bool) -> None:
    """Create the demo directory; with ``fresh``, empty it first — but only if the demo made it.

    The ``logs`` directory survives (this very run is already logging into it).
    """
    keep = {MARKER, "logs"}
    entries = [p for p in data_dir.iterdir() if p.name not in keep] if data_dir.is_dir() else []
    if fresh and entries:
        only_ours = all(p.name in PIPELINE_OUTPUTS for p in entries)
        if not (data_dir / MARKER).is_file() and not only_ours:
            raise ProductHuntDBError(
                f"{data_dir} is not empty and was not made by the demo; choose another --out or pass --keep"
            )
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by `producthuntdb demo`; safe to delete\n", "utf-8")


def demo_token(base: Settings) -> str:
    """The configured token when it is well-formed (so a test can check it never leaks), else a fresh one."""
    if not base.token_problems():
        return base.token_value()
    return "demo-" + _random.token_urlsafe(24)


def shown(path: str | Path) -> str:
    """A path as the user would type it: relative to the working directory when it is inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def render_summary(summary: dict[str, Any], console: Console) -> None:
    table = Table(title="demo: rows per mart", title_justify="left")
    table.add_column("mart", style="cyan")
    table.add_column("rows", justify="right")
    for name, rows in summary["marts"].items():
        table.add_row(f"marts.{name}", f"{rows:,}")
    console.print(table)
    files = Table(title="demo: where things are", title_justify="left", show_header=False)
    files.add_column("what", style="cyan")
    files.add_column("where")
    files.add_row("API points spent", str(summary["points"]))
    db = shown(summary["db_path"])
    files.add_row("DuckDB, served", f"{db} (gated marts: what readers open)")
    files.add_row("DuckDB, working", f"{shown(summary['work_path'])} (the pipeline's own)")
    files.add_row("exports", f"{shown(summary['export_dir'])} ({summary['parquet_files']} Parquet files)")
    files.add_row("Data Docs", shown(summary["data_docs"]) if summary["data_docs"] else "-")
    files.add_row("logs", shown(summary["logs_dir"]))
    files.add_row("query it", f"duckdb -readonly {db}")
    files.add_row("status", f"PRODUCTHUNT_DATA_DIR={shown(summary['data_dir'])} producthuntdb status")
    console.print(files)
    console.print(f"[green]demo finished in {summary['seconds']:.0f} s[/green]")


def run_demo(
    base: Settings,
    *,
    scale: str = "small",
    fresh: bool = True,
    console: Console,
    window_seconds: float = DEMO_WINDOW_SECONDS,
) -> dict[str, Any]:
    """Emulator up → the whole run → emulator down (always) → summary dict."""
    import time

    from producthuntdb import logs

    started = time.monotonic()
    prepare_dir(base.data_dir, fresh)
    from producthuntdb.emulator import EmulatorConfig, EmulatorServer
    from producthuntdb.emulator.config import Scale

    token = demo_token(base)
    config = EmulatorConfig(
        scale=cast(Scale, scale), token=token, port=0, host="127.0.0.1", window_seconds=window_seconds
    )
    server = EmulatorServer(config)
    server.start()
    try:
        settings = base.model_copy(update={"api_url": server.url, "token": SecretStr(token)})
        logs.setup_logging(settings, logs.current_run_id(), "demo")  # mask the demo token too
        logger.info("emulator ({} world) on {}", scale, server.url)
        console.print(f"emulator ({scale} world) listening on {server.base_url}")
        hooks = display.ConsoleHooks(settings, quiet=True, console=console)
        report = pipeline.run(settings, pipeline.sync_options(settings), hooks=hooks)
    finally:
        server.stop()
        logger.info("emulator stopped")
    export_dir = settings.export_path
    summary = {
        "marts": warehouse.mart_counts_of(settings.served_path),
        "points": report.sync.points,
        "db_path": str(settings.served_path),
        "work_path": str(settings.db_path),
        "data_dir": str(settings.data_dir),
        "export_dir": str(export_dir),
        "parquet_files": len(list(export_dir.rglob("*.parquet"))) if export_dir.is_dir() else 0,
        "data_docs": str(report.gate.docs_path) if report.gate.docs_path else None,
        "logs_dir": str(settings.logs_dir),
        "seconds": time.monotonic() - started,
    }
    logger.info("demo finished", **{k: v for k, v in summary.items() if k != "marts"})
    render_summary(summary, console)
    return summary
