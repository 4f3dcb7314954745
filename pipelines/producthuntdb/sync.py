"""``run_sync``: one bounded, resumable, crash-safe harvest of the API into ``raw.*``.

A run: check the database file (not corrupt, not locked past the wait limit) and the token
with the first (3-point) request before anything is created on disk; open the dlt pipeline
whose working directory belongs to this database file, finish any load package a killed or
failed run left behind, then take the position from the database itself (dlt state restored
from the destination), so local leftovers can never be ahead of what is stored.

Then the ``producthunt`` source (``source/``) runs phase by phase, one *chunk* at a time:
``extract → normalize → load`` of a fresh source whose resources resume from the state the
previous chunk committed — the position is in the same load package as the rows it covers.
A SIGKILL loses at most the chunk in flight; a load that fails stops the run with the package
still pending, and the next load of any kind (this run's record, the next run) stores it
first. Finally one ``raw._sync_runs`` row records the run, ``failed`` with its reason when a
load or the API failed, ``partial`` when a part that does not stop the harvest (the collections)
could not be read; with the points charged to it and the foreign points other tools of the
application spent meanwhile. The price book learned by earlier runs (``api/prices.py``, in the
harvest state) is read before the first request. Loads wait for a DuckDB lock held by another process (a BI tool, a
notebook) up to ``lock_wait_seconds``, saying who holds it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import dlt
from dlt.common.schema.utils import new_table
from loguru import logger

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.api.prices import PriceBook
from producthuntdb.api.queries import load_query
from producthuntdb.destination import (
    connection_problem,
    describe,
    dlt_destination,
    is_warehouse,
    loader_file_format,
)
from producthuntdb.errors import ConfigError, ProductHuntDBError
from producthuntdb.locks import Busy, wait_turn
from producthuntdb.logs import route_library_loggers
from producthuntdb.settings import Settings
from producthuntdb.source import PHASE_FETCHERS, phases, price_book, producthunt, read_position, read_prices
from producthuntdb.source.contract import TABLES, empty_relation
from producthuntdb.source.helpers import CHUNK_PAGES, HarvestRun, Stats, iso, ts
from producthuntdb.source.windows import remaining_ranges
from producthuntdb.tracing import span
from producthuntdb.warehouse import (
    DatabaseUnavailable,
    check_writable,
    database_problem,
    lock_holder,
    opened,
    prepare_working_file,
    quote_identifier,
)

WITH_CHOICES = frozenset({"comments", "votes", "media"})
T = TypeVar("T")
FAIL_LOAD_AT: int | None = None
"""A test hook, not a setting: the N-th chunk load of a sync raises (tests prove a failed load loses nothing)."""


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
    chunk_pages: int = CHUNK_PAGES
    """Pages fetched between two loads, at most: a SIGKILL loses no more (nor more than
    ``HarvestRun.chunk_seconds`` of fetching, nor more than one rate window)."""
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
    quarantined: int = 0
    """Posts this run set aside in ``raw._quarantine`` (unreadable on the API; retried by later runs)."""
    foreign_points: int = 0
    """Points other tools of this application spent from the windows this run used (never ours)."""
    gaps: int = 0
    missing: int = 0
    """Windows this run closed short of the API's totals, and the posts missing (``raw._gaps``): the run is ``partial``."""
    waited_seconds: float = 0.0
    longest_wait: float = 0.0
    window_usage: list[float] = field(default_factory=list)
    loads: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("started_at", "finished_at", "backfill_position"):
            data[key] = iso(data[key])
        data["waited_seconds"] = round(self.waited_seconds, 2)
        data["longest_wait"] = round(self.longest_wait, 2)
        return data

    def row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "started_at": self.started_at, "finished_at": self.finished_at,
            "status": self.status, "stop_reason": self.stop_reason, "pages": self.pages, "points": self.points,
            "rows_json": json.dumps(self.rows, sort_keys=True), "retries": self.retries, "n_429": self.n_429,
            "points_per_post": self.points_per_post, "backfill_position": self.backfill_position,
            "quarantined": self.quarantined, "gaps": self.gaps, "foreign_points": self.foreign_points,
        }


def parse_lookback(text: str) -> float:
    """``"72h"``, ``"3d"``, ``"90m"``, ``"72"`` → hours; ConfigError on anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdm]?)\s*", str(text).lower())
    if not match:
        raise ConfigError(f"--lookback {text!r}: expected a duration such as 72h, 3d or 90m")
    value = float(match.group(1))
    return value * {"": 1.0, "h": 1.0, "d": 24.0, "m": 1 / 60}[match.group(2)]


def pipelines_dir(settings: Settings) -> str:
    """dlt's working directory for *this* database file: state and pending packages follow the file.

    Keyed on the resolved path, so pointing ``PRODUCTHUNT_DUCKDB_PATH`` at another file never
    loads one file's pending rows into another or reads its position.
    """
    if is_warehouse(settings):  # the server (and database) the state belongs to, never its password
        where = describe(settings)
        return str(settings.dlt_dir / f"{settings.destination}-{hashlib.sha1(where.encode()).hexdigest()[:10]}")
    resolved = str(settings.db_path.resolve())
    key = hashlib.sha1(resolved.encode()).hexdigest()[:10]
    return str(settings.dlt_dir / f"{settings.db_path.stem}-{key}")


def make_pipeline(settings: Settings) -> dlt.Pipeline:
    """The dlt pipeline into the configured destination (the working file ``settings.db_path`` by
    default); merge staging tables are emptied after each load so the database does not carry a
    second copy of the last chunk; resources run in order."""
    dlt.config["load.truncate_staging_dataset"] = True
    dlt.config["extract.next_item_mode"] = "fifo"
    pipeline = dlt.pipeline(
        pipeline_name=settings.pipeline_name,
        pipelines_dir=pipelines_dir(settings),
        destination=dlt_destination(settings),
        dataset_name=settings.dataset_name,
    )
    route_library_loggers()
    return pipeline


# ----------------------------------------------------------------------------- errors and the lock
def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _holder(e: BaseException) -> dict[str, Any] | None:
    return e.holder if isinstance(e, DatabaseUnavailable) else lock_holder(e)


def _is_lock(exc: BaseException) -> bool:
    return any(
        "Could not set lock" in (e.reason if isinstance(e, DatabaseUnavailable) else str(e)) or _holder(e) is not None
        for e in _chain(exc)
    )


def one_line(exc: BaseException) -> str:
    """The innermost cause of ``exc`` as one line (never dlt's multi-line object dump)."""
    for e in _chain(exc):
        if isinstance(e, ProductHuntDBError):
            return str(e)
    root = _chain(exc)[-1]
    text = (str(root).strip().splitlines() or [""])[0]
    return f"{root.__class__.__name__}: {text}" if text else root.__class__.__name__


def _as_error(exc: BaseException, doing: str) -> ProductHuntDBError:
    for e in _chain(exc):
        if isinstance(e, ProductHuntDBError):
            return e
    if any(_is_disk_full(e) for e in _chain(exc)):
        return ProductHuntDBError(
            f"{doing} failed: the disk is full (No space left on device); free some space and sync again: "
            "what was not loaded stays pending and the next sync resumes"
        )
    return ProductHuntDBError(f"{doing} failed: {one_line(exc)}")


def _is_disk_full(exc: BaseException) -> bool:
    """ENOSPC from Python, or DuckDB's own wording of it (its errors carry no errno)."""
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def wait_for_lock(
    settings: Settings, doing: str, action: Callable[[], T],
    outcome: str = "nothing fetched is lost, the next sync resumes",
) -> T:
    """``action()``, retried while another process holds the database's lock (``locks.wait_turn``:
    the holder named on the console; after ``lock_wait_seconds`` one line, what was not loaded stays pending)."""

    def attempt() -> T:
        try:
            return action()
        except Exception as exc:
            if not _is_lock(exc):
                raise
            raise Busy(next((h for h in (_holder(e) for e in _chain(exc)) if h), None)) from None

    return wait_turn(settings, settings.db_path, doing, attempt, outcome)


def check_database(settings: Settings) -> None:
    """Refuse a corrupt file, and wait for a locked one (or reach the warehouse), before a single point is spent."""
    if is_warehouse(settings):
        _check_warehouse(settings)
        return
    if not settings.db_path.exists():
        return
    problem = database_problem(settings.db_path)
    if problem is not None:
        raise ProductHuntDBError(f"{problem}; sync will not write into it (nothing was harvested)")

    try:
        wait_for_lock(settings, "open it", lambda: check_writable(settings.db_path), outcome="nothing was harvested")
    except DatabaseUnavailable as exc:
        raise ProductHuntDBError(f"{exc}; nothing was harvested") from None


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


# ----------------------------------------------------------------------------- the pipeline
def drop_retired_merge_keys(pipeline: dlt.Pipeline) -> None:
    """Forget merge keys the contract no longer has (``post_topics`` lost ``post_id``'s).

    dlt keeps a column hint once stored and a resource without a merge key does not clear it,
    so a database from before the change would go on deleting a post's every link whenever one
    of them is loaded — while membership now arrives a topic at a time.
    """
    if not pipeline.default_schema_name:
        return
    tables = pipeline.default_schema.tables
    for name, spec in TABLES.items():
        for column_name, column in tables.get(name, {}).get("columns", {}).items():
            if column.get("merge_key") and column_name != spec.merge_key:
                logger.info("raw.{}: {} is no longer a merge key", name, column_name)
                column.pop("merge_key")


def add_contract_columns(pipeline: dlt.Pipeline) -> None:
    """Add the columns the contract gained since the database was made (``posts.thumbnail_url``).

    dlt adds a hinted column only when a load writes its table, but the look-back reads the loaded
    ``posts`` rows back by the contract's column names before this run's first load: on a database
    from before the change every run would fail there. The schema is updated and migrated first.
    """
    if not pipeline.default_schema_name:
        return
    schema = pipeline.default_schema
    added = []
    for name, spec in TABLES.items():
        table = schema.tables.get(name)
        if table is None:
            continue
        missing = [column for column_name, column in spec.columns.items() if column_name not in table["columns"]]
        if missing:
            schema.update_table(new_table(name, columns=missing))
            added += [f"{name}.{column['name']}" for column in missing]
    if added:
        logger.info("raw: adding the contract's new columns {}", ", ".join(added))
        pipeline.sync_schema()


class _Loader:
    """Loads chunks through one dlt pipeline, counting them (and failing one, as a test asks)."""

    def __init__(self, pipeline: dlt.Pipeline, settings: Settings, report: SyncReport) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.report = report

    def finish_pending(self) -> None:
        """Store what a killed or failed run extracted but did not load, then take the
        position from the database: local state can never be ahead of what is stored."""
        pipeline, settings = self.pipeline, self.settings
        if pipeline.has_pending_data:
            logger.info("loading the rows an interrupted run fetched but did not store")
            try:
                pipeline.normalize()
                wait_for_lock(settings, "load", pipeline.load)
            except Exception as exc:
                raise _as_error(exc, f"finishing an interrupted load into {settings.db_path}") from None
        pipeline.drop()
        if is_warehouse(settings) or settings.db_path.exists():
            try:
                wait_for_lock(settings, "read the saved position", pipeline.sync_destination)
            except Exception as exc:
                raise _as_error(exc, f"reading the saved position from {settings.db_path}") from None
            drop_retired_merge_keys(pipeline)
            wait_for_lock(settings, "add the raw contract's new columns", lambda: add_contract_columns(pipeline))

    def load(self, source: Any, *, chunk: bool = True) -> None:
        """One ``extract → normalize → load``; the rows and the state they carry commit together."""
        pipeline = self.pipeline
        try:
            with span("sync.load"):
                pipeline.extract(source, loader_file_format=loader_file_format(self.settings))
                pipeline.normalize()
                if chunk:
                    self.report.loads += 1
                    if self.report.loads == FAIL_LOAD_AT:
                        raise ProductHuntDBError(f"load {self.report.loads} failed (sync.FAIL_LOAD_AT, a test hook)")
                wait_for_lock(self.settings, "load", pipeline.load)
        except Exception as exc:  # dlt wraps everything in PipelineStepFailed
            raise _as_error(exc, f"loading into {self.settings.db_path}") from None


class _DB:
    """Reads ``raw.*`` through dlt's own SQL client (same connection settings as the loader).

    The source writes DuckDB-style ``?`` placeholders; a server destination gets ``%s`` and its
    absent tables as empty temporary tables (PostgreSQL wants an alias on every subquery in FROM,
    which the source's templates do not give).
    """

    def __init__(self, pipeline: dlt.Pipeline, settings: Settings) -> None:
        self.pipeline = pipeline
        self.settings = settings

    def query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not self.pipeline.default_schema_name:
            existing: set[str] = set()
        else:
            existing = set(self.pipeline.default_schema.data_table_names())

        server = is_warehouse(self.settings)

        def _run() -> list[tuple[Any, ...]]:
            with self.pipeline.sql_client() as client:
                names = {}
                for name in TABLES:
                    if name in existing:
                        names[name] = client.make_qualified_table_name(name)
                    elif server and f"{{{name}}}" in sql:
                        client.execute_sql(f"create temporary table if not exists _empty_{name} as {empty_relation(name)}")
                        names[name] = f"_empty_{name}"
                    else:
                        names[name] = empty_relation(name)
                statement = sql.format(**names)
                if server:
                    statement = statement.replace("?", "%s")
                with client.execute_query(statement, *params) as cursor:
                    return [tuple(r) for r in cursor.fetchall()]

        try:
            return wait_for_lock(self.settings, "read it", _run)
        except Exception as exc:
            raise _as_error(exc, f"reading {self.settings.db_path}") from None


class _Progress:
    """Rich progress on a terminal (pages, rows, points used and left, ETA); nothing otherwise.

    The bar counts post pages against the run's estimate (a 2-point ``totalCount``), so the
    ETA reflects the budget pacing as it happens.
    """

    def __init__(self, enabled: bool, governor: BudgetGovernor) -> None:
        self.enabled = enabled
        self.governor = governor
        self._progress: Any = None
        self.rows: dict[str, int] | None = None
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
        rows = sum(self.rows.values()) if self.rows is not None else 0
        self._progress.update(
            self._task, completed=stats.post_pages, total=stats.expected_post_pages, pages=stats.pages,
            info=f"{rows} rows · {self.governor.points} points{left}",
        )


def _validate(settings: Settings, options: SyncOptions) -> tuple[float, float]:
    unknown = set(options.with_) - WITH_CHOICES
    if unknown:
        raise ConfigError(f"--with: unknown {', '.join(sorted(unknown))} (choose from comments, votes, media)")
    if options.max_points is not None and options.max_points < 1:
        raise ConfigError("--max-points must be a positive number of points")
    if options.max_minutes is not None and options.max_minutes <= 0:
        raise ConfigError("--max-minutes must be positive")
    share = options.budget_share if options.budget_share is not None else settings.budget_share
    if not 0 < share <= 1:
        raise ConfigError("--budget-share must be in (0, 1]")
    lookback = options.lookback_hours if options.lookback_hours is not None else settings.lookback_hours
    working_dir = pipelines_dir(settings)
    if "'" in working_dir:  # dlt puts its load files' paths into DuckDB's SQL unquoted
        raise ConfigError(
            f"dlt's working directory {working_dir} contains a single quote ('), which dlt cannot quote in "
            "the SQL that loads it: choose a PRODUCTHUNT_DATA_DIR (or PRODUCTHUNT_PIPELINES_DIR) without one"
        )
    return share, lookback


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _harvest(run: HarvestRun, loader: _Loader) -> None:
    """Every phase of the source, a chunk per load, until done, stopped or failed."""
    run.finished.update(WITH_CHOICES - run.with_)
    for fetchers, selected in phases(run.with_):
        while not run.interrupted and not run.finished.issuperset(fetchers):
            pages, finished = run.stats.pages, len(run.finished)
            run.new_chunk()
            loader.load(producthunt(run).with_resources(*selected))
            # a chunk that only finished resources made progress too: one that waits for another
            # (membership waits for the topic list) runs in the next chunk
            stuck = run.stats.pages == pages and len(run.finished) == finished
            if stuck and not run.finished.issuperset(fetchers) and not run.interrupted:
                raise ProductHuntDBError(f"sync made no progress in {', '.join(fetchers)} (a bug: please report it)")
        if run.interrupted:
            return


def run_sync(settings: Settings, options: SyncOptions) -> SyncReport:
    """Harvest what is new (or resume a backfill) within the bounds of ``options``."""
    share, lookback = _validate(settings, options)
    started = datetime.now(UTC)
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    report = SyncReport(run_id=run_id, started_at=started)
    deadline = time.monotonic() + options.max_minutes * 60 if options.max_minutes else None
    governor = BudgetGovernor(budget_share=share, max_points=options.max_points, deadline=deadline)
    logger.debug("sync {} from {}", run_id, settings.api_url)
    check_database(settings)
    governor.prices = stored_prices(settings)  # priced from the first request with what earlier runs learned
    tty = sys.stderr.isatty() if options.progress is None else options.progress
    progress = _Progress(tty, governor)
    with GraphQLClient(settings, governor, backoff_base=options.backoff_base) as client, span("sync", run_id=run_id):
        run = HarvestRun(
            client=client, db_query=lambda sql, params: [], run_id=run_id, observed_at=started,
            lookback_hours=lookback, refresh_hours=settings.topics_refresh_hours,
            redacted_retry_days=settings.redacted_user_retry_days, sweep_share=settings.sweep_share,
            with_=frozenset(options.with_),
            full_refresh=options.full_refresh, since=_utc(options.since), chunk_pages=max(1, options.chunk_pages),
            on_page=progress.update,
        )
        newest = run.fetch("newest_post")  # proves the token before anything is created on disk
        if run.error is not None:
            raise run.error
        nodes = newest["posts"]["nodes"] if newest else []
        run.newest = ts(nodes[0]["createdAt"]) if nodes else None
        if not is_warehouse(settings):
            prepare_working_file(settings)  # created in the storage version DuckDB 1.x clients read
        try:
            pipeline = make_pipeline(settings)
        except OSError as exc:  # an unwritable or full data directory
            raise ProductHuntDBError(f"cannot prepare dlt's working directory under {settings.dlt_dir}: {exc}") from None
        loader = _Loader(pipeline, settings, report)
        loader.finish_pending()
        run.db_query = _DB(pipeline, settings).query
        progress.rows = run.rows

        def record(position: dict[str, Any] | None, error: ProductHuntDBError | None = None) -> dict[str, Any]:
            _fill_report(report, run, governor, client.retries, position, error)
            return report.row()

        run.record = record
        error: ProductHuntDBError | None = None
        with progress.running():
            try:
                if run.stop_reason is None:
                    _harvest(run, loader)
            except ProductHuntDBError as exc:
                error = exc
        error = error or run.error
        if error is not None or not run.recorded:
            _record(loader, run, report, error)
        else:
            _fill_report(report, run, governor, client.retries, read_position(dict(pipeline.state)), None)
    logger.info(
        "sync {} {}{}: {} pages, {} points{}{}, {} rows, {} retries, {} 429s{}",
        run_id, report.status, f" ({report.stop_reason})" if report.stop_reason else "", report.pages,
        report.points,
        # nothing new harvested: there is no per-post price to tell
        f" ({report.points_per_post} per post)" if report.points_per_post is not None else "",
        f", {report.foreign_points} foreign points (another tool of this application)" if report.foreign_points else "",
        sum(v for k, v in report.rows.items() if k != "_sync_runs"), report.retries, report.n_429,
        f", {report.quarantined} posts quarantined (unreadable on the API; see raw._quarantine)"
        if report.quarantined else "",
    )
    if error is not None:
        raise error
    return report


def _fill_report(
    report: SyncReport, run: HarvestRun, governor: BudgetGovernor, retries: int,
    position: dict[str, Any] | None, error: ProductHuntDBError | None,
) -> None:
    if error is not None:
        report.status, report.stop_reason = "failed", str(error)[:500]
    elif run.stop_reason is not None:
        report.status, report.stop_reason = "stopped", run.stop_reason
    elif run.partial or run.stats.gaps:
        report.status = "partial"
        reasons = [f"{part}: {problem}" for part, problem in run.partial.items()]
        if run.stats.gaps:
            reasons.append(
                f"{run.stats.missing} post(s) the API listed were not received, in {run.stats.gaps} window(s): see raw._gaps"
            )
        report.stop_reason = "; ".join(reasons)[:500]
    stats = run.stats
    report.finished_at = datetime.now(UTC)
    report.pages, report.points = stats.pages, governor.points
    report.retries, report.n_429 = retries, governor.n_429
    report.waited_seconds, report.window_usage = governor.waited_seconds, list(governor.window_usage)
    report.longest_wait, report.foreign_points = governor.longest_wait, governor.foreign_points
    report.points_per_post = round(governor.points / stats.posts_full, 2) if stats.posts_full else None
    report.backfill_position = ts(position.get("high_water")) if position else None
    report.quarantined = stats.quarantined
    report.gaps, report.missing = stats.gaps, stats.missing
    report.rows = dict(sorted({**run.rows, "_sync_runs": 1}.items()))


def _record(loader: _Loader, run: HarvestRun, report: SyncReport, error: ProductHuntDBError | None) -> None:
    """Load the ``_sync_runs`` row of a run that stopped or failed (and with it anything a failed
    load left pending); a complete run's row rode with its final chunk."""
    position = read_position(dict(loader.pipeline.state))
    record = run.record
    assert record is not None
    row = record(position, error)
    run.record, run.recorded = (lambda _position: row), False
    run.finished.update(PHASE_FETCHERS)  # only the record is selected: let it through
    run.error = run.stop_reason = None
    try:
        loader.load(producthunt(run).with_resources("_sync_runs"), chunk=False)
    except ProductHuntDBError as exc:
        if error is None:
            report.status, report.stop_reason = "failed", str(exc)[:500]
            raise
        # its record stays in a pending load package, stored first thing by the next sync
        logger.warning("this run's record could not be stored now; the next sync stores it")


def store_prices(settings: Settings, book: PriceBook) -> None:
    """Commit ``book`` to the harvest state of the working file (``doctor --calibrate``): the next run
    prices its first request with it. Pending packages are stored first, like a sync would."""
    check_database(settings)
    if not is_warehouse(settings):
        prepare_working_file(settings)
    loader = _Loader(make_pipeline(settings), settings, SyncReport(run_id="prices"))
    loader.finish_pending()
    loader.load(price_book(book.dump()), chunk=False)


def saved_position(settings: Settings) -> dict[str, Any] | None:
    """The position stored *in the database* (dlt's state table), read-only; None if there is none."""
    state = saved_state(settings)
    return read_position(state) if state is not None else None


def stored_prices(settings: Settings) -> PriceBook:
    """The price book stored in the database by earlier runs (empty before the first, or offline)."""
    if not is_warehouse(settings) and not settings.db_path.is_file():
        return PriceBook()
    try:
        state = saved_state(settings)
    except Exception as exc:  # a head start, never a reason to fail: the run learns the prices again
        logger.debug("stored prices unreadable ({}): starting from the estimates", exc)
        return PriceBook()
    return PriceBook.load(read_prices(state) if state is not None else None)


def saved_state(settings: Settings) -> dict[str, Any] | None:
    """The pipeline state stored *in the database* (dlt's state table), read-only; None if there is none."""
    if is_warehouse(settings):
        return _saved_state_on_server(settings)
    with opened(settings.db_path) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [settings.dataset_name, "_dlt_pipeline_state"],
        ).fetchone()
        if not exists or not exists[0]:
            return None
        row = con.execute(
            f"select state from {quote_identifier(settings.dataset_name)}._dlt_pipeline_state where pipeline_name = ? "
            f"and _dlt_load_id in (select load_id from {quote_identifier(settings.dataset_name)}._dlt_loads where status = 0) "
            "order by version desc limit 1",
            [settings.pipeline_name],
        ).fetchone()
    if not row:
        return None
    from dlt.pipeline.state_sync import decompress_state

    return dict(decompress_state(row[0]))


def _saved_state_on_server(settings: Settings) -> dict[str, Any] | None:
    """:func:`saved_state` on a warehouse, through its own connection (``%s`` placeholders)."""
    from producthuntdb import destination

    dataset = quote_identifier(settings.dataset_name)
    exists = destination.query(
        settings,
        "select count(*) from information_schema.tables where table_schema = %s and table_name = %s",
        (settings.dataset_name, "_dlt_pipeline_state"),
    )
    if not exists or not exists[0][0]:
        return None
    rows = destination.query(
        settings,
        f"select state from {dataset}._dlt_pipeline_state where pipeline_name = %s "
        f"and _dlt_load_id in (select load_id from {dataset}._dlt_loads where status = 0) "
        "order by version desc limit 1",
        (settings.pipeline_name,),
    )
    if not rows:
        return None
    from dlt.pipeline.state_sync import decompress_state

    return dict(decompress_state(rows[0][0]))


def pending_packages(settings: Settings) -> int:
    """Load packages fetched for this database but not stored yet (a failed or killed run's)."""
    root = Path(pipelines_dir(settings)) / settings.pipeline_name
    folders = (root / "normalize" / "extracted", root / "load" / "normalized", root / "load" / "loading")
    return sum(1 for folder in folders if folder.is_dir() for package in folder.iterdir() if package.is_dir())


def backfill_status(settings: Settings) -> dict[str, Any]:
    """How far the harvest has come; with a usable token and API, an estimate of what is left.

    Offline (no token, API unreachable) the estimate keys are None. The estimate costs a
    few points: ``posts(postedAfter:…, first: 0) { totalCount }`` is 2 points a range.
    """
    status: dict[str, Any] = {
        "floor": None, "high_water": None, "window": None, "estimated_posts": None,
        "estimated_points": None, "estimate_error": None, "pending_packages": pending_packages(settings),
    }
    if not is_warehouse(settings) and not settings.db_path.is_file():
        return status
    try:
        saved = saved_state(settings)
    except Exception as exc:  # an unreachable warehouse: status says so instead of failing
        status["error"] = " ".join(str(exc).split())[:200]
        return status
    state = read_position(saved) if saved is not None else None
    if saved is None or state is None:
        return status
    status.update(
        floor=state.get("floor"), high_water=state.get("high_water"), window=state.get("window"), sweep=state.get("sweep")
    )
    if settings.token_problems():
        status["estimate_error"] = "no usable token"
        return status
    try:
        governor = BudgetGovernor(settings.budget_share, prices=PriceBook.load(read_prices(saved)))  # as runs learned
        with GraphQLClient(settings, governor, max_retries=1) as client:  # status must answer fast when offline
            posts = 0
            for variables in remaining_ranges(state):
                posts += int(client.execute(load_query("posts_total"), variables)["posts"]["totalCount"])
            page_price = client.price(load_query("posts_page"), {"first": 20})
    except ProductHuntDBError as exc:
        status["estimate_error"] = str(exc)
        return status
    status["estimated_posts"] = posts
    status["estimated_points"] = math.ceil(posts / 20) * page_price
    return status
