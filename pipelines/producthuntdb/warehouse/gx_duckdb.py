"""A duckdb_engine dialect that Great Expectations 1.24 can validate through.

Two incompatibilities stop GX's SQL datasource over ``duckdb_engine`` out of the box:

1. GX's ``SqlAlchemyExecutionEngine.execute_query`` closes its connection *before* the caller
   fetches the rows. Returning the connection to the pool rolls it back, and DuckDB drops the
   pending result, so ``resolve_metric_bundle`` reads ``res[0]`` of an empty list (IndexError,
   GX issues #10738 and #11579). Fix: fetch every row result while the connection is still
   open, in the dialect's ``post_exec`` hook (SQLAlchemy's own ``FullyBufferedCursorFetchStrategy``,
   made for exactly "the conversation cannot be continued"). GX's metric queries return one row
   or a bounded list of unexpected values, so buffering costs nothing.
2. SQLAlchemy 2.1's PostgreSQL column reflection (which duckdb_engine 0.17 inherits) joins
   ``pg_catalog.pg_collation``, which DuckDB lacks, so GX falls back to an unqualified
   ``SELECT * FROM <table>`` that misses any schema but ``main``. Fix: reflect columns from
   ``information_schema.columns``.

Both fixes live in a dialect *subclass* registered as ``duckdb+buffered``, instead of a global
``Engine`` event: they apply only to the engines the gate creates from :func:`connection_url`,
never to anyone else's SQLAlchemy engine in the process, and the dialect still reports its name
as ``duckdb`` so GX picks its DuckDB SQL flavour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy import exc, text
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.psycopg2 import PGExecutionContext_psycopg2
from sqlalchemy.engine import Connection, reflection
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.types import NullType

DRIVER = "buffered"


class _BufferedExecutionContext(PGExecutionContext_psycopg2):
    """Fetches each row-returning result at once, before anyone can close the connection."""

    def post_exec(self) -> None:
        super().post_exec()
        cursor = self.cursor
        if cursor is not None and cursor.description is not None:
            self.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(cursor)


class BufferedDuckDBDialect(DuckDBDialect):
    """duckdb_engine with buffered results and information_schema column reflection."""

    driver = DRIVER
    execution_ctx_cls = _BufferedExecutionContext  # duckdb_engine's own context class, plus buffering
    supports_statement_cache = False  # as duckdb_engine; said again because SQLAlchemy asks each subclass

    @reflection.cache
    def get_columns(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedColumn]:
        rows = connection.execute(
            text(
                "select column_name, data_type, is_nullable = 'YES' from information_schema.columns "
                "where table_name = :table and table_schema = coalesce(:schema, current_schema()) "
                "order by ordinal_position"
            ),
            {"table": str(table_name), "schema": schema},
        ).fetchall()
        if not rows:
            raise exc.NoSuchTableError(f"{schema}.{table_name}" if schema else str(table_name))
        return [
            ReflectedColumn(
                name=str(name), type=self._column_type(str(data_type)), nullable=bool(nullable), default=None
            )
            for name, data_type, nullable in rows
        ]

    def _column_type(self, data_type: str) -> Any:
        base = data_type.split("(")[0].strip().lower()
        type_class = self.ischema_names.get(base)
        return type_class() if type_class is not None else NullType()


registry.register(f"duckdb.{DRIVER}", __name__, "BufferedDuckDBDialect")


def connection_url(path: Path) -> str:
    """The SQLAlchemy URL of ``path`` through the buffered dialect."""
    return f"duckdb+{DRIVER}:///{path.resolve()}"
