"""Export the served marts as a versioned dataset: Parquet + CSV per mart, manifest.json, Kaggle metadata.

The export ships the served file, which holds only marts that passed the gate (``serve``
publishes nothing else) and records that gate's report in ``meta.publication``: the gate does
not run again here, but the export refuses a served file whose marts do not match the report it
carries (or the report this run's ``check`` handed on).

Files are written by DuckDB's ``COPY`` (streamed, never through pandas) into a temporary
directory next to the target, checked (row counts re-read from the Parquet files, sha256 of
every file), then swapped with the target in one step (``dirswap``): at every instant the target
holds the previous complete export or the new one, and a killed export is put right by the next.
Exports wait for each other (``locks.exclusive``). The export owns exactly the files its manifest
lists: it replaces and removes only those, so a maintainer's ``NOTES.md`` or ``notebooks/`` in the
export directory survives every export.

CSV is read by spreadsheets, which run a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula, and product names, taglines and comments are user-written. As
OWASP recommends, such text cells get a leading ``'`` in the CSV, and control characters (NUL and
the like; tab, newline and carriage return are kept) are removed. Parquet keeps the exact values.

On a warehouse (``PRODUCTHUNT_DESTINATION`` other than duckdb) there is no served file: the
export streams the server's marts through ``server_export``, vouched for by this run's (or the
last ``check``'s) passing gate report.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from producthuntdb import __version__, datadict, dirswap, warehouse
from producthuntdb.errors import StageError
from producthuntdb.locks import exclusive
from producthuntdb.quality import GateReport
from producthuntdb.resume import SCHEMA_VERSION, read_record
from producthuntdb.serialize import CONTROL_CHARS, FORMULA_START, sha256_file
from producthuntdb.settings import Settings
from producthuntdb.tracing import span
from producthuntdb.warehouse import MARTS_SCHEMA, quote_identifier, quote_literal

if TYPE_CHECKING:
    import duckdb

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
CSV_SAFETY = (
    "In the CSV files, text cells that begin with =, +, -, @, a tab or a carriage return are prefixed "
    "with a single quote (') so spreadsheets show them as text instead of running them as formulas "
    "(OWASP CSV injection), and control characters such as NUL are removed; the Parquet files hold the "
    "exact values."
)


@dataclass
class ExportReport:
    out_dir: Path
    tables: dict[str, int]
    manifest_path: Path
    metadata_path: Path
    bytes_written: int
    elapsed: float
    gate: dict[str, Any] = field(default_factory=dict, repr=False)
    """The gate record the export shipped under (from the served file's ``meta.publication``)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "tables": self.tables,
            "files": len(self.tables) * len(FORMATS) + 2,
            "bytes_written": self.bytes_written,
            "manifest": str(self.manifest_path),
            "elapsed_seconds": round(self.elapsed, 2),
        }


def run_export(settings: Settings, out_dir: Path | None = None, gate: GateReport | None = None) -> ExportReport:
    """Export the served file's marts; ``gate`` (this run's report), when given, must match them."""
    started = time.monotonic()
    target = (out_dir or settings.export_path).resolve()
    with span("export", out_dir=str(target)), exclusive(target, settings, "export"):
        dirswap.recover(target, owned_files)
        check_target(target)
        owned = owned_files(target)
        tmp = dirswap.temp_dir(target)
        try:
            manifest = _write_files(settings, tmp, gate)
            metadata_doc = kaggle_metadata(settings, manifest)
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
            (tmp / KAGGLE_METADATA).write_text(json.dumps(metadata_doc, indent=2) + "\n", "utf-8")
            _swap_into_place(tmp, target, owned)
        finally:
            dirswap.remove_marked(tmp)
    tables = {name: info["rows"] for name, info in manifest["tables"].items()}
    size = sum((target / name).stat().st_size for name in owned_files(target))
    report = ExportReport(
        target, tables, target / MANIFEST, target / KAGGLE_METADATA, size, time.monotonic() - started,
        manifest["gate"],
    )
    logger.bind(stage="export").info("exported {} tables ({} bytes) to {}", len(tables), size, target)
    return report


def served_gate_record(con: duckdb.DuckDBPyConnection, served: Path, gate: GateReport | None) -> dict[str, Any]:
    """The gate report the served file carries, checked against its marts (and this run's report)."""
    from producthuntdb.serve import read_publication

    publication = read_publication(con)
    if publication is None or not publication["gate_passed"]:
        raise StageError(
            f"{served} records no passing quality gate: run `producthuntdb run` (or check, then serve) first"
        )
    counts = warehouse.mart_counts(con)
    if counts != publication["row_counts"]:
        raise StageError(f"{served}: its marts do not match the gate report it records; run check and serve again")
    if gate is not None and (not gate.passed or gate.row_counts != counts):
        raise StageError(f"{served} is not the data this run's quality gate passed; nothing was exported")
    return publication


def _write_files(settings: Settings, tmp: Path, gate: GateReport | None) -> dict[str, Any]:
    where = warehouse.open(settings)
    if not where.has_served_file:  # the marts stay on the server: streamed from it
        return _write_server_files(settings, where, tmp, gate)
    served = settings.served_path
    if not served.is_file():
        raise StageError(f"no served file at {served}: run `producthuntdb run` (or check, then serve) first")
    with warehouse.opened(served) as con:
        publication = served_gate_record(con, served, gate)
        con.execute("set TimeZone = 'UTC'")  # CSV timestamps in UTC, whatever the machine's zone
        tables = _public_columns(con)
        entries: dict[str, Any] = {}
        for table, columns in tables.items():
            source = f"{MARTS_SCHEMA}.{quote_identifier(table)}"
            files: dict[str, Any] = {}
            for fmt in FORMATS:
                path = tmp / f"{table}.{fmt}"
                if fmt == "parquet":
                    select = ", ".join(quote_identifier(name) for name in columns)
                    options = "format parquet, compression zstd"
                else:
                    select = ", ".join(_csv_cell(name, data_type) for name, data_type in columns.items())
                    options = "format csv, header true"
                con.execute(f"copy (select {select} from {source}) to {quote_literal(path)} ({options})")
                files[fmt] = {"path": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}
            parquet = quote_literal(tmp / f"{table}.parquet")
            row = con.execute(f"select count(*) from read_parquet({parquet})").fetchone()
            entries[table] = {
                "rows": int(row[0]) if row else 0,
                "columns": [{"name": name, "type": data_type} for name, data_type in columns.items()],
                "files": files,
            }
        window = _sync_window(con, tables)
        harvest = read_record(con)
    return _manifest(settings, publication, entries, window, harvest)


def _write_server_files(
    settings: Settings, database: warehouse.Warehouse, tmp: Path, gate: GateReport | None
) -> dict[str, Any]:
    """A server's marts, streamed in batches; the gate report must have passed on them."""
    from producthuntdb.logs import current_run_id
    from producthuntdb.quality.gate import last_report
    from producthuntdb.warehouse import server_export

    report = gate or last_report(settings)
    where = database.describe()
    if report is None or not report.passed:
        raise StageError(f"{where} has no passing quality gate report: run `producthuntdb check` first")
    entries, window = server_export.write_files(settings, tmp, MARTS_SCHEMA, FORMATS)
    counts = {name: int(info["rows"]) for name, info in entries.items()}
    if report.row_counts and counts != report.row_counts:
        raise StageError(f"{where}: the marts changed after the quality gate ran; run check again")
    record = {
        "gate_passed": report.passed, "gate_evaluated": report.evaluated, "row_counts": counts,
        "published_at": None, "run_id": current_run_id(),
    }
    return _manifest(settings, record, entries, window)


def _manifest(
    settings: Settings,
    publication: dict[str, Any],
    entries: dict[str, Any],
    window: dict[str, str | None],
    harvest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "dataset": settings.kaggle_dataset,
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sync_window": window,
        "versions": package_versions(),
        "gate": {
            "passed": publication["gate_passed"],
            "evaluated": publication["gate_evaluated"],
            "row_counts": publication["row_counts"],
            "published_at": publication["published_at"],
            "run_id": publication["run_id"],
        },
        "csv_safety": CSV_SAFETY,
        # how far the marts go in the harvest, so `producthuntdb pull --resume` can continue from it
        "harvest": harvest,
        "tables": entries,
    }


def _csv_cell(name: str, data_type: str) -> str:
    """A column as the CSV gets it: text neutralised against formula injection, other types as they are."""
    column = quote_identifier(name)
    if data_type != "VARCHAR":
        return column
    cleaned = f"regexp_replace({column}, {quote_literal(CONTROL_CHARS)}, '', 'g')"
    quote = quote_literal("'")
    return (
        f"case when regexp_matches({cleaned}, {quote_literal(FORMULA_START)}) then {quote} || {cleaned} "
        f"else {cleaned} end as {column}"
    )


def _public_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Every marts table with its public columns (dbt/dlt bookkeeping columns start with ``_``)."""
    tables = {
        table: {name: kind for name, kind in columns.items() if not name.startswith("_")}
        for table, columns in warehouse.table_columns(con).items()
    }
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


def check_target(target: Path) -> None:
    """A first export goes into a new or empty directory; later ones own only what their manifest lists."""
    if target.exists() and not target.is_dir():
        raise StageError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise StageError(f"{target} is not empty and holds no {MANIFEST}: choose a new or empty directory")


def owned_files(target: Path) -> set[str]:
    """The files of ``target`` that the export wrote: its manifest, metadata and the files it lists."""
    path = target / MANIFEST
    if not path.is_file():
        return set()
    try:
        tables = json.loads(path.read_text("utf-8"))["tables"]
        listed = {str(entry["path"]) for info in tables.values() for entry in info["files"].values()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StageError(f"{path}: not a readable export manifest ({exc.__class__.__name__})") from None
    names = listed | {MANIFEST, KAGGLE_METADATA}
    return {name for name in names if "/" not in name and name not in ("", ".", "..")}


def _swap_into_place(tmp: Path, target: Path, owned: set[str]) -> None:
    """The new export replaces the old one in one step (``dirswap.swap_in``); what it does not own stays.

    Anything the previous manifest did not list is not ours: it is never overwritten or removed,
    and a file of that name in the new export is refused.
    """
    foreign = sorted(p.name for p in tmp.iterdir() if (target / p.name).exists() and p.name not in owned)
    if foreign:
        raise StageError(f"{target} holds {', '.join(foreign[:3])}, which no earlier export wrote: move it away")
    dirswap.swap_in(tmp, target, owned)


def package_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = __version__ if name == "producthuntdb" else "not installed"
    return versions


def _kaggle_type(data_type: str) -> str:
    if data_type in INTEGER_TYPES:
        return "integer"
    if data_type.startswith("DECIMAL"):
        return "numeric"
    return KAGGLE_TYPES.get(data_type, "string")


def kaggle_metadata(settings: Settings, manifest: dict[str, Any]) -> dict[str, Any]:
    """Kaggle's dataset-metadata.json: title, id, licence and every file's column descriptions."""
    docs = datadict.marts(settings.dbt_project_dir)
    resources = []
    for table, info in manifest["tables"].items():
        mart = docs.get(table) or datadict.Mart(table, "")
        fields = [
            {"name": c["name"], "description": mart.columns.get(c["name"], ""), "type": _kaggle_type(c["type"])}
            for c in info["columns"]
        ]
        for fmt in FORMATS:
            resources.append(
                {
                    "path": info["files"][fmt]["path"],
                    "description": mart.description or f"The {table} mart ({info['rows']} rows).",
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
            f"{CSV_SAFETY} "
            f"Posts created {window['min_created_at']} to {window['max_created_at']}. Rows: {counts}. "
            "To query it in DuckDB: `producthuntdb pull` builds the file from this "
            "dataset after checking every file against manifest.json; `producthuntdb pull --resume` also "
            "continues the harvest from where this version stops (manifest.json carries the position). "
            "Data remains subject to the Product Hunt API terms of use.\n\n"
            + datadict.render(settings.dbt_project_dir, heading="##")
        ),
        "licenses": [{"name": LICENSE}],
        "keywords": ["product hunt", "startups", "technology"],
        "resources": resources,
    }
