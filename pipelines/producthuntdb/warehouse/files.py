"""The one place that opens DuckDB files: connections, lock holders, storage versions, mart listings.

Every stage reaches the database through here, so the rules are written once: a file another
process holds is reported with that process's PID and command line (never DuckDB's raw
message); files are created in ``Settings.storage_version`` so the DuckDB clients people
have can open them; and "which marts exist and how many rows" has one answer.

``duckdb`` is imported inside the functions: a benchmark child that only needs
:func:`quote_identifier` stays small, and ``--help`` stays fast.
"""

from __future__ import annotations

import re
import shutil
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from producthuntdb.errors import StageError
from producthuntdb.locks import describe_holder
from producthuntdb.warehouse.base import MARTS_SCHEMA, SQLReader, quote_identifier, rows_as_records

if TYPE_CHECKING:
    import duckdb

    from producthuntdb.settings import Settings

LOCK_PATTERN = re.compile(r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)")
HEADER_MAGIC = b"DUCK"
READABLE_BY_CLIENTS = range(64, 69)
"""Storage version numbers DuckDB 1.4/1.5 clients (CLI, Node, JDBC) read: what the served file must be."""
STORAGE_RELEASES = {64: "v0.10.0", 65: "v1.2.0", 66: "v1.3.0", 67: "v1.4.0", 68: "v1.5.0"}
"""A file header's storage version number → the oldest DuckDB release that opens it (64: v0.10 to v1.1)."""


class DatabaseUnavailable(StageError):
    """DuckDB could not open a file; ``holder`` names the process holding its lock, if that is why."""

    def __init__(self, message: str, holder: dict[str, Any] | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.holder = holder
        self.reason = reason
        """DuckDB's own first line, for callers that phrase the problem themselves."""


def quote_literal(value: str | Path) -> str:
    """``value`` as a single-quoted SQL string literal (file paths in ``COPY``/``ATTACH``, comments)."""
    return "'" + str(value).replace("'", "''") + "'"


# ----------------------------------------------------------------------------- lock holders
def lock_holder(error: BaseException | str) -> dict[str, Any] | None:
    """Who holds a DuckDB file's lock, parsed from DuckDB's error (and enriched by psutil when possible).

    DuckDB says ``Conflicting lock is held in <exe> (PID n)``; the command line tells a
    BI tool from a stuck sync, so it is added when the process is visible.
    """
    match = LOCK_PATTERN.search(str(error))
    if not match:
        return None
    pid = int(match.group("pid"))
    holder: dict[str, Any] = {"pid": pid, "exe": match.group("exe"), "cmdline": None}
    try:
        import psutil

        holder["cmdline"] = " ".join(psutil.Process(pid).cmdline()) or None
    except Exception:  # process gone, no permission, or psutil missing: the PID is enough
        pass
    return holder


def open_problem(db: Path, error: BaseException) -> str:
    """One line saying why DuckDB could not open ``db``: who holds its lock, or DuckDB's first line."""
    holder = lock_holder(error)
    if holder is not None:
        return (
            f"{db} is locked by {describe_holder(holder)}: close that program (or its connection) "
            "or wait for it to finish"
        )
    return f"cannot open {db}: {(str(error).splitlines() or [type(error).__name__])[0]}"


FILE_HEADER_BYTES = 3 * 4096
"""A DuckDB file: a main header and two database headers, then ``total_blocks`` blocks."""


def database_problem(db: Path, advice: str = "restore it from a backup, or move it away and sync again") -> str | None:
    """One line if ``db`` is not a sound DuckDB file (corrupt, truncated, not DuckDB); else None.

    Opened read-only. DuckDB opens a file whose metadata survived and fails only when a query
    reaches the lost blocks, so the highest data block any table uses (``pragma_storage_info``,
    metadata only: about 0.1 s) must lie inside the file. A locked file is not judged here.
    """
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        if lock_holder(exc) is not None or "Could not set lock" in str(exc):
            return None
        return f"{db} is not a readable DuckDB database ({_first_line(exc)})"
    try:
        last_block = -1
        for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall():
            relation = f"{quote_identifier(schema)}.{quote_identifier(name)}"
            row = con.execute(
                "select max(block_id) from pragma_storage_info(?) where persistent", [relation]
            ).fetchone()
            if row and row[0] is not None:
                last_block = max(last_block, int(row[0]))
        size_row = con.execute(
            "select block_size from pragma_database_size() where database_name = current_database()"
        ).fetchone()
    except duckdb.Error as exc:
        return f"{db} is damaged ({_first_line(exc)})"
    finally:
        con.close()
    expected = FILE_HEADER_BYTES + (last_block + 1) * int(size_row[0] if size_row else 0)
    try:
        size = db.stat().st_size
    except OSError:
        size = 0
    if size < expected:
        return f"{db} is truncated ({size:,} of at least {expected:,} bytes)" + (f": {advice}" if advice else "")
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# ----------------------------------------------------------------------------- connections
def connect(path: Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to ``path``; ``DatabaseUnavailable`` (one line, the lock holder named) if it cannot open."""
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailable(open_problem(path, exc), lock_holder(exc), reason) from None


@contextmanager
def opened(path: Path, *, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """:func:`connect`, closed on exit: DuckDB keeps a file locked for as long as a handle lives."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def attach_host() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection that ATTACHes files, closed on exit: how rows go from one file into another
    (``pull`` builds the served file from Parquet, ``resume`` reads its marts into a new working file)."""
    import duckdb

    con = duckdb.connect()
    try:
        yield con
    finally:
        con.close()


def create_file(path: Path, storage_version: str) -> None:
    """Create an empty DuckDB file in ``storage_version``; DuckDB keeps that version on every reopen.

    DuckDB 2.0 writes version 69 by default, which 1.x clients refuse; a file made by
    ``ATTACH ... (STORAGE_VERSION 'v1.4.0')`` stays readable by them while dlt and dbt write to it.
    """
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach {quote_literal(path)} as created (storage_version {quote_literal(storage_version)})")
        con.execute("detach created")
    except duckdb.Error as exc:
        raise StageError(f"cannot create {path}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()


def storage_version_number(path: Path) -> int | None:
    """The storage version number in a DuckDB file's header (64-68: DuckDB 1.x reads it), None if unreadable."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[8:12] != HEADER_MAGIC:
        return None
    return int(struct.unpack("<Q", header[12:20])[0])


def describe_storage_version(number: int | None) -> str:
    """``67 (v1.4.0: DuckDB 1.4 and newer open it)``: the one wording of a file's storage version."""
    release = STORAGE_RELEASES.get(number) if number is not None else None
    if release is not None:
        return f"{number} ({release}: DuckDB {release.removeprefix('v').rsplit('.', 1)[0]} and newer open it)"
    if number is None:
        return "unknown (not a DuckDB file header)"
    return f"{number} (newer than v1.5.0: DuckDB 1.x clients cannot open it)"


def fingerprint(path: Path) -> str:
    """``size:mtime_ns`` of the file and its WAL: changes whenever DuckDB writes the file."""
    parts = []
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            stat = candidate.stat()
        except OSError:
            parts.append("-")
            continue
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    return "/".join(parts)


def check_writable(path: Path) -> None:
    """An existing file can be opened for writing (``DatabaseUnavailable`` names who holds it); a missing one is fine."""
    if path.exists():
        connect(path, read_only=False).close()


def prepare_working_file(settings: Settings) -> None:
    """The working file, ready for dlt: created in the configured storage version when missing.

    A data directory from before the served/working split has its raw data in the served path:
    that file is copied to the working path once, so the backfill resumes instead of starting again.
    """
    work, served = settings.db_path, settings.served_path
    if not work.exists() and served.is_file() and _has_schema(served, settings.dataset_name):
        work.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(served, work)
        logger.info("adopted {} (raw data from before the served/working split) as the working file", served)
    if work.exists() and _holds_no_table(work):
        # made by a bare `dbt build` before any sync (dbt-duckdb creates the file it opens), in DuckDB's
        # default storage version: made again in the configured one
        work.unlink()
        work.with_name(work.name + ".wal").unlink(missing_ok=True)
        logger.info("{} held no table: created again in storage version {}", work, settings.storage_version)
    if not work.exists():
        create_file(work, settings.storage_version)


def _holds_no_table(path: Path) -> bool:
    try:
        with opened(path) as con:
            row = con.execute(
                "select count(*) from duckdb_tables() where database_name = current_database()"
            ).fetchone()
    except StageError:
        return False  # locked or unreadable: not ours to judge here
    return row is not None and not row[0]


def _has_schema(path: Path, schema: str) -> bool:
    try:
        with opened(path) as con:
            row = con.execute(
                "select count(*) from information_schema.schemata where schema_name = ?", [schema]
            ).fetchone()
    except StageError:
        return False
    return bool(row and row[0])


# ----------------------------------------------------------------------------- marts
class DuckDBReader(SQLReader):
    """A :class:`~producthuntdb.warehouse.base.Reader` over one DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def _execute(self, sql: str, params: Sequence[Any]) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, list(params)) if params else self.con.execute(sql)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def records(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._execute(sql, params)
        return rows_as_records(cursor.description, cursor.fetchall())


def table_columns(con: duckdb.DuckDBPyConnection, schema: str = MARTS_SCHEMA) -> dict[str, dict[str, str]]:
    """Every base table of ``schema`` with its columns and types, in table and column order."""
    return DuckDBReader(con).table_columns(schema)


def table_counts(con: duckdb.DuckDBPyConnection, schema: str, tables: list[str]) -> dict[str, int]:
    """Rows of each named table of ``schema``."""
    return DuckDBReader(con).table_counts(schema, tables)


def mart_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of every marts table: the one "list the marts and count them" of the project."""
    return DuckDBReader(con).mart_counts()


def mart_counts_of(path: Path) -> dict[str, int]:
    """:func:`mart_counts` of a file, on a short read-only connection."""
    with opened(path) as con:
        return mart_counts(con)
