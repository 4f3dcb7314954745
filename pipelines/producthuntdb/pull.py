"""``producthuntdb pull``: the published dataset, checked file by file, as the served file.

A history of Product Hunt costs weeks of API budget, and the project publishes one: ``pull``
fetches an export (the Kaggle dataset with the ``kaggle`` client, or a directory or http(s) URL
holding one), verifies every file against the manifest's sha256 and its gate record
(:mod:`dataset`: a file that does not match is one line and nothing is written), and builds the
served file from the Parquet files — the marts with their column comments, ``meta.publication``
(the gate they passed) and ``meta.harvest`` (how far they go) — in the storage version readers
open, written beside the served path and renamed over it as ``serve`` does.

With ``resume`` it also seeds a new working file from the dataset (:mod:`resume`): raw rows
rebuilt from the marts and the harvest position in one dlt load, so the next ``sync`` continues
from the dataset's high-water mark instead of from 2013. Opt-in, because only a maintainer who
goes on harvesting needs it, it takes longer than the served file alone, and it refuses a working
file that already exists.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb import dirswap, warehouse
from producthuntdb.dataset import MANIFEST, read_manifest, verified_manifest
from producthuntdb.errors import ConfigError, StageError
from producthuntdb.locks import exclusive
from producthuntdb.settings import Settings
from producthuntdb.tracing import span
from producthuntdb.warehouse import MARTS_SCHEMA, quote_identifier, quote_literal

DOWNLOAD_TIMEOUT = 60.0
SCRATCH_MARKER = ".producthuntdb-pull"


@dataclass
class PullReport:
    source: str
    served_path: Path
    tables: dict[str, int]
    published_at: str | None
    high_water: str | None
    """The harvest position's high-water mark the dataset carries (posts up to then are in it)."""
    working_path: Path | None
    """The working file seeded by ``--resume`` (None without it)."""
    elapsed: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "served_path": str(self.served_path),
            "tables": self.tables,
            "published_at": self.published_at,
            "high_water": self.high_water,
            "working_path": str(self.working_path) if self.working_path else None,
            "elapsed_seconds": round(self.elapsed, 2),
        }


def run_pull(settings: Settings, source: str | None = None, resume: bool = False) -> PullReport:
    """Fetch, verify and serve the dataset at ``source`` (default: the Kaggle dataset); ``resume``
    also seeds a new working file with its raw rows and harvest position."""
    from producthuntdb.resume import resumable_problem, seed_working_file

    started = time.monotonic()
    database = warehouse.open(settings)
    if not database.has_served_file:
        raise ConfigError(f"pull builds DuckDB files; PRODUCTHUNT_DESTINATION={database.name} keeps the data elsewhere")
    if resume and settings.db_path.exists():
        raise StageError(
            f"{settings.db_path} exists: pull --resume seeds only a new working file (move that one away first)"
        )
    served = settings.served_path
    served.parent.mkdir(parents=True, exist_ok=True)
    where = source or f"kaggle:{settings.kaggle_dataset}"
    with span("pull", source=where), _scratch(served.parent) as scratch:
        folder = fetch(settings, source, scratch)
        manifest = verified_manifest(folder)
        record = manifest.get("harvest")
        if resume:
            problem = resumable_problem(record)
            if problem:
                raise StageError(f"{where} cannot seed a harvest: {problem}")
        from producthuntdb.serve import swap_into_place

        # the served file's lock and marked temporary directory, as serve writes it (they wait for each other)
        with exclusive(served, settings, "pull", "the served file keeps its previous snapshot"):
            dirswap.recover(served, lambda _: set())
            tmp_dir = dirswap.temp_dir(served)
            tmp = tmp_dir / served.name
            try:
                tables = write_served(settings, folder, manifest, tmp)
                working = None
                if resume:
                    assert isinstance(record, dict)  # resumable_problem said so
                    seed_working_file(settings, tmp, record)
                    working = settings.db_path
                swap_into_place(tmp, served)
            finally:
                dirswap.remove_marked(tmp_dir)
    position = (record or {}).get("position") or {}
    report = PullReport(
        where, served, tables, (manifest.get("gate") or {}).get("published_at"), position.get("high_water"),
        working, time.monotonic() - started,
    )
    logger.bind(stage="pull").info("pulled {} into {} ({} marts)", where, served, len(tables))
    return report


# ----------------------------------------------------------------------------- fetching
@contextmanager
def _scratch(parent: Path) -> Iterator[Path]:
    """A download directory beside the served file, marked as ours; a killed pull's is removed by the next."""
    for stale in parent.glob(".pull-*"):
        if (stale / SCRATCH_MARKER).is_file() and re.fullmatch(r"\.pull-[0-9a-f]{8}", stale.name):
            shutil.rmtree(stale, ignore_errors=True)
    scratch = parent / f".pull-{uuid.uuid4().hex[:8]}"
    scratch.mkdir()
    (scratch / SCRATCH_MARKER).write_text("a download of `producthuntdb pull`; safe to delete\n", "utf-8")
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fetch(settings: Settings, source: str | None, scratch: Path) -> Path:
    """The folder holding the export: ``source`` itself when it is a directory, else a download into ``scratch``."""
    if source is None:
        return _from_kaggle(settings, scratch)
    if source.startswith(("http://", "https://")):
        return _from_url(source, scratch)
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise StageError(f"--from {source}: no such directory (give an export directory or an http(s) URL)")
    return folder


def _from_kaggle(settings: Settings, scratch: Path) -> Path:
    problems = settings.kaggle_problems(required=True)
    if problems:
        raise ConfigError(
            [p + " — pulling from Kaggle needs them (kaggle.com → Settings → API), or use --from DIR|URL" for p in problems]
        )
    from producthuntdb.publish import kaggle_api, kaggle_errors

    api = kaggle_api(settings)
    logger.bind(stage="pull").info("downloading the Kaggle dataset {}", settings.kaggle_dataset)
    with kaggle_errors(f"the download of {settings.kaggle_dataset}"):
        api.dataset_download_files(settings.kaggle_dataset, path=str(scratch), unzip=True, quiet=True, force=True)
    return scratch


def _from_url(url: str, scratch: Path) -> Path:
    """``manifest.json`` under ``url``, then every file it lists, streamed to ``scratch``."""
    import httpx

    base = url.rstrip("/") + "/"
    try:
        with httpx.Client(timeout=DOWNLOAD_TIMEOUT, follow_redirects=True) as client:
            _download(client, base + MANIFEST, scratch / MANIFEST)
            manifest = read_manifest(scratch)
            names = sorted({str(e.get("path", "")) for info in manifest["tables"].values() for e in info["files"].values()})
            for name in names:
                if "/" in name or name in ("", ".", ".."):
                    raise StageError(f"{base}{MANIFEST} names {name!r}, not a file of the export")
                _download(client, base + name, scratch / name)
    except httpx.HTTPStatusError as exc:
        raise StageError(f"cannot download {exc.request.url}: HTTP {exc.response.status_code}") from None
    except httpx.HTTPError as exc:
        raise StageError(f"cannot download from {base}: {exc.__class__.__name__}") from None
    return scratch


def _download(client: Any, url: str, target: Path) -> None:
    with client.stream("GET", url) as response:
        response.raise_for_status()
        with target.open("wb") as out:
            for chunk in response.iter_bytes(1 << 20):
                out.write(chunk)
    logger.bind(stage="pull").info("downloaded {} ({:,} bytes)", target.name, target.stat().st_size)


# ----------------------------------------------------------------------------- the served file
def write_served(settings: Settings, folder: Path, manifest: dict[str, Any], tmp: Path) -> dict[str, int]:
    """The served file at ``tmp``: every mart from its Parquet file, comments, publication and harvest record."""
    import duckdb

    from producthuntdb.resume import write_record
    from producthuntdb.serve import write_publication

    warehouse.create_file(tmp, settings.storage_version)
    with warehouse.attach_host() as con:
        try:
            con.execute(f"attach {quote_literal(tmp)} as served")
            con.execute(f"create schema served.{MARTS_SCHEMA}")
            counts = {}
            for table, info in manifest["tables"].items():
                parquet = info["files"].get("parquet")
                if not parquet:
                    raise StageError(f"{folder / MANIFEST}: {table} has no Parquet file")
                name = f"served.{MARTS_SCHEMA}.{quote_identifier(str(table))}"
                con.execute(f"create table {name} as select * from read_parquet({quote_literal(folder / parquet['path'])})")
                row = con.execute(f"select count(*) from {name}").fetchone()
                counts[str(table)] = int(row[0]) if row else 0
            if counts != manifest["gate"]["row_counts"]:
                raise StageError(f"{folder}: the Parquet files hold {counts}, not the rows the manifest records")
            _comment(con, settings, counts)
            gate = manifest["gate"]
            write_publication(
                con, "served",
                {
                    "published_at": gate.get("published_at"), "run_id": gate.get("run_id"), "gate_passed": True,
                    "gate_evaluated": int(gate.get("evaluated") or 0), "row_counts": counts,
                },
            )
            write_record(con, "served", manifest.get("harvest"))
            con.execute("checkpoint served")
            con.execute("detach served")
        except duckdb.Error as exc:
            raise StageError(f"building the served file from the dataset failed: {str(exc).splitlines()[0]}") from None
    return counts


def _comment(con: Any, settings: Settings, tables: dict[str, int]) -> None:
    """The marts' descriptions from the dbt project's YAML, as ``serve`` copies dbt's comments."""
    from producthuntdb import datadict

    for table, mart in datadict.marts(settings.dbt_project_dir).items():
        if table not in tables:
            continue
        name = f"served.{MARTS_SCHEMA}.{quote_identifier(table)}"
        if mart.description:
            con.execute(f"comment on table {name} is {quote_literal(mart.description)}")
        present = {str(r[0]) for r in con.execute(f"select column_name from (describe {name})").fetchall()}
        for column, text in mart.columns.items():
            if text and column in present:
                con.execute(f"comment on column {name}.{quote_identifier(column)} is {quote_literal(text)}")
