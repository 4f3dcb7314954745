"""Export the marts as a versioned dataset: Parquet + CSV per mart, manifest.json, Kaggle metadata.

The gate runs first and a failed gate exports nothing. Files are written by DuckDB's ``COPY``
(streamed, never through pandas; a server destination streams through ``server_export``) into a temporary directory next to the target, checked
(row counts re-read from the Parquet files, sha256 of every file), and only then renamed into
place, so a crash leaves either the old export or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import yaml  # type: ignore[import-untyped]  # PyYAML comes with dbt; its stubs do not
from loguru import logger

from producthuntdb import __version__
from producthuntdb.errors import StageError
from producthuntdb.quality import GateReport, run_gate
from producthuntdb.serialize import quote_identifier
from producthuntdb.settings import Settings
from producthuntdb.tracing import span

MARTS_SCHEMA = "marts"
MANIFEST = "manifest.json"
KAGGLE_METADATA = "dataset-metadata.json"
FORMATS = ("parquet", "csv")
TITLE = "Product Hunt launches (ProductHuntDB)"
"""Kaggle wants 6-50 characters."""
LICENSE = "other"
"""Kaggle's "Other (specified in description)": the data stays under Product Hunt's API terms."""
VERSIONED_PACKAGES = ("producthuntdb", "dlt", "dbt-core", "dbt-duckdb", "duckdb", "great-expectations")
KAGGLE_TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DATE": "datetime",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "DOUBLE": "numeric",
    "FLOAT": "numeric",
}
INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")


@dataclass
class ExportReport:
    out_dir: Path
    tables: dict[str, int]
    manifest_path: Path
    metadata_path: Path
    bytes_written: int
    elapsed: float
    gate: GateReport | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "tables": self.tables,
            "files": len(self.tables) * len(FORMATS) + 2,
            "bytes_written": self.bytes_written,
            "manifest": str(self.manifest_path),
            "elapsed_seconds": round(self.elapsed, 2),
        }


def run_export(settings: Settings, out_dir: Path | None = None, allow_shrink: bool = False) -> ExportReport:
    """Gate, then write the export atomically; raises ``StageError`` (nothing written) if the gate fails."""
    started = time.monotonic()
    target = (out_dir or settings.export_path).resolve()
    previous = target / MANIFEST
    with span("export", out_dir=str(target)):
        _check_target(target)
        gate = run_gate(
            settings, allow_shrink=allow_shrink, previous_manifest=previous if previous.is_file() else None
        )
        if not gate.passed:
            shown = "; ".join(f"{f.suite}.{f.column or '*'} {f.expectation}" for f in gate.failures[:3])
            more = f" and {len(gate.failures) - 3} more" if len(gate.failures) > 3 else ""
            raise StageError(
                f"quality gate failed ({len(gate.failures)} expectation(s): {shown}{more}); nothing was exported"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target)
        tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            manifest = _write_files(settings, tmp, gate)
            metadata_doc = kaggle_metadata(settings, manifest)
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
            (tmp / KAGGLE_METADATA).write_text(json.dumps(metadata_doc, indent=2) + "\n", "utf-8")
            _swap_into_place(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    tables = {name: info["rows"] for name, info in manifest["tables"].items()}
    size = sum(f.stat().st_size for f in target.iterdir() if f.is_file())
    report = ExportReport(
        target, tables, target / MANIFEST, target / KAGGLE_METADATA, size, time.monotonic() - started, gate
    )
    logger.bind(stage="export").info("exported {} tables ({} bytes) to {}", len(tables), size, target)
    return report


def _write_files(settings: Settings, tmp: Path, gate: GateReport) -> dict[str, Any]:
    from producthuntdb import destination, server_export

    if destination.is_warehouse(settings):
        return _manifest(settings, gate, *server_export.write_files(settings, tmp, MARTS_SCHEMA, FORMATS))
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")  # CSV timestamps in UTC, whatever the machine's zone
        tables = _mart_columns(con)
        entries: dict[str, Any] = {}
        for table, columns in tables.items():
            select = ", ".join(quote_identifier(name) for name in columns)
            source = f"(select {select} from {MARTS_SCHEMA}.{quote_identifier(table)})"
            files: dict[str, Any] = {}
            for fmt in FORMATS:
                path = tmp / f"{table}.{fmt}"
                options = (
                    "format parquet, compression zstd" if fmt == "parquet" else "format csv, header true"
                )
                con.execute(f"copy {source} to '{_path_literal(path)}' ({options})")
                files[fmt] = {"path": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
            parquet = _path_literal(tmp / f"{table}.parquet")
            row = con.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()
            entries[table] = {
                "rows": int(row[0]) if row else 0,
                "columns": [{"name": name, "type": data_type} for name, data_type in columns.items()],
                "files": files,
            }
        window = _sync_window(con, tables)
    finally:
        con.close()
    return _manifest(settings, gate, entries, window)


def _manifest(
    settings: Settings, gate: GateReport, entries: dict[str, Any], window: dict[str, str | None]
) -> dict[str, Any]:
    return {
        "dataset": settings.kaggle_dataset,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sync_window": window,
        "versions": package_versions(),
        "gate": {"passed": gate.passed, "evaluated": gate.evaluated, "skipped": gate.skipped},
        "tables": entries,
    }


def _mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Every marts table with its public columns (dbt/dlt bookkeeping columns start with ``_``)."""
    rows = con.execute(
        "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name "
        "where c.table_schema = ? and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position",
        [MARTS_SCHEMA],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        if not column.startswith("_"):
            tables.setdefault(table, {})[column] = data_type
    if not tables:
        raise StageError(f"no tables in schema '{MARTS_SCHEMA}': run build first")
    return tables


def _sync_window(con: duckdb.DuckDBPyConnection, tables: dict[str, dict[str, str]]) -> dict[str, str | None]:
    if "created_at" not in tables.get("posts", {}):
        return {"min_created_at": None, "max_created_at": None}
    row = con.execute(f"select min(created_at), max(created_at) from {MARTS_SCHEMA}.posts").fetchone()
    low, high = row if row else (None, None)
    return {  # the marts' timestamps are naive UTC: say so
        "min_created_at": low.isoformat() + "Z" if low is not None else None,
        "max_created_at": high.isoformat() + "Z" if high is not None else None,
    }


def _check_target(target: Path) -> None:
    """The whole target directory is replaced: refuse one that holds anything but an old export."""
    if target.exists() and not target.is_dir():
        raise StageError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise StageError(f"{target} is not empty and holds no {MANIFEST}: choose a new or empty directory")


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an old export is moved aside first and removed only after."""
    if not target.exists():
        tmp.rename(target)
        return
    old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    target.rename(old)
    try:
        tmp.rename(target)
    except OSError:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_stale_temps(target: Path) -> None:
    """Leftovers of a crashed export (never the export itself)."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for stale in target.parent.glob(pattern):
            if not target.exists() and ".old-" in stale.name:
                stale.rename(target)  # a crash between the two renames: the old export comes back
                continue
            shutil.rmtree(stale, ignore_errors=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = __version__ if name == "producthuntdb" else "not installed"
    return versions


def column_docs(dbt_project_dir: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Model and column descriptions from ``models/marts/*.yml`` (the dbt docs' source of truth)."""
    docs: dict[str, tuple[str, dict[str, str]]] = {}
    for path in sorted((dbt_project_dir / "models" / "marts").glob("*.yml")):
        try:
            content = yaml.safe_load(path.read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for model in content.get("models") or []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            columns = {
                str(c["name"]): " ".join(str(c.get("description") or "").split())
                for c in model.get("columns") or []
                if isinstance(c, dict) and "name" in c
            }
            docs[str(model["name"])] = (" ".join(str(model.get("description") or "").split()), columns)
    return docs


def _kaggle_type(data_type: str) -> str:
    if data_type in INTEGER_TYPES:
        return "integer"
    if data_type.startswith("DECIMAL"):
        return "numeric"
    return KAGGLE_TYPES.get(data_type, "string")


def kaggle_metadata(settings: Settings, manifest: dict[str, Any]) -> dict[str, Any]:
    """Kaggle's dataset-metadata.json: title, id, licence and every file's column descriptions."""
    docs = column_docs(settings.dbt_project_dir)
    resources = []
    for table, info in manifest["tables"].items():
        description, columns = docs.get(table, ("", {}))
        fields = [
            {"name": c["name"], "description": columns.get(c["name"], ""), "type": _kaggle_type(c["type"])}
            for c in info["columns"]
        ]
        for fmt in FORMATS:
            resources.append(
                {
                    "path": info["files"][fmt]["path"],
                    "description": description or f"The {table} mart ({info['rows']} rows).",
                    "schema": {"fields": fields},
                }
            )
    window = manifest["sync_window"]
    counts = ", ".join(f"{t}: {i['rows']}" for t, i in manifest["tables"].items())
    return {
        "title": TITLE,
        "id": settings.kaggle_dataset,
        "subtitle": "Posts, topics, makers, comments and votes from the Product Hunt API",
        "description": (
            "Product Hunt data harvested with ProductHuntDB (dlt → DuckDB → dbt), quality-checked by "
            "Great Expectations before every version. Redacted users are NULL with is_redacted flags. "
            f"Posts created {window['min_created_at']} to {window['max_created_at']}. Rows: {counts}. "
            "Data remains subject to the Product Hunt API terms of use."
        ),
        "licenses": [{"name": LICENSE}],
        "keywords": ["product hunt", "startups", "technology"],
        "resources": resources,
    }


def _path_literal(path: Path) -> str:
    return str(path).replace("'", "''")
