"""What dlt keeps for this database, read-only: the harvest state it stored, the packages still pending.

``status``, ``doctor --calibrate`` and a sync's first request read them. The state is read by dlt's
own reader — as ``pipeline.sync_destination`` restores it, the newest state of a completed load —
so nothing here knows dlt's state table. A DuckDB file is opened read-only (never its write lock)
and nothing is created on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb.api.prices import PriceBook
from producthuntdb.loader import pipelines_dir
from producthuntdb.settings import Settings
from producthuntdb.source import SOURCE_NAME, read_position, read_prices
from producthuntdb.warehouse import open as open_warehouse


def saved_position(settings: Settings) -> dict[str, Any] | None:
    """The position stored *in the database* (dlt's state table), read-only; None if there is none."""
    state = saved_state(settings)
    return read_position(state) if state is not None else None


def stored_prices(settings: Settings) -> PriceBook:
    """The price book stored in the database by earlier runs (empty before the first, or offline)."""
    if not open_warehouse(settings).exists():
        return PriceBook()
    try:
        state = saved_state(settings)
    except Exception as exc:  # a head start, never a reason to fail: the run learns the prices again
        logger.debug("stored prices unreadable ({}): starting from the estimates", exc)
        return PriceBook()
    return PriceBook.load(read_prices(state) if state is not None else None)


def saved_state(settings: Settings) -> dict[str, Any] | None:
    """The pipeline state stored *in the database*, read-only; None if there is none."""
    with open_warehouse(settings).state_destination() as destination:
        return _stored_state(settings, destination)


def _stored_state(settings: Settings, destination: Any) -> dict[str, Any] | None:
    """dlt's reader of the stored state, on a job client made for this one read (no pipeline, no files)."""
    from dlt.common.destination.client import WithStateSync
    from dlt.common.schema import Schema
    from dlt.dataset.utils import get_destination_clients
    from dlt.destinations.exceptions import DestinationUndefinedEntity
    from dlt.pipeline.state_sync import load_pipeline_state_from_destination

    client, _ = get_destination_clients(
        Schema(SOURCE_NAME), destination=destination, destination_dataset_name=settings.dataset_name
    )
    if not isinstance(client, WithStateSync):
        return None  # a destination that keeps no state (none of ours)
    try:
        with client:
            state = load_pipeline_state_from_destination(settings.pipeline_name, client)
    except DestinationUndefinedEntity:  # nothing loaded yet: no dataset, or no state table
        return None
    return dict(state) if state is not None else None


def pending_packages(settings: Settings) -> int:
    """Load packages fetched for this database but not stored yet (a failed or killed run's).

    Read from dlt's folders by hand: ``dlt.attach`` would list them, but when it finds no state file
    (a sync that has just dropped its working folder) it makes the pipeline again and wipes the
    folder, which a read-only ``status`` beside a running sync must never do.
    """
    root = Path(pipelines_dir(settings)) / settings.pipeline_name
    folders = (root / "normalize" / "extracted", root / "load" / "normalized", root / "load" / "loading")
    return sum(1 for folder in folders if folder.is_dir() for package in folder.iterdir() if package.is_dir())
