"""The same sync and ``dbt build`` on PostgreSQL, beside the DuckDB figures of ``run_all.py``.

A throwaway server from the machine's PostgreSQL binaries (the test suite's own
``tests/plugins/postgres.py``: ``initdb`` + ``pg_ctl`` on a free loopback port, fsync off — a
benchmark of the pipeline, not of the disk) receives a full sync of an unthrottled emulator world;
then ``dbt build`` runs on it. Each stage runs in its own process (``stage.py``), like the DuckDB
figures, so the numbers compare like for like.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from common import ROOT, TOKEN, emulator, run_stage

sys.path.insert(0, str(ROOT))


def bench_postgres(size: str, work: Path, log: Any) -> dict[str, Any]:
    """``{rows_per_s, full_sync_s, rows_loaded, dbt_build_s, peak_rss_mb, server}`` for one world size."""
    from tests.plugins.postgres import postgres_bin_dir, start_server

    if postgres_bin_dir() is None:
        return {"error": "PostgreSQL server binaries (initdb) not found"}
    figures: dict[str, Any] = {"peak_rss_mb": {}}
    server = start_server()
    try:
        figures["server"] = server.execute("show server_version")[0][0]
        url = server.url(server.create_database(f"bench_{size}"))
        target = {"destination": "postgres", "postgres_url": url}
        data = work / f"{size}-postgres"
        with emulator(size) as api:
            log(f"{size}: full sync into PostgreSQL {figures['server']}")
            sync = run_stage("sync", data_dir=data, api_url=api.url, token=TOKEN, **target)
        figures["peak_rss_mb"]["sync"] = sync.get("peak_rss_mb")
        if not sync.get("ok"):
            figures["sync_error"] = sync.get("error")
            return figures
        figures.update(
            rows_loaded=sync["rows"], full_sync_s=sync["seconds"],
            rows_per_s=sync["rows"] / sync["seconds"] if sync["seconds"] else None,
        )
        log(f"{size}: dbt build on PostgreSQL")
        build = run_stage("build", data_dir=data, **target)
        figures["peak_rss_mb"]["build"] = build.get("peak_rss_mb")
        figures["dbt_build_s"] = build.get("seconds") if build.get("ok") else None
        if not build.get("ok"):
            figures["build_error"] = build.get("error")
    finally:
        server.stop()
        import shutil

        shutil.rmtree(server.data_dir, ignore_errors=True)
    return figures
