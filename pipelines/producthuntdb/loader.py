"""The dlt pipeline a sync loads through: its working directory, the raw schema's upgrades, chunk loads.

The working directory follows the database (:func:`pipelines_dir`), so pending packages and local
state of one file never reach another. :class:`Loader` stores what a killed run left before
anything else and takes the position from the database, then loads one chunk at a time; every
load waits for the database's lock (``warehouse.access.wait_for_lock``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dlt
from dlt.common.schema.utils import new_table
from loguru import logger

from producthuntdb.errors import ProductHuntDBError
from producthuntdb.logs import route_library_loggers
from producthuntdb.settings import Settings
from producthuntdb.source.contract import TABLES
from producthuntdb.tracing import span
from producthuntdb.warehouse import open as open_warehouse
from producthuntdb.warehouse.access import as_error, wait_for_lock
from producthuntdb.warehouse.targets import dlt_destination, loader_file_format

if TYPE_CHECKING:
    from producthuntdb.syncmodel import SyncReport


FAIL_LOAD_AT: int | None = None
"""A test hook, not a setting: the N-th chunk load of a sync raises (tests prove a failed load loses nothing)."""


def pipelines_dir(settings: Settings) -> str:
    """dlt's working directory for *this* database file: state and pending packages follow the file.

    Keyed on the resolved path, so pointing ``PRODUCTHUNT_DUCKDB_PATH`` at another file never
    loads one file's pending rows into another or reads its position.
    """
    return str(settings.dlt_dir / open_warehouse(settings).local_state_name())


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


class Loader:
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
                raise as_error(exc, f"finishing an interrupted load into {settings.db_path}") from None
        pipeline.drop()
        if open_warehouse(settings).exists():
            try:
                wait_for_lock(settings, "read the saved position", pipeline.sync_destination)
            except Exception as exc:
                raise as_error(exc, f"reading the saved position from {settings.db_path}") from None
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
                        raise ProductHuntDBError(f"load {self.report.loads} failed (loader.FAIL_LOAD_AT, a test hook)")
                wait_for_lock(self.settings, "load", pipeline.load)
        except Exception as exc:  # dlt wraps everything in PipelineStepFailed
            raise as_error(exc, f"loading into {self.settings.db_path}") from None
