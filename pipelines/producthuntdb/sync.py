"""``run_sync``: one bounded, resumable, crash-safe harvest of the API into ``raw.*``.

A run: check the database file (not corrupt, not locked past the wait limit) and the token
with the first (3-point) request before anything is created on disk; open the dlt pipeline
whose working directory belongs to this database file, finish any load package a killed or
failed run left behind, then take the position from the database itself (dlt state restored
from the destination), so local leftovers can never be ahead of what is stored.

Then the ``harvest`` source (``source/``) runs phase by phase, one *chunk* at a time:
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

import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from loguru import logger

from producthuntdb import warehouse
from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.api.prices import PriceBook
from producthuntdb.display import SyncProgress
from producthuntdb.errors import ConfigError, ProductHuntDBError
from producthuntdb.loader import Loader, make_pipeline, pipelines_dir
from producthuntdb.rawquery import RawQuery
from producthuntdb.savedstate import stored_prices
from producthuntdb.settings import Settings
from producthuntdb.source import PHASE_FETCHERS, harvest, phases, price_book, read_position
from producthuntdb.source.helpers import ChunkLimits, HarvestRun, ts
from producthuntdb.syncmodel import WITH_CHOICES, SyncOptions, SyncReport
from producthuntdb.tracing import span


def _validate(settings: Settings, options: SyncOptions) -> tuple[float, float]:
    """The share and look-back this run uses (the options checked themselves when made), and the one
    check that needs the settings: a path dlt cannot quote."""
    share = options.budget_share if options.budget_share is not None else settings.budget_share
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


def _harvest(run: HarvestRun, loader: Loader) -> None:
    """Every phase of the source, a chunk per load, until done, stopped or failed."""
    run.finished.update(WITH_CHOICES - run.with_)
    for fetchers, selected in phases(run.with_):
        while not run.interrupted and not run.finished.issuperset(fetchers):
            pages, finished = run.stats.pages, len(run.finished)
            run.new_chunk()
            loader.load(harvest(run).with_resources(*selected))
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
    where = warehouse.open(settings)
    where.check_ready()
    governor.prices = stored_prices(settings)  # priced from the first request with what earlier runs learned
    tty = sys.stderr.isatty() if options.progress is None else options.progress
    progress = SyncProgress(tty, governor)
    with GraphQLClient(settings, governor, backoff_base=options.backoff_base) as client, span("sync", run_id=run_id):
        run = HarvestRun(
            client=client, db_query=lambda sql, params: [], run_id=run_id, observed_at=started,
            lookback_hours=lookback, refresh_hours=settings.topics_refresh_hours,
            redacted_retry_days=settings.redacted_user_retry_days, sweep_share=settings.sweep_share,
            with_=frozenset(options.with_),
            full_refresh=options.full_refresh, since=_utc(options.since), limits=ChunkLimits(pages=max(1, options.chunk_pages)),
            on_page=progress.update,
        )
        run.find_newest()  # proves the token before anything is created on disk
        if run.error is not None:
            raise run.error
        where.prepare()  # the working file created in the storage version DuckDB 1.x clients read
        try:
            pipeline = make_pipeline(settings)
        except OSError as exc:  # an unwritable or full data directory
            raise ProductHuntDBError(f"cannot prepare dlt's working directory under {settings.dlt_dir}: {exc}") from None
        loader = Loader(pipeline, settings, report)
        loader.finish_pending()
        run.db_query = RawQuery(pipeline, settings).query
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


def _record(loader: Loader, run: HarvestRun, report: SyncReport, error: ProductHuntDBError | None) -> None:
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
        loader.load(harvest(run).with_resources("_sync_runs"), chunk=False)
    except ProductHuntDBError as exc:
        if error is None:
            report.status, report.stop_reason = "failed", str(exc)[:500]
            raise
        # its record stays in a pending load package, stored first thing by the next sync
        logger.warning("this run's record could not be stored now; the next sync stores it")


def store_prices(settings: Settings, book: PriceBook) -> None:
    """Commit ``book`` to the harvest state of the working file (``doctor --calibrate``): the next run
    prices its first request with it. Pending packages are stored first, like a sync would."""
    where = warehouse.open(settings)
    where.check_ready()
    where.prepare()
    loader = Loader(make_pipeline(settings), settings, SyncReport(run_id="prices"))
    loader.finish_pending()
    loader.load(price_book(book.dump()), chunk=False)
