"""Stages after the gate trust a report, never run the gate again, and refuse a report that does not match.

``serve`` publishes only the working file a passing report was made on, unchanged since; ``export``
ships the served file only when its marts are the rows its recorded report counted (and those of the
run's report, when handed one); ``publish`` uploads an export only when its manifest's gate record
counts the very rows it ships.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from pydantic import SecretStr

from producthuntdb.errors import StageError
from producthuntdb.export import MANIFEST, run_export
from producthuntdb.publish import run_publish
from producthuntdb.quality.gate import GateFailed, last_report
from producthuntdb.serve import run_serve
from producthuntdb.settings import Settings

pytestmark = pytest.mark.slow


def _served_copy(small_served: Settings, tmp_path: Path) -> Settings:
    served = tmp_path / "producthunt.duckdb"
    shutil.copyfile(small_served.served_path, served)
    return small_served.model_copy(update={"data_dir": tmp_path, "duckdb_path": served, "export_dir": tmp_path / "export"})


def test_serve_refuses_a_failed_a_foreign_or_a_stale_report(
    small_served: Settings, built_db_copy: Settings
) -> None:
    report = last_report(small_served)
    assert report is not None and report.passed and report.db_path == small_served.db_path

    with pytest.raises(GateFailed):
        run_serve(small_served, replace(report, passed=False))
    with pytest.raises(StageError, match="gate report is for"):
        run_serve(built_db_copy, report)  # a report on another working file
    with pytest.raises(StageError, match="changed after the quality gate"):
        run_serve(built_db_copy, replace(report, db_path=built_db_copy.db_path))  # same path, other bytes
    assert not built_db_copy.served_path.exists()


def test_export_refuses_a_served_file_that_is_not_what_its_gate_counted(small_served: Settings, tmp_path: Path) -> None:
    settings = _served_copy(small_served, tmp_path)
    gate = last_report(small_served)
    assert gate is not None
    other = replace(gate, row_counts={**gate.row_counts, "posts": gate.row_counts["posts"] + 1})
    with pytest.raises(StageError, match="not the data this run's quality gate passed"):
        run_export(settings, gate=other)

    con = duckdb.connect(str(settings.served_path))
    try:
        con.execute("delete from marts.posts where post_id = (select min(post_id) from marts.posts)")
    finally:
        con.close()
    with pytest.raises(StageError, match="do not match the gate report it records"):
        run_export(settings)
    assert not (tmp_path / "export").exists()


def test_publish_refuses_an_export_whose_gate_record_counts_other_rows(
    small_served: Settings, tmp_path: Path
) -> None:
    settings = _served_copy(small_served, tmp_path).model_copy(
        update={"kaggle_username": "someone", "kaggle_key": SecretStr("not-used-in-a-dry-run")}
    )
    report = run_export(settings)
    gate = last_report(small_served)
    assert gate is not None
    assert run_publish(settings, dry_run=True, gate=gate).dry_run  # the run's own report: fine

    with pytest.raises(StageError, match="not the export of this run's gated data"):
        run_publish(settings, dry_run=True, gate=replace(gate, row_counts={"posts": 1}))
    manifest = json.loads((report.out_dir / MANIFEST).read_text("utf-8"))
    manifest["gate"]["row_counts"]["posts"] += 1
    (report.out_dir / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(StageError, match="not the rows its quality gate passed"):
        run_publish(settings, dry_run=True)
