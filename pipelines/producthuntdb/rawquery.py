"""The source's reads of ``raw.*`` (the look-back, membership, the sweep), templated for the destination.

The source writes each query once with ``{table}`` names and ``?`` placeholders; here they become
what the destination reads, so no resource knows where the rows live.
"""

from __future__ import annotations

from typing import Any

import dlt

from producthuntdb.settings import Settings
from producthuntdb.source.contract import TABLES, empty_relation
from producthuntdb.warehouse import open as open_warehouse
from producthuntdb.warehouse.access import as_error, wait_for_lock
from producthuntdb.warehouse.base import format_placeholders


class RawQuery:
    """Reads ``raw.*`` through dlt's own SQL client (same connection settings as the loader).

    The source writes ``?`` placeholders; dlt's SQL clients all take ``%s`` (its DuckDB client turns
    them back). Where every subquery in FROM needs an alias (PostgreSQL), which the source's templates
    do not give, absent tables are named empty temporary tables instead.
    """

    def __init__(self, pipeline: dlt.Pipeline, settings: Settings) -> None:
        self.pipeline = pipeline
        self.settings = settings

    def query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if not self.pipeline.default_schema_name:
            existing: set[str] = set()
        else:
            existing = set(self.pipeline.default_schema.data_table_names())

        named_empties = open_warehouse(self.settings).derived_tables_need_alias

        def _run() -> list[tuple[Any, ...]]:
            with self.pipeline.sql_client() as client:
                names = {}
                for name in TABLES:
                    if name in existing:
                        names[name] = client.make_qualified_table_name(name)
                    elif named_empties and f"{{{name}}}" in sql:
                        client.execute_sql(f"create temporary table if not exists _empty_{name} as {empty_relation(name)}")
                        names[name] = f"_empty_{name}"
                    else:
                        names[name] = empty_relation(name)
                statement = sql.format(**names)
                if params:
                    statement = format_placeholders(statement)
                with client.execute_query(statement, *params) as cursor:
                    return [tuple(r) for r in cursor.fetchall()]

        try:
            return wait_for_lock(self.settings, "read it", _run)
        except Exception as exc:
            raise as_error(exc, f"reading {self.settings.db_path}") from None
