"""Where the data lives: one interface, two implementations, and the one place that picks between them.

:func:`open` reads ``Settings.destination`` and returns a :class:`Warehouse` — the DuckDB file
(:mod:`.duckdb_file`) or a server (:mod:`.server`); :mod:`.targets` turns the same setting into
dlt's destination, dbt's target and Great Expectations' URL. Nothing outside this package looks at
the setting (``tests/unit/test_import_graph.py`` checks): stages ask the interface what they need,
in questions named for what they mean.

The DuckDB file helpers (:mod:`.files`: connections, lock holders, storage versions, mart
listings) are re-exported here, as the stages that work on a local file (serve, pull, resume, the
served-file checks) use them by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from producthuntdb.locks import describe_holder
from producthuntdb.warehouse.base import MARTS_SCHEMA, Reader, Warehouse, quote_identifier
from producthuntdb.warehouse.duckdb_file import DuckDBFile
from producthuntdb.warehouse.files import (
    READABLE_BY_CLIENTS,
    STORAGE_RELEASES,
    DatabaseUnavailable,
    DuckDBReader,
    attach_host,
    check_writable,
    connect,
    create_file,
    database_problem,
    describe_storage_version,
    fingerprint,
    lock_holder,
    mart_counts,
    mart_counts_of,
    open_problem,
    opened,
    prepare_working_file,
    quote_literal,
    storage_version_number,
    table_columns,
    table_counts,
)
from producthuntdb.warehouse.server import Server

if TYPE_CHECKING:
    from producthuntdb.settings import Settings

__all__ = [
    "MARTS_SCHEMA",
    "READABLE_BY_CLIENTS",
    "STORAGE_RELEASES",
    "DatabaseUnavailable",
    "DuckDBFile",
    "DuckDBReader",
    "Reader",
    "Server",
    "Warehouse",
    "attach_host",
    "check_writable",
    "connect",
    "create_file",
    "database_problem",
    "describe_holder",
    "describe_storage_version",
    "fingerprint",
    "lock_holder",
    "mart_counts",
    "mart_counts_of",
    "open",
    "open_problem",
    "opened",
    "prepare_working_file",
    "quote_identifier",
    "quote_literal",
    "storage_version_number",
    "table_columns",
    "table_counts",
]


def open(settings: Settings) -> Warehouse:
    """The :class:`Warehouse` ``settings`` configure; connects to nothing until a stage reads."""
    if settings.destination == "duckdb":
        return DuckDBFile(settings)
    return Server(settings)
