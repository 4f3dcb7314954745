"""What ``producthunt(...)`` builds for itself when run by plain dlt: the client, the governor, the run.

``sync`` builds its ``HarvestRun`` from its options and drives it chunk by chunk; a dlt user calls
``pipeline.run(producthunt(token=...))`` and gets the same harvest in one load. The rest of the
configuration (look-back, budget share, timeouts) comes from ``Settings`` as for ``sync``. The raw
tables loaded by earlier runs are read through the running pipeline's own SQL client.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import dlt

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.api.prices import PriceBook
from producthuntdb.errors import ConfigError
from producthuntdb.settings import load_settings
from producthuntdb.source.contract import TABLES, empty_relation
from producthuntdb.source.helpers import WITH_CHOICES, DbQuery, HarvestRun


def plain_run(
    token: str, api_url: str, with_: Iterable[str], full_refresh: bool, since: datetime | None,
    db_query: DbQuery | None, prices: dict[str, Any] | None,
) -> HarvestRun:
    """A run with no chunk limits, its newest post found (the first request proves the token)."""
    if isinstance(with_, str):  # "comments,votes" from a config file or the environment
        with_ = [item.strip() for item in with_.split(",") if item.strip()]
    unknown = set(with_) - WITH_CHOICES
    if unknown:
        raise ConfigError(f"with_: unknown {', '.join(sorted(unknown))} (choose from comments, votes, media)")
    settings = load_settings(api_url=api_url, token=token)
    governor = BudgetGovernor(budget_share=settings.budget_share)
    governor.prices = PriceBook.load(prices)
    client = GraphQLClient(settings, governor)
    started = datetime.now(UTC)
    run = HarvestRun(
        client=client, db_query=db_query or pipeline_query, run_id=f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}",
        observed_at=started, lookback_hours=settings.lookback_hours, refresh_hours=settings.topics_refresh_hours,
        redacted_retry_days=settings.redacted_user_retry_days, sweep_share=settings.sweep_share,
        with_=frozenset(with_), full_refresh=full_refresh,
        since=None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(UTC),
    )
    weakref.finalize(run, client.close)  # dlt runs the resources later: the client lives as long as the run
    run.find_newest()
    if run.error is not None:
        raise run.error
    return run


def pipeline_query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """``db_query`` on the pipeline running the source: its loaded raw tables, a table not loaded
    yet read as empty (no rows, not even an aggregate's: the readers take both alike). The
    templates keep DuckDB's ``?`` placeholders: another destination passes its own ``db_query``
    (``sync`` does, ``rawquery.py``)."""
    pipeline = dlt.current.pipeline()
    loaded: set[str] = set(pipeline.default_schema.data_table_names()) if pipeline.default_schema_name else set()
    if not loaded:  # nothing loaded yet (a first run): no dataset to connect to, every read is empty
        return []
    with pipeline.sql_client() as client:
        names = {n: client.make_qualified_table_name(n) if n in loaded else empty_relation(n) for n in TABLES}
        with client.execute_query(sql.format(**names), *params) as cursor:
            return [tuple(row) for row in cursor.fetchall()]
