"""``run_sync``: one bounded, resumable, crash-safe harvest of the API into ``raw.*``.

A run: check the token with the first (3-point) request before anything is created on
disk; open the dlt pipeline and finish any load package a killed run left behind; read the
harvest position from dlt source state; fetch (``harvest.py``) and load every
``chunk_pages`` pages as one dlt load whose package also carries the new position — so a
SIGKILL loses at most the chunk in flight, and merge keys keep reruns duplicate-free;
finally load one ``raw._sync_runs`` row through dlt as well (one writer, one transaction
model). Bounds (``--max-points``, ``--max-minutes``) stop the run cleanly via the governor:
what was fetched is loaded and the position saved.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.common.pipeline import SupportsPipeline
from loguru import logger

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor, StopRun
from producthuntdb.api.queries import load_query
from producthuntdb.destination import connection_problem, dlt_destination, is_warehouse
from producthuntdb.errors import ConfigError, ProductHuntDBError
from producthuntdb.harvest import (
    PRODUCT_HUNT_EPOCH,
    Harvester,
    HarvestPlan,
    Stats,
    iso,
    new_state,
    remaining_ranges,
    ts,
)
from producthuntdb.logs import route_library_loggers
from producthuntdb.settings import Settings
from producthuntdb.source import SOURCE_NAME, STATE_KEY, TABLES, Batch, producthunt
from producthuntdb.tracing import span

POSTS_PAGE_POINTS = 465
WITH_CHOICES = frozenset({"comments", "votes"})


@dataclass
class SyncOptions:
    """What one ``producthuntdb sync`` asks for (flags of the CLI)."""

    since: datetime | None = None
    full_refresh: bool = False
    max_points: int | None = None
    max_minutes: float | None = None
    with_: frozenset[str] = frozenset()
    budget_share: float | None = None
    lookback_hours: float | None = None
    progress: bool | None = None
    chunk_pages: int = 40
    """Pages fetched between two loads: the most a SIGKILL can lose."""
    backoff_base: float | None = None
    """First retry wait in seconds (None: 0.05 s against a local emulator, 1 s otherwise)."""


@dataclass
class SyncReport:
    """What a run did; also the ``raw._sync_runs`` row."""

    run_id: str
    status: str = "ok"
    stop_reason: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    pages: int = 0
    points: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    n_429: int = 0
    points_per_post: float | None = None
    backfill_position: datetime | None = None
    waited_seconds: float = 0.0
    window_usage: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "finished_at", "backfill_position"):
            data[key] = iso(data[key])
        data["waited_seconds"] = round(self.waited_seconds, 2)
        return data

    def row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "started_at": self.started_at, "finished_at": self.finished_at,
            "status": self.status, "stop_reason": self.stop_reason, "pages": self.pages, "points": self.points,
            "rows_json": json.dumps(self.rows, sort_keys=True), "retries": self.retries, "n_429": self.n_429,
            "points_per_post": self.points_per_post, "backfill_position": self.backfill_position,
        }


def parse_lookback(text: str) -> float:
    """``"72h"``, ``"3d"``, ``"90m"``, ``"72"`` → hours; ConfigError on anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdm]?)\s*", str(text).lower())
    if not match:
        raise ConfigError(f"--lookback {text!r}: expected a duration such as 72h, 3d or 90m")
    value = float(match.group(1))
    return value * {"": 1.0, "h": 1.0, "d": 24.0, "m": 1 / 60}[match.group(2)]


def make_pipeline(settings: Settings) -> dlt.Pipeline:
    """The dlt pipeline into the configured destination (``settings.db_path`` by default); merge
    staging tables are emptied after each load so the database does not carry a second copy of
    the last chunk."""
    dlt.config["load.truncate_staging_dataset"] = True
    pipeline = dlt.pipeline(
        pipeline_name=settings.pipeline_name,
        pipelines_dir=str(settings.dlt_dir),
        destination=dlt_destination(settings),
        dataset_name=settings.dataset_name,
    )
    route_library_loggers()
    return pipeline


def check_database(settings: Settings) -> None:
    """Open an existing DuckDB file for writing and close it, before a single point is spent.

    A file another process holds (a BI tool, another sync) or one that is not a DuckDB database
    would otherwise fail only at the first load, after a chunk of the budget was spent.
    """
    import duckdb

    from producthuntdb.status import open_problem

    if is_warehouse(settings):
        _check_warehouse(settings)
        return
    if not settings.db_path.exists():
        return
    try:
        duckdb.connect(str(settings.db_path)).close()
    except duckdb.Error as exc:
        raise ProductHuntDBError(open_problem(settings.db_path, exc) + "; nothing was harvested") from None


def _check_warehouse(settings: Settings) -> None:
    """Reach the warehouse before a single point is spent (one line when it cannot be reached)."""
    if settings.destination != "postgres":
        return  # MotherDuck/BigQuery: dlt reports connection problems at the first load
    from producthuntdb import destination

    try:
        destination.query(settings, "select 1")
    except ProductHuntDBError as exc:
        raise ProductHuntDBError(f"{exc}; nothing was harvested") from None
    except Exception as exc:
        raise ProductHuntDBError(connection_problem(settings, exc) + "; nothing was harvested") from None


def _load(pipeline: dlt.Pipeline, batch: Batch) -> None:
    try:
        with span("sync.load", rows=batch.count()):
            pipeline.run(producthunt(batch))
    except Exception as exc:  # dlt wraps everything in PipelineStepFailed
        raise ProductHuntDBError(f"loading into {pipeline.destination} failed: {_root_cause(exc)}") from exc


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _finish_pending(pipeline: dlt.Pipeline, settings: Settings) -> None:
    """Load what a killed run extracted but did not load, before fetching anything new."""
    if pipeline.first_run and (is_warehouse(settings) or settings.db_path.exists()):
        try:
            pipeline.sync_destination()  # local dlt dir lost (fresh CI runner): restore state from the DB
        except Exception as exc:
            raise ProductHuntDBError(
                f"reading the saved position from {pipeline.destination} failed: {_root_cause(exc)}"
            ) from exc
    if pipeline.has_pending_data:
        logger.info("finishing the load package(s) of an interrupted run")
        try:
            pipeline.normalize()
            pipeline.load()
        except Exception as exc:  # dlt wraps everything in PipelineStepFailed
            raise ProductHuntDBError(
                f"finishing an interrupted load into {pipeline.destination} failed: {_root_cause(exc)}"
            ) from exc


def _read_state(pipeline: SupportsPipeline) -> dict[str, Any] | None:
    sources = pipeline.state.get("sources", {})
    state = sources.get(SOURCE_NAME, {}).get(STATE_KEY)
    return copy_state(state) if state else None


def copy_state(state: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(state))


def _initial_state(saved: dict[str, Any] | None, options: SyncOptions) -> dict[str, Any]:
    """The harvest position to start from: saved, or fresh for a first run / full refresh / earlier --since."""
    since = _utc(options.since)
    if saved is None or options.full_refresh:
        if saved is not None:
            logger.info("full refresh: forgetting the saved position")
        return new_state(since or PRODUCT_HUNT_EPOCH)
    floor = ts(saved.get("floor"))
    if since is not None and floor is not None and since < floor:
        logger.info("--since {} is before the harvested range ({}): re-harvesting from there", iso(since), iso(floor))
        return new_state(since)
    return saved


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class _DB:
    """Reads ``raw.*`` through dlt's own SQL client (same connection settings as the loader).

    The harvester writes DuckDB-style ``?`` placeholders; a server destination gets ``%s`` and
    its absent tables as empty temporary tables (PostgreSQL 15 wants an alias on every subquery
    in FROM, which the harvester's templates do not give).
    """

    def __init__(self, pipeline: dlt.Pipeline, warehouse: bool = False) -> None:
        self.pipeline = pipeline
        self.warehouse = warehouse

    def query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not self.pipeline.default_schema_name:
            existing: set[str] = set()
        else:
            existing = set(self.pipeline.default_schema.data_table_names())
        try:
            with self.pipeline.sql_client() as client:
                names = {}
                for name in TABLES:
                    if name in existing:
                        names[name] = client.make_qualified_table_name(name)
                    elif self.warehouse and f"{{{name}}}" in sql:
                        client.execute_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS _empty_{name} AS {_empty(name)}")
                        names[name] = f"_empty_{name}"
                    else:
                        names[name] = _empty(name)
                statement = sql.format(**names)
                if self.warehouse:
                    statement = statement.replace("?", "%s")
                with client.execute_query(statement, *params) as cursor:
                    return [tuple(r) for r in cursor.fetchall()]
        except Exception as exc:
            raise ProductHuntDBError(f"reading {self.pipeline.destination} failed: {_root_cause(exc)}") from exc


_SQL_TYPES = {"text": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE PRECISION", "bool": "BOOLEAN", "timestamp": "TIMESTAMPTZ"}


def _empty(table: str) -> str:
    """A typed, empty stand-in for a raw table not created yet."""
    columns = ", ".join(
        f"CAST(NULL AS {_SQL_TYPES[str(c['data_type'])]}) AS {name}" for name, c in TABLES[table].columns.items()
    )
    return f"(SELECT {columns} WHERE false)"


class _Progress:
    """Rich progress on a terminal (pages, rows, points used and left, ETA); nothing otherwise.

    The bar counts post pages against the run's estimate (a 2-point ``totalCount``), so the
    ETA reflects the budget pacing as it happens.
    """

    def __init__(self, enabled: bool, governor: BudgetGovernor) -> None:
        self.enabled = enabled
        self.governor = governor
        self._progress: Any = None
        self._task: Any = None

    @contextmanager
    def running(self) -> Iterator[_Progress]:
        if not self.enabled:
            yield self
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("sync"), BarColumn(), TextColumn("{task.fields[pages]} pages"),
            TextColumn("{task.fields[info]}"), TextColumn("ETA"), TimeRemainingColumn(), transient=False,
        ) as progress:
            self._progress = progress
            self._task = progress.add_task("sync", total=None, pages=0, info="")
            yield self

    def update(self, stats: Stats) -> None:
        if self._progress is None:
            return
        rate = self.governor.rate
        left = f" · {rate.remaining} left in window" if rate.remaining is not None else ""
        rows = sum(stats.rows.values())
        self._progress.update(
            self._task, completed=stats.post_pages, total=stats.expected_post_pages, pages=stats.pages,
            info=f"{rows} rows · {self.governor.points} points{left}",
        )


def run_sync(settings: Settings, options: SyncOptions) -> SyncReport:
    """Harvest what is new (or resume a backfill) within the bounds of ``options``."""
    unknown = set(options.with_) - WITH_CHOICES
    if unknown:
        raise ConfigError(f"--with: unknown {', '.join(sorted(unknown))} (choose from comments, votes)")
    if options.max_points is not None and options.max_points < 1:
        raise ConfigError("--max-points must be a positive number of points")
    if options.max_minutes is not None and options.max_minutes <= 0:
        raise ConfigError("--max-minutes must be positive")
    share = options.budget_share if options.budget_share is not None else settings.budget_share
    if not 0 < share <= 1:
        raise ConfigError("--budget-share must be in (0, 1]")
    lookback = options.lookback_hours if options.lookback_hours is not None else settings.lookback_hours
    started = datetime.now(UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    report = SyncReport(run_id=run_id, started_at=started)
    deadline = time.monotonic() + options.max_minutes * 60 if options.max_minutes else None
    governor = BudgetGovernor(budget_share=share, max_points=options.max_points, deadline=deadline)
    plan = HarvestPlan(
        run_id=run_id, observed_at=started, lookback_hours=lookback,
        refresh_hours=settings.topics_refresh_hours, with_=frozenset(options.with_),
        chunk_pages=max(1, options.chunk_pages),
    )
    logger.debug("sync {} from {}", run_id, settings.api_url)
    check_database(settings)
    with GraphQLClient(settings, governor, backoff_base=options.backoff_base) as client, span("sync", run_id=run_id):
        first = Harvester(client, {}, plan, flush=lambda b: None, db_query=lambda s, p: [])
        try:
            newest = first.probe()  # proves the token before anything is created on disk
        except StopRun as stop:
            newest, report.status, report.stop_reason = None, "stopped", stop.reason
        pipeline = make_pipeline(settings)
        _finish_pending(pipeline, settings)
        state = _initial_state(_read_state(pipeline), options)
        db = _DB(pipeline, warehouse=is_warehouse(settings))
        tty = sys.stderr.isatty() if options.progress is None else options.progress
        progress = _Progress(tty, governor)
        harvester = Harvester(
            client, state, plan, flush=lambda batch: _load(pipeline, batch), db_query=db.query,
            on_page=progress.update,
        )
        harvester.newest = newest
        harvester.stats.pages = first.stats.pages
        error: ProductHuntDBError | None = None
        with progress.running():
            try:
                if report.status == "ok":
                    harvester.run()
            except StopRun as stop:
                report.status, report.stop_reason = "stopped", stop.reason
            except ProductHuntDBError as exc:
                report.status, report.stop_reason, error = "failed", str(exc)[:500], exc
        stats = harvester.stats
        report.finished_at = datetime.now(UTC)
        report.pages, report.points = stats.pages, governor.points
        report.retries, report.n_429 = client.retries, governor.n_429
        report.waited_seconds, report.window_usage = governor.waited_seconds, list(governor.window_usage)
        report.points_per_post = round(governor.points / stats.posts_full, 2) if stats.posts_full else None
        report.backfill_position = ts(state.get("high_water"))
        report.rows = dict(sorted(stats.rows.items()))
        report.rows["_sync_runs"] = 1
        try:
            harvester.flush([("_sync_runs", report.row())])
        except ProductHuntDBError:
            if error is None:
                raise
            logger.error("could not record the failed run: {}", error)
    logger.info(
        "sync {} {}{}: {} pages, {} points ({} per post), {} rows, {} retries, {} 429s",
        run_id, report.status, f" ({report.stop_reason})" if report.stop_reason else "", report.pages,
        report.points, report.points_per_post, sum(v for k, v in report.rows.items() if k != "_sync_runs"),
        report.retries, report.n_429,
    )
    if error is not None:
        raise error
    return report


def backfill_status(settings: Settings) -> dict[str, Any]:
    """How far the harvest has come; with a usable token and API, an estimate of what is left.

    Offline (no token, API unreachable) the estimate keys are None. The estimate costs a
    few points: ``posts(postedAfter:…, first: 0) { totalCount }`` is 2 points a range.
    """
    status: dict[str, Any] = {
        "floor": None, "high_water": None, "window": None, "estimated_posts": None,
        "estimated_points": None, "estimate_error": None,
    }
    if not settings.dlt_dir.exists():
        return status
    pipeline = make_pipeline(settings)
    state = _read_state(pipeline)
    if state is None:
        return status
    status.update(floor=state.get("floor"), high_water=state.get("high_water"), window=state.get("window"))
    if settings.token_problems():
        status["estimate_error"] = "no usable token"
        return status
    try:
        with GraphQLClient(settings, max_retries=1) as client:  # status must answer fast when offline
            posts = 0
            for variables in remaining_ranges(state):
                posts += int(client.execute(load_query("posts_total"), variables)["posts"]["totalCount"])
    except ProductHuntDBError as exc:
        status["estimate_error"] = str(exc)
        return status
    status["estimated_posts"] = posts
    status["estimated_points"] = math.ceil(posts / 20) * POSTS_PAGE_POINTS
    return status
