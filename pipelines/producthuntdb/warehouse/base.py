"""What a stage needs from where the data lives, written once: :class:`Warehouse` and its :class:`Reader`.

Two implementations answer it, as httpx's transports answer one client: the DuckDB file
(:mod:`producthuntdb.warehouse.duckdb_file`) and a server (:mod:`producthuntdb.warehouse.server`).
A stage asks questions named for what they mean — is there a served copy to publish, can it be
read directly, does it hold anything yet — and never which destination is configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

MARTS_SCHEMA = "marts"


def format_placeholders(sql: str) -> str:
    """``?`` placeholders as ``%s``, the DB-API style psycopg and dlt's SQL clients take.

    The one rewrite: every query in the project is written with ``?``, whatever the destination.
    """
    return sql.replace("?", "%s")


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier, so any table or column name is safe in a query."""
    return '"' + name.replace('"', '""') + '"'


class Reader(Protocol):
    """One open read connection. SQL takes ``?`` placeholders whatever the destination."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement (none for a statement that returns none)."""
        ...

    def records(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of one statement as ``{column: value}``."""
        ...

    def has_table(self, schema: str, table: str) -> bool: ...

    def table_columns(self, schema: str = MARTS_SCHEMA) -> dict[str, dict[str, str]]:
        """Every base table of ``schema`` with its columns and types, in table and column order."""
        ...

    def table_counts(self, schema: str, tables: Sequence[str]) -> dict[str, int]: ...

    def mart_counts(self) -> dict[str, int]:
        """Rows of every marts table: the one "list the marts and count them" of the project."""
        ...


class Warehouse(Protocol):
    """Where raw and marts live, as the stages see it; made by :func:`producthuntdb.warehouse.open`."""

    name: str
    """The configured destination's name (``duckdb``, ``postgres`` …), for reports and dlt's folders."""
    has_served_file: bool
    """A local working file that a passing gate publishes to a served copy (serve, pull, the served checks)."""
    readable: bool
    """Stages can open a :meth:`reader` on it (the untested server recipes cannot yet)."""
    derived_tables_need_alias: bool
    """Every subquery in FROM needs an alias (PostgreSQL): raw reads name their absent tables instead."""

    def describe(self) -> str:
        """Where the data lives as operators see it in logs and errors: never with a password."""
        ...

    def exists(self) -> bool:
        """It may hold data to read: a server always, a file once created."""
        ...

    def problem(self) -> str | None:
        """One line if the data is damaged (a corrupt or truncated file), judged without taking a lock."""
        ...

    def check_ready(self) -> None:
        """Refuse a corrupt file, wait for a locked one, or reach the server, before any point is spent."""
        ...

    def prepare(self) -> None:
        """Ready for dlt's first load (the working file created in the configured storage version)."""
        ...

    def reader(self) -> AbstractContextManager[Reader]:
        """A read-only :class:`Reader`, closed on exit; ``StageError`` (one line) when it cannot open."""
        ...

    def state_destination(self) -> AbstractContextManager[Any]:
        """The dlt destination to read the stored pipeline state from, without taking a write lock."""
        ...

    def local_state_name(self) -> str:
        """The folder under ``dlt_dir`` for dlt's local state of *this* database (never another's)."""
        ...

    def fingerprint(self) -> str:
        """Changes whenever the data is written (a file's size and mtime); empty when it cannot be known."""
        ...


def rows_as_records(description: Any, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """DB-API rows as dicts keyed by the cursor's column names."""
    names = [d[0] for d in description or []]
    return [dict(zip(names, row, strict=False)) for row in rows]


class SQLReader:
    """What every :class:`Reader` derives from its ``query``: the catalog reads, written once.

    ``information_schema`` and ``current_database()`` mean the same in DuckDB and PostgreSQL.
    """

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def has_table(self, schema: str, table: str) -> bool:
        rows = self.query(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        )
        return bool(rows and rows[0][0])

    def table_columns(self, schema: str = MARTS_SCHEMA) -> dict[str, dict[str, str]]:
        rows = self.query(
            "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
            "join information_schema.tables t on t.table_catalog = c.table_catalog "
            "and t.table_schema = c.table_schema and t.table_name = c.table_name "
            "where c.table_catalog = current_database() and c.table_schema = ? and t.table_type = 'BASE TABLE' "
            "order by c.table_name, c.ordinal_position",
            [schema],
        )
        tables: dict[str, dict[str, str]] = {}
        for table, column, data_type in rows:
            tables.setdefault(str(table), {})[str(column)] = str(data_type)
        return tables

    def table_counts(self, schema: str, tables: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table in tables:
            rows = self.query(f"select count(*) from {quote_identifier(schema)}.{quote_identifier(table)}")
            counts[table] = int(rows[0][0]) if rows else 0
        return counts

    def mart_counts(self) -> dict[str, int]:
        return self.table_counts(MARTS_SCHEMA, sorted(self.table_columns()))
