"""``producthuntdb demo`` (``make demo``): the whole pipeline on the bundled emulator, no token needed.

Starts the emulator in this process on a free loopback port, points a copy of the settings at
it, syncs several simulated days (moving the emulator's clock between syncs, so launch
trajectories have many observations), stops the emulator in a ``finally`` (even when a stage
fails), then runs the rest of :func:`pipeline.run` (build → check → serve → export → report)
and the docs into the demo directory
(``data/demo`` by default) and ends with a summary: rows per mart, points spent, where the
files are and commands that work as printed.
"""

from __future__ import annotations

import secrets as _random
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx
from loguru import logger
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from producthuntdb import display, pipeline, warehouse
from producthuntdb.errors import ProductHuntDBError
from producthuntdb.settings import Settings

if TYPE_CHECKING:
    from producthuntdb.syncmodel import SyncReport

DEMO_WINDOW_SECONDS = 1.0
"""The real budget (6,250 points) per 1-second window instead of 15 minutes: the governor still
spends each window to the last request and waits for the reset — for real, but briefly."""
HISTORY_DAYS = 30
"""The demo harvests this many days back from the emulator's clock: all of the tiny world (its
default), a month of the larger ones (comments, votes and every voter of a year of the small
world would take the demo well past five minutes)."""
SYNCS = 9
SYNC_EVERY_HOURS = 6
"""Simulated days: the emulator's clock moves this far between syncs, so votes and comments grow
and each sync adds one observation per recent post to ``post_metrics_history`` (2 days in all:
most posts of the last 3 days are observed 4 times or more)."""

MARKER = ".producthuntdb-demo"
PIPELINE_OUTPUTS = frozenset(
    {"producthunt.duckdb", "producthunt.duckdb.wal", "work", "dlt", "dbt", "export", "gx", "quality", "logs", "report", "docs"}
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


def cli_command() -> str:
    """The ``producthuntdb`` of this environment as the user can type it from here.

    A fresh clone has no activated venv, so a bare ``producthuntdb`` is "command not found":
    print ``.venv/bin/producthuntdb`` (or wherever this interpreter's script is) instead.
    """
    script = Path(sys.executable).parent / "producthuntdb"
    if shutil.which("producthuntdb") == str(script):
        return "producthuntdb"
    return shown(script)


def next_commands(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """What to do next, each a command that works when pasted as printed (a test runs every one)."""
    cli = cli_command()
    data_dir = shown(summary["data_dir"])
    python = shown(Path(sys.executable))
    db = shown(summary["db_path"])
    commands = [
        ("status", f"{cli} status --data-dir {data_dir}"),
        ("duckdb", f"{shown(Path(sys.executable).parent / 'duckdb')} -readonly {db} -c \"select name, votes_count from marts.posts order by votes_count desc limit 10\""),
        ("query", f"{python} examples/query.py {db} examples/top_posts_of_a_day.sql"),
        ("report", f"{cli} report --data-dir {data_dir}"),
        ("docs", f"{cli} docs --data-dir {data_dir}"),
    ]
    if not Path("examples/query.py").is_file():
        commands = [c for c in commands if c[0] != "query"]
    return commands


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
    files.add_row("users", summary["users_shape"])
    files.add_row("report", shown(summary["report"]))
    files.add_row("docs", f"{shown(summary['docs'])} (data model, quality gate, report; offline)")
    files.add_row("logs", shown(summary["logs_dir"]))
    console.print(files)
    console.print("[bold]next[/bold]")
    for what, command in next_commands(summary):
        console.print(f"  {what:<7}{command}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"[green]demo finished in {summary['seconds']:.0f} s[/green]")


def advance_clock(base_url: str, hours: float) -> str:
    """Move the emulator's clock forward over its admin endpoint (as any client could); returns the new now."""
    response = httpx.post(f"{base_url}/_emulator/clock", json={"advance_seconds": hours * 3600}, timeout=10)
    response.raise_for_status()
    return str(response.json()["now"])


def sync_days(
    settings: Settings, base_url: str, syncs: int, console: Console, hooks: pipeline.Hooks
) -> tuple[SyncReport, int]:
    """A sync of the recent history, then ``syncs - 1`` more, the clock moved between them.

    Every sync fetches thumbnails and product links (``--with media``: the emulator's points are
    free, and the demo shows every mart filled); the last also fetches comments and votes: once,
    rather than again after every count change. Returns the last sync's report and what all the syncs spent, for the summary.
    """
    from producthuntdb.emulator.config import DEFAULT_NOW

    day = (DEFAULT_NOW - timedelta(days=HISTORY_DAYS)).date()
    since = datetime(day.year, day.month, day.day, tzinfo=UTC)
    points = 0
    for number in range(1, syncs + 1):
        if number > 1:
            now = advance_clock(base_url, SYNC_EVERY_HOURS)
            console.print(f"emulator clock moved {SYNC_EVERY_HOURS} h to {now}", highlight=False)
        with_ = frozenset({"media", "comments", "votes"} if number == syncs else {"media"})
        last = pipeline.sync(settings, pipeline.sync_options(settings, since=since, with_=with_), hooks)
        points += int(last.points or 0)
    return last, points


def run_demo(
    base: Settings,
    *,
    scale: str = "tiny",
    fresh: bool = True,
    console: Console,
    window_seconds: float = DEMO_WINDOW_SECONDS,
    redaction: bool = False,
    syncs: int = SYNCS,
) -> dict[str, Any]:
    """Emulator up → several simulated days of sync → build → check → export → report → docs → summary.

    ``redaction=False`` serves users as the API did before 2023 (names, makers, voters), so
    the demo can show makers and hunters; the real API today redacts them all.
    """
    import time

    from producthuntdb import logs

    started = time.monotonic()
    prepare_dir(base.data_dir, fresh)
    from producthuntdb.emulator import EmulatorConfig, EmulatorServer
    from producthuntdb.emulator.config import Scale

    token = demo_token(base)
    config = EmulatorConfig(
        scale=cast(Scale, scale),
        token=token,
        port=0,
        host="127.0.0.1",
        window_seconds=window_seconds,
        redaction=redaction,
    )
    server = EmulatorServer(config)
    server.start()
    shape = "redacted, as the API is today" if redaction else "shown (redaction off: the API's pre-2023 shape)"
    try:
        settings = base.model_copy(update={"api_url": server.url, "token": SecretStr(token)})
        logs.setup_logging(settings, logs.current_run_id(), "demo")  # mask the demo token too
        logger.info("emulator ({} world) on {}", scale, server.url)
        console.print(f"emulator ({scale} world) listening on {server.base_url}")
        console.print(f"users: {shape}", highlight=False)
        hooks = display.ConsoleHooks(settings, quiet=True, console=console)
        synced, points = sync_days(settings, server.base_url, syncs, console, hooks)
    finally:
        server.stop()
        logger.info("emulator stopped")
    outcome = pipeline.after_sync(settings, synced, hooks=hooks)
    docs = pipeline.docs(settings, hooks=hooks)
    gate, report = outcome.gate, outcome.report
    export_dir = settings.export_path
    summary = {
        "marts": warehouse.mart_counts_of(settings.served_path),
        "points": points,
        "data_dir": str(settings.data_dir),
        "db_path": str(settings.served_path),
        "work_path": str(settings.db_path),
        "export_dir": str(export_dir),
        "parquet_files": len(list(export_dir.rglob("*.parquet"))) if export_dir.is_dir() else 0,
        "data_docs": str(gate.docs_path) if gate.docs_path else None,
        "report": str(report.html_path),
        "docs": str(docs.index),
        "users_shape": shape,
        "logs_dir": str(settings.logs_dir),
        "seconds": time.monotonic() - started,
    }
    logger.info("demo finished", **{k: v for k, v in summary.items() if k != "marts"})
    render_summary(summary, console)
    return summary
