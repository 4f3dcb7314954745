"""The raw contract: every ``raw.*`` table and column, written once.

dlt creates the tables from these hints (types, keys, merge keys); the dbt staging models
read them through ``dbt_project/macros/raw_contract.sql``, which is *generated* from this
module (``python -m producthuntdb.source.contract``) and checked against it by a test;
``status`` and the tests read the table names and keys from here too.

Column names are the API's field names after dlt's ``snake_case`` naming convention
(``votesCount`` → ``votes_count``): resources yield the API's nodes and dlt renames them.
Timestamps are ``timestamptz``, counts ``bigint``; ids stay text exactly as the API sends
them, redacted ``"0"`` included. Link tables whose rows are replaced wholesale when their
parent is re-read have a ``merge_key`` on the parent id (dlt's delete-insert merge then drops
links that disappeared); ``post_topics`` comes a topic at a time (``membership.py``), so it
merges link by link and a link the API drops stays.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from dlt.common.schema.typing import TColumnSchema

SQL_TYPES = {"text": "varchar", "bigint": "bigint", "double": "double precision", "bool": "boolean", "timestamp": "timestamptz"}
"""dlt data type → SQL type, the same on DuckDB and PostgreSQL (for the dbt staging models and empty stand-ins)."""


@dataclass(frozen=True)
class TableSpec:
    """A raw table's contract (docs/ARCHITECTURE.md, "Raw tables")."""

    primary_key: tuple[str, ...]
    types: dict[str, str]
    merge_key: str | None = None

    @property
    def columns(self) -> dict[str, TColumnSchema]:
        """dlt column hints: every column typed and nullable, timestamps with a time zone."""
        columns: dict[str, TColumnSchema] = {}
        for name, data_type in self.types.items():
            column: dict[str, Any] = {"name": name, "data_type": data_type, "nullable": True}
            if data_type == "timestamp":
                column["timezone"] = True
            columns[name] = column  # type: ignore[assignment]
        return columns

    def hints(self) -> dict[str, Any]:
        """Keyword arguments of ``@dlt.resource`` for a resource writing this table."""
        return {
            "write_disposition": "merge",
            "primary_key": list(self.primary_key),
            "merge_key": self.merge_key or "",
            "columns": self.columns,
            "schema_contract": {"columns": "evolve"},
        }

    def sql_types(self) -> dict[str, str]:
        return {name: SQL_TYPES[data_type] for name, data_type in self.types.items()}


def _spec(primary_key: str, columns: str, merge_key: str | None = None) -> TableSpec:
    """``columns`` as ``"name:type name:type"`` (type ``text`` when omitted): the list reads as a table."""
    types = {}
    for item in columns.split():
        name, _, data_type = item.partition(":")
        types[name] = data_type or "text"
    return TableSpec(tuple(primary_key.split(",")), types, merge_key)


TABLES: dict[str, TableSpec] = {
    "posts": _spec(
        "id",
        "id name tagline description slug url website votes_count:bigint comments_count:bigint"
        " reviews_count:bigint reviews_rating:double created_at:timestamp featured_at:timestamp user_id"
        " repaired"  # the fields whose unstorable text was repaired (source/values.py); null when none
        " thumbnail_url",
    ),
    "post_metrics": _spec(
        "post_id,run_id", "post_id votes_count:bigint comments_count:bigint observed_at:timestamp run_id"
    ),
    "topics": _spec(
        "id", "id name slug description followers_count:bigint posts_count:bigint created_at:timestamp url"
    ),
    "users": _spec(
        "id",
        "id name username headline url profile_image twitter_username website_url is_maker:bool"
        " created_at:timestamp is_viewer:bool",  # is_viewer: the token's owner, kept out of the marts
    ),
    "post_topics": _spec("post_id,topic_id", "post_id topic_id"),  # arrives a topic at a time: merged per link
    "post_makers": _spec("post_id,position", "post_id position:bigint maker_id", merge_key="post_id"),
    "post_links": _spec(  # the post's productLinks, one row per position, replaced with the post
        "post_id,position", "post_id position:bigint type url", merge_key="post_id"
    ),
    "collections": _spec(
        "id",
        "id name tagline description url cover_image followers_count:bigint created_at:timestamp"
        " featured_at:timestamp user_id",
    ),
    "collection_posts": _spec("collection_id,post_id", "collection_id post_id", merge_key="collection_id"),
    "comments": _spec(
        "id", "id post_id parent_id body url user_id votes_count:bigint created_at:timestamp"
    ),
    "votes": _spec("id", "id post_id user_id created_at:timestamp"),
    "_quarantine": _spec(
        "entity,id",
        "entity id window_after:timestamp window_before:timestamp after_cursor error first_seen:timestamp"
        " attempts:bigint last_attempt:timestamp resolved_at:timestamp",
    ),
    # posts windows closed short of the API's totalCount after asking twice (source/ledger.py)
    "_gaps": _spec(
        "run_id,window_after",
        "run_id window_after:timestamp window_before:timestamp expected:bigint received:bigint quarantined:bigint"
        " unusable:bigint reason recorded_at:timestamp",
    ),
    "_sync_runs": _spec(
        "run_id",
        "run_id started_at:timestamp finished_at:timestamp status stop_reason pages:bigint points:bigint"
        " rows_json retries:bigint n_429:bigint points_per_post:double backfill_position:timestamp"
        " quarantined:bigint gaps:bigint foreign_points:bigint",
    ),
}


POST_NESTED = ("makers", "topics", "thumbnail", "productLinks")
"""Fields of a post node that are not ``posts`` columns: their own tables, or ``thumbnail_url``."""


def post_row(node: dict[str, Any]) -> dict[str, Any]:
    """A ``posts`` row from a post node: ``thumbnail { url }`` flattened to ``thumbnail_url``."""
    row = {key: value for key, value in node.items() if key not in POST_NESTED}
    row["thumbnail_url"] = (node.get("thumbnail") or {}).get("url")
    return row


def empty_relation(table: str) -> str:
    """A typed, empty SQL stand-in for a raw table not created yet."""
    columns = ", ".join(f"CAST(NULL AS {sql}) AS {name}" for name, sql in TABLES[table].sql_types().items())
    return f"(SELECT {columns} WHERE false)"


def dbt_macro() -> str:
    """The text of ``dbt_project/macros/raw_contract.sql``: the contract as a dbt macro."""
    lines = [
        "{#- GENERATED from pipelines/producthuntdb/source/contract.py by",
        "    `python -m producthuntdb.source.contract > dbt_project/macros/raw_contract.sql`;",
        "    do not edit (tests/unit/test_contract.py fails when it is stale). -#}",
        "{% macro raw_contract(table_name) -%}",
        "    {%- set contract = {",
    ]
    for table, spec in TABLES.items():
        if table.startswith("_"):
            continue
        columns = ", ".join(f"'{name}': '{sql}'" for name, sql in spec.sql_types().items())
        lines.append(f"        '{table}': {{{columns}}},")
    lines += ["    } -%}", "    {{ return(contract[table_name]) }}", "{%- endmacro %}", ""]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - the generator of the dbt macro
    sys.stdout.write(dbt_macro())
