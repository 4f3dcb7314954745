"""The DuckDB file as a :class:`~producthuntdb.warehouse.base.Warehouse`: the default destination.

The working file (``Settings.db_path``) is where dlt, dbt and the gate work; a passing gate
publishes its marts to the served copy. Reads open the file read-only, so a reader never takes
the write lock a sync or a BI tool may need.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from producthuntdb.errors import ProductHuntDBError
from producthuntdb.warehouse.access import wait_for_lock
from producthuntdb.warehouse.files import (
    DatabaseUnavailable,
    DuckDBReader,
    check_writable,
    database_problem,
    fingerprint,
    opened,
    prepare_working_file,
)

if TYPE_CHECKING:
    from producthuntdb.settings import Settings


class DuckDBFile:
    """The working DuckDB file of ``settings`` (``PRODUCTHUNT_DESTINATION=duckdb``)."""

    has_served_file = True
    readable = True
    derived_tables_need_alias = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name: str = settings.destination
        self.path = settings.db_path

    def describe(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    def problem(self) -> str | None:
        return database_problem(self.path) if self.path.exists() else None

    def check_ready(self) -> None:
        if not self.path.exists():
            return
        problem = self.problem()
        if problem is not None:
            raise ProductHuntDBError(f"{problem}; sync will not write into it (nothing was harvested)")
        try:
            wait_for_lock(self.settings, "open it", lambda: check_writable(self.path), outcome="nothing was harvested")
        except DatabaseUnavailable as exc:
            raise ProductHuntDBError(f"{exc}; nothing was harvested") from None

    def prepare(self) -> None:
        prepare_working_file(self.settings)  # created in the storage version DuckDB 1.x clients read

    @contextmanager
    def reader(self) -> Iterator[DuckDBReader]:
        with opened(self.path) as con:
            yield DuckDBReader(con)

    @contextmanager
    def state_destination(self) -> Iterator[Any]:
        import dlt

        with opened(self.path) as con:  # read-only, a lock holder named (DatabaseUnavailable)
            yield dlt.destinations.duckdb(con)

    def local_state_name(self) -> str:
        # keyed on the resolved path: pointing PRODUCTHUNT_DUCKDB_PATH at another file never loads one
        # file's pending rows into another or reads its position
        key = hashlib.sha1(str(self.path.resolve()).encode()).hexdigest()[:10]
        return f"{self.path.stem}-{key}"

    def fingerprint(self) -> str:
        return fingerprint(self.path)
