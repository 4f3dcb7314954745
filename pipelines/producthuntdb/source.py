"""The dlt source ``producthunt``: table contracts of ``raw.*`` and how a batch is loaded.

The harvest itself (API paging, windows, budget) lives in ``sync.py``; it fetches pages
and hands them here a chunk at a time. Each chunk becomes one dlt load of the source
``producthunt``: one ``merge`` resource per raw table plus the harvest position, written
into the source state *inside the same extract*, so the position is committed atomically
with the rows it describes (a SIGKILL between chunks loses nothing that was loaded; a
pending package is finished by the next run before it fetches anything).

Every table has explicit column types (timestamps ``timestamptz``, counts ``bigint``), a
primary key, and — for link tables whose rows are replaced wholesale when their parent is
re-read — a ``merge_key`` on the parent id (dlt's delete-insert merge then drops links that
disappeared). Ids stay text exactly as the API sends them, redacted ``"0"`` included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.schema.typing import TColumnSchema
from dlt.extract.resource import DltResource

SOURCE_NAME = "producthunt"
STATE_KEY = "harvest"

_T = "text"
_B = "bigint"
_TS = "timestamp"


def _cols(**types: str) -> dict[str, TColumnSchema]:
    columns: dict[str, TColumnSchema] = {}
    for name, data_type in types.items():
        column: dict[str, Any] = {"name": name, "data_type": data_type, "nullable": True}
        if data_type == _TS:
            column["timezone"] = True
        columns[name] = column  # type: ignore[assignment]
    return columns


@dataclass(frozen=True)
class TableSpec:
    """A raw table's contract (docs/ARCHITECTURE.md, "Raw tables")."""

    primary_key: tuple[str, ...]
    columns: dict[str, TColumnSchema]
    merge_key: str | None = None


TABLES: dict[str, TableSpec] = {
    "posts": TableSpec(
        ("id",),
        _cols(
            id=_T, name=_T, tagline=_T, description=_T, slug=_T, url=_T, website=_T,
            votes_count=_B, comments_count=_B, reviews_count=_B, reviews_rating="double",
            created_at=_TS, featured_at=_TS, user_id=_T,
        ),
    ),
    "post_metrics": TableSpec(
        ("post_id", "run_id"),
        _cols(post_id=_T, votes_count=_B, comments_count=_B, observed_at=_TS, run_id=_T),
    ),
    "topics": TableSpec(
        ("id",),
        _cols(
            id=_T, name=_T, slug=_T, description=_T, followers_count=_B, posts_count=_B,
            created_at=_TS, url=_T,
        ),
    ),
    "users": TableSpec(
        ("id",),
        _cols(
            id=_T, name=_T, username=_T, headline=_T, url=_T, profile_image=_T, twitter_username=_T,
            website_url=_T, is_maker="bool", created_at=_TS,
        ),
    ),
    "post_topics": TableSpec(("post_id", "topic_id"), _cols(post_id=_T, topic_id=_T, position=_B), "post_id"),
    "post_makers": TableSpec(("post_id", "position"), _cols(post_id=_T, position=_B, maker_id=_T), "post_id"),
    "collections": TableSpec(
        ("id",),
        _cols(
            id=_T, name=_T, tagline=_T, description=_T, url=_T, cover_image=_T, followers_count=_B,
            created_at=_TS, featured_at=_TS, user_id=_T,
        ),
    ),
    "collection_posts": TableSpec(
        ("collection_id", "post_id"), _cols(collection_id=_T, post_id=_T), "collection_id"
    ),
    "comments": TableSpec(
        ("id",),
        _cols(
            id=_T, post_id=_T, parent_id=_T, body=_T, url=_T, user_id=_T, votes_count=_B, created_at=_TS,
        ),
    ),
    "votes": TableSpec(("id",), _cols(id=_T, post_id=_T, user_id=_T, created_at=_TS)),
    "_sync_runs": TableSpec(
        ("run_id",),
        _cols(
            run_id=_T, started_at=_TS, finished_at=_TS, status=_T, stop_reason=_T, pages=_B, points=_B,
            rows_json=_T, retries=_B, n_429=_B, points_per_post="double", backfill_position=_TS,
        ),
    ),
}


@dataclass
class Batch:
    """Rows fetched since the last load, and the harvest position they bring us to."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    state: dict[str, Any] | None = None

    def add(self, table: str, row: dict[str, Any]) -> None:
        assert table in TABLES, f"unknown raw table {table!r}"
        self.rows.setdefault(table, []).append(row)

    def count(self) -> int:
        return sum(len(v) for v in self.rows.values())


def table_resource(name: str, rows: list[dict[str, Any]]) -> DltResource:
    """One raw table as a ``merge`` resource with its contract's hints."""
    spec = TABLES[name]
    return dlt.resource(
        rows,
        name=name,
        table_name=name,
        write_disposition="merge",
        primary_key=list(spec.primary_key),
        merge_key=spec.merge_key or "",
        columns=spec.columns,
        schema_contract={"columns": "evolve"},
    )


@dlt.source(name=SOURCE_NAME, max_table_nesting=0, root_key=False)
def producthunt(batch: Batch) -> list[DltResource]:
    """The Product Hunt source for one chunk: its rows per raw table, plus its position."""

    def _position() -> Iterator[dict[str, Any]]:
        if batch.state is not None:
            dlt.current.source_state()[STATE_KEY] = batch.state
        yield from ()

    resources = [table_resource(name, rows) for name, rows in batch.rows.items() if rows]
    resources.append(dlt.resource(_position, name="_harvest_position", write_disposition="append"))
    return resources
