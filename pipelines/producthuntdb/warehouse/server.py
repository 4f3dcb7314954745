"""A server destination as a :class:`~producthuntdb.warehouse.base.Warehouse`: PostgreSQL, MotherDuck, BigQuery.

dlt loads it and dbt builds it through their own clients (:mod:`producthuntdb.warehouse.targets`);
the stages read it here, over one DB-API connection per read. PostgreSQL is the server tested
against a real one; the MotherDuck and BigQuery recipes are not read directly yet
(``readable`` is false: the stages skip what they would read, and dlt and dbt report problems).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from producthuntdb.errors import ProductHuntDBError, StageError
from producthuntdb.warehouse.base import SQLReader, format_placeholders, rows_as_records
from producthuntdb.warehouse.targets import connection_problem, describe, dlt_destination, postgres

if TYPE_CHECKING:
    from producthuntdb.settings import Settings


class ServerReader(SQLReader):
    """A :class:`~producthuntdb.warehouse.base.Reader` over one DB-API cursor."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        if params:
            self.cursor.execute(format_placeholders(sql), tuple(params))
        else:  # no parameters: psycopg leaves the text alone (a literal % or ? stays as written)
            self.cursor.execute(sql)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._execute(sql, params)
        return [tuple(r) for r in self.cursor.fetchall()] if self.cursor.description else []

    def records(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._execute(sql, params)
        return rows_as_records(self.cursor.description, self.cursor.fetchall())


class Server:
    """The server ``settings.destination`` names; nothing connects until a stage reads."""

    has_served_file = False
    derived_tables_need_alias = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name: str = settings.destination
        self.readable = settings.destination == "postgres"

    def describe(self) -> str:
        return describe(self.settings)

    def exists(self) -> bool:
        return True

    def problem(self) -> str | None:
        return None  # the server keeps its own storage sound

    def check_ready(self) -> None:
        if not self.readable:
            return  # MotherDuck/BigQuery: dlt reports connection problems at the first load
        try:
            with self.reader() as db:
                db.query("select 1")
        except ProductHuntDBError as exc:
            raise ProductHuntDBError(f"{exc}; nothing was harvested") from None
        except Exception as exc:
            raise ProductHuntDBError(connection_problem(self.settings, exc) + "; nothing was harvested") from None

    def prepare(self) -> None:
        """Nothing to create: dlt makes the dataset on the server at the first load."""

    @contextmanager
    def reader(self) -> Iterator[ServerReader]:
        with connect(self.settings) as con, con.cursor() as cur:
            yield ServerReader(cur)

    @contextmanager
    def state_destination(self) -> Iterator[Any]:
        try:
            yield dlt_destination(self.settings)
        except Exception as exc:
            raise StageError(connection_problem(self.settings, exc)) from None

    def local_state_name(self) -> str:
        # the server (and database) the state belongs to, never its password
        return f"{self.name}-{hashlib.sha1(self.describe().encode()).hexdigest()[:10]}"

    def fingerprint(self) -> str:
        return ""  # a server has no file to fingerprint


@contextmanager
def connect(settings: Settings) -> Iterator[Any]:
    """A DB-API connection to the server (autocommit, UTC session), closed on exit.

    Raises ``StageError`` with one line when the server cannot be reached.
    """
    if settings.destination != "postgres":
        raise StageError(
            f"reading {settings.destination} directly is not supported yet: only postgres is tested"
        )
    try:
        import psycopg2
    except ImportError:
        raise StageError("the postgres destination needs `pip install 'producthuntdb[postgres]'`") from None
    pg = postgres(settings)
    try:
        con = psycopg2.connect(
            host=pg.host, port=pg.port, user=pg.user, password=pg.password, dbname=pg.database,
            connect_timeout=10, options="-c TimeZone=UTC", application_name="producthuntdb",
        )
    except psycopg2.Error as exc:
        raise StageError(connection_problem(settings, exc)) from None
    con.autocommit = True
    try:
        yield con
    finally:
        con.close()


@dataclass(frozen=True)
class ServerFacts:
    """What ``doctor`` reports about a PostgreSQL destination."""

    version: str
    version_num: int
    user: str
    database: str
    can_create: bool
    """The user may create the schemas a sync and a build need (or they exist and are writable)."""


def postgres_facts(settings: Settings, schemas: tuple[str, ...]) -> ServerFacts:
    """Version and rights of the configured PostgreSQL user; ``StageError`` when unreachable."""
    with connect(settings) as con, con.cursor() as cur:
        cur.execute(
            "select current_setting('server_version'), current_setting('server_version_num')::int,"
            " current_user, current_database(), has_database_privilege(current_database(), 'CREATE')"
        )
        version, number, user, database, can_create_schemas = cur.fetchone()
        if not can_create_schemas:
            cur.execute(
                "select count(*) from pg_namespace where nspname = any(%s)"
                " and has_schema_privilege(oid, 'CREATE')",
                (list(schemas),),
            )
            writable = cur.fetchone()
            can_create_schemas = bool(writable and writable[0] == len(schemas))
    return ServerFacts(str(version), int(number), str(user), str(database), bool(can_create_schemas))
