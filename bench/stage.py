"""One pipeline stage in its own process, so its peak memory can be read on its own.

``python bench/stage.py '<json>'`` runs the stage the JSON names and prints one JSON line:
``{"stage", "seconds", "peak_rss_mb", ...stage figures}``. The parent (``run_all.py``) keeps
the emulator; this process talks to it over HTTP like any harvester.

Peak RSS is the larger of this process's and its children's ``ru_maxrss`` (dbt runs as a
child of ``run_build``), in MiB.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _primary_keys() -> dict[str, tuple[str, ...]]:
    from producthuntdb.source.contract import TABLES

    return {name: spec.primary_key for name, spec in TABLES.items() if not name.startswith("_")}


PRIMARY_KEYS = _primary_keys()
"""The raw contract's primary keys (docs/ARCHITECTURE.md), for the plain-dlt floor."""


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _settings(spec: dict[str, Any]) -> Any:
    from producthuntdb.settings import load_settings

    return load_settings(
        environment="testing",
        data_dir=Path(spec["data_dir"]),
        api_url=spec.get("api_url"),
        token=spec.get("token"),
        dbt_project_dir=ROOT / "dbt_project",
        log_level="ERROR",
        progress=False,
        destination=spec.get("destination"),
        postgres_url=spec.get("postgres_url"),
        **spec.get("settings", {}),
    )


def _jsonable(value: Any) -> Any:
    """A stage report (a dataclass, converted as a whole) or a result dict as plain JSON values."""
    from producthuntdb.serialize import jsonable

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return jsonable(value)


def raw_tables(db_path: Path) -> dict[str, int]:
    """Row counts of the data tables dlt loaded (not dlt's own, not the run log)."""
    from producthuntdb import warehouse

    with warehouse.opened(db_path) as con:
        names = [name for name in warehouse.table_columns(con, "raw") if not name.startswith("_")]
        return warehouse.table_counts(con, "raw", sorted(names))


def raw_tables_postgres(url: str) -> dict[str, int]:
    """``raw_tables`` for a PostgreSQL destination."""
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            cur.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_type = 'BASE TABLE' and table_name not like '\\_%' order by table_name"
            )
            counts = {}
            for (name,) in cur.fetchall():
                cur.execute(f'select count(*) from raw."{name}"')
                row = cur.fetchone()
                counts[name] = int(row[0]) if row else 0
    finally:
        con.close()
    return counts


def stage_sync(spec: dict[str, Any]) -> dict[str, Any]:
    from producthuntdb.sync import run_sync
    from producthuntdb.syncmodel import SyncOptions

    settings = _settings(spec)
    options = SyncOptions(**spec.get("options", {}))
    started = time.perf_counter()
    report = run_sync(settings, options)
    seconds = time.perf_counter() - started
    rows = raw_tables_postgres(spec["postgres_url"]) if spec.get("postgres_url") else raw_tables(settings.db_path)
    return {"seconds": seconds, "report": _jsonable(report), "raw_rows": rows, "rows": sum(rows.values())}


def stage_build(spec: dict[str, Any]) -> dict[str, Any]:
    from producthuntdb.transform import run_build

    settings = _settings(spec)
    started = time.perf_counter()
    report = run_build(settings)
    return {"seconds": time.perf_counter() - started, "report": _jsonable(report)}


def stage_gate(spec: dict[str, Any]) -> dict[str, Any]:
    from producthuntdb.quality import run_gate

    settings = _settings(spec)
    started = time.perf_counter()
    report = run_gate(settings)
    return {"seconds": time.perf_counter() - started, "report": _jsonable(report)}


def stage_dlt_floor(spec: dict[str, Any]) -> dict[str, Any]:
    """A plain dlt pipeline loading the rows our sync loaded, from memory: the library's floor.

    The rows are read from the sync's DuckDB file first (not timed), then loaded with the same
    write disposition and keys as our source into a fresh file, in dlt's default load files
    (``insert_values``) or, given ``loader_file_format``, in those our sync writes.
    """
    import dlt

    from producthuntdb import warehouse

    source_db = Path(spec["source_db"])
    tables: dict[str, list[dict[str, Any]]] = {}
    with warehouse.opened(source_db) as con:
        for name in raw_tables(source_db):
            cursor = con.execute(f'select * exclude (_dlt_load_id, _dlt_id) from raw."{name}"')
            columns = [d[0] for d in cursor.description]
            tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    resources = [
        dlt.resource(
            rows,
            name=name,
            write_disposition="merge" if name in PRIMARY_KEYS else "append",
            primary_key=list(PRIMARY_KEYS.get(name, ())) or None,
        )
        for name, rows in tables.items()
    ]
    work = Path(spec["data_dir"])
    work.mkdir(parents=True, exist_ok=True)
    pipeline = dlt.pipeline(
        pipeline_name="bench_floor",
        destination=dlt.destinations.duckdb(str(work / "floor.duckdb")),
        dataset_name="raw",
        pipelines_dir=str(work / "dlt"),
    )
    started = time.perf_counter()
    file_format = {"loader_file_format": spec["loader_file_format"]} if spec.get("loader_file_format") else {}
    pipeline.run(resources, **file_format)
    seconds = time.perf_counter() - started
    rows = sum(len(r) for r in tables.values())
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds if seconds else None}


def stage_serve(spec: dict[str, Any]) -> dict[str, Any]:
    """Publish the marts the last gate passed: the time from "gate passed" to "served file swapped"."""
    from producthuntdb import pipeline

    settings = _settings(spec)
    started = time.perf_counter()
    report = pipeline.serve(settings)
    return {"seconds": time.perf_counter() - started, "report": _jsonable(report)}


def stage_refresh(spec: dict[str, Any]) -> dict[str, Any]:
    """What a run does to the files after its sync (build → check → serve), for readers to run against."""
    from producthuntdb import pipeline

    settings = _settings(spec)
    started = time.perf_counter()
    pipeline.build(settings)
    gate = pipeline.check(settings)
    pipeline.require_passed(gate)
    passed = time.perf_counter()
    pipeline.serve(settings, gate)
    swapped = time.perf_counter()
    return {"seconds": swapped - started, "gate_to_swap_s": swapped - passed}


STAGES = {
    "sync": stage_sync,
    "build": stage_build,
    "gate": stage_gate,
    "serve": stage_serve,
    "refresh": stage_refresh,
    "dlt_floor": stage_dlt_floor,
}


def main() -> int:
    spec = json.loads(sys.argv[1])
    name = spec["stage"]
    try:
        result = STAGES[name](spec)
        result["ok"] = True
    except Exception as exc:  # a benchmark reports a broken stage; it does not crash the run
        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
        }
    result["stage"] = name
    result["peak_rss_mb"] = peak_rss_mb()
    print("BENCH-RESULT " + json.dumps(_jsonable(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
