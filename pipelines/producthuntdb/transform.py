"""The transform stage: run the dbt project (``dbt_project/``) over the synced DuckDB file.

dbt runs as a subprocess (the ``dbt`` executable next to ``sys.executable``) rather than
through ``dbtRunner``: dbt keeps global state (adapters, flags, logging) that leaks between
in-process invocations and would tie our process to its DuckDB connection. Its target and
log directories live under ``settings.data_dir``, so parallel runs (tests, benchmarks) on
different data dirs never collide, and ``run_results.json`` is parsed into a
``BuildReport``. A failed build raises ``BuildFailed`` (a ``StageError``) whose one-line
message names the failed nodes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb import datadict, warehouse
from producthuntdb.errors import ConfigError, StageError
from producthuntdb.settings import Settings
from producthuntdb.tracing import span
from producthuntdb.warehouse import targets

REPO_ROOT = Path(__file__).resolve().parents[2]
FAILED_STATUSES = {"error", "fail", "runtime error"}
PASSED_STATUSES = {"success", "pass"}
MAX_NAMED_FAILURES = 5
"""The error line names at most this many nodes; the report holds all of them."""


@dataclass
class NodeFailure:
    """One dbt node (model, test, unit test) that failed, with dbt's message."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    message: str


@dataclass
class BuildReport:
    """What one ``dbt build`` did, from its ``run_results.json``."""

    command: str
    elapsed: float
    """Wall-clock seconds of the dbt subprocess (what a benchmark reports)."""
    invocation_id: str = ""
    """dbt's id of the run; incremental marts record it per row in ``_loaded_by``."""
    dbt_elapsed: float = 0.0
    models_passed: int = 0
    models_failed: int = 0
    tests_passed: int = 0
    tests_failed: int = 0
    tests_warned: int = 0
    unit_tests_passed: int = 0
    unit_tests_failed: int = 0
    skipped: int = 0
    failures: list[NodeFailure] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    """Rows of each ``marts`` table after the build."""
    rows_written: dict[str, int] = field(default_factory=dict)
    """Rows this build wrote into each incremental mart (those whose ``_loaded_by`` is this
    invocation): after a small sync, a small number — dbt-duckdb reports no rows_affected."""
    target_path: Path | None = None

    def nodes(self) -> int:
        """Nodes dbt ran or skipped."""
        return (
            self.models_passed + self.models_failed + self.tests_passed + self.tests_failed + self.tests_warned
            + self.unit_tests_passed + self.unit_tests_failed + self.skipped
        )

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        return (
            f"dbt {self.command}: {self.models_passed} models ok, {self.models_failed} failed; "
            f"{self.tests_passed + self.unit_tests_passed} tests passed, "
            f"{self.tests_failed + self.unit_tests_failed} failed, {self.tests_warned} warned, "
            f"{self.skipped} skipped in {self.elapsed:.1f}s"
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target_path"] = str(self.target_path) if self.target_path else None
        data["elapsed"], data["dbt_elapsed"] = round(self.elapsed, 2), round(self.dbt_elapsed, 2)
        return data


class BuildFailed(StageError):
    """``dbt build`` failed; ``report`` holds every failed node (None if dbt never ran nodes)."""

    def __init__(self, message: str, report: BuildReport | None = None) -> None:
        super().__init__(message)
        self.report = report


def dbt_executable() -> Path:
    """The ``dbt`` installed in this interpreter's environment (not whatever is on PATH)."""
    name = "dbt.exe" if os.name == "nt" else "dbt"
    return Path(sys.executable).parent / name


def project_dir(settings: Settings) -> Path:
    """The dbt project, absolute; a relative setting falls back to the repository's copy.

    ``dbt_project`` is relative to the working directory by default; commands run from
    elsewhere (or an installed CLI) still find the project shipped in the repository.
    """
    candidates = [settings.dbt_project_dir]
    if not settings.dbt_project_dir.is_absolute():
        candidates.append(REPO_ROOT / settings.dbt_project_dir)
    for candidate in candidates:
        if (candidate / "dbt_project.yml").is_file():
            return candidate.resolve()
    raise StageError(f"dbt project not found: {settings.dbt_project_dir} has no dbt_project.yml")


def dbt_paths(settings: Settings) -> tuple[Path, Path]:
    """(target path, log path) of dbt for this data dir."""
    base = (settings.data_dir / "dbt").resolve()
    return base / "target", base / "logs"


def dbt_env(settings: Settings) -> dict[str, str]:
    """The subprocess environment: the destination's connection for profiles.yml, telemetry off."""
    env = dict(os.environ)
    env.update(targets.dbt_env(settings), DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    return env


def _check_raw(settings: Settings) -> None:
    """Refuse a database that was never synced, with one clear line instead of dbt's errors."""
    where = warehouse.open(settings)
    if not where.readable:
        return  # untested warehouses: dbt reports a missing source itself
    if not where.exists():
        raise StageError(f"no DuckDB file at {where.describe()}: run `producthuntdb sync` first")
    with where.reader() as db:
        found = db.has_table(settings.dataset_name, "posts")
    if not found:
        raise StageError(f"{where.describe()} has no {settings.dataset_name}.posts table: run `producthuntdb sync` first")


def _run_dbt(settings: Settings, args: list[str]) -> tuple[subprocess.CompletedProcess[str], float, Path]:
    exe = dbt_executable()
    if not exe.is_file():
        raise StageError(f"dbt is not installed in this environment ({exe} is missing)")
    _check_raw(settings)
    project = project_dir(settings)
    target, logs = dbt_paths(settings)
    target.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").unlink(missing_ok=True)
    command = [
        str(exe), *args,
        "--project-dir", str(project), "--profiles-dir", str(project),
        "--target-path", str(target), "--log-path", str(logs),
        "--target", targets.dbt_target(settings),
        "--vars", json.dumps({"raw_schema": settings.dataset_name}),
        "--no-use-colors",
    ]
    logger.debug("running {}", " ".join(command))
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=project, env=dbt_env(settings), capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise StageError(f"dbt could not be started: {exc.strerror}") from None
    return done, time.perf_counter() - started, target


def _first_error_line(output: str) -> str:
    """The most telling line of dbt's console output when it failed before running nodes."""
    lines = [line.split("  ", 1)[-1].strip() for line in output.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if "error" in line.lower():
            # "Encountered an error:" announces the message on the following lines
            detail = lines[index + 1 : index + 3] if line.endswith(":") else []
            return " ".join([line, *detail])[:300]
    return lines[-1][:300] if lines else "no output"


def parse_run_results(path: Path, command: str, elapsed: float) -> BuildReport:
    """A ``BuildReport`` from dbt's ``run_results.json``."""
    data = json.loads(path.read_text("utf-8"))
    report = BuildReport(
        command=command,
        elapsed=elapsed,
        invocation_id=str(data.get("metadata", {}).get("invocation_id", "")),
        dbt_elapsed=float(data.get("elapsed_time", 0.0)),
    )
    report.target_path = path.parent
    for result in data.get("results", []):
        unique_id: str = result["unique_id"]
        kind = unique_id.split(".", 1)[0]
        status = str(result.get("status", "")).lower()
        failed = status in FAILED_STATUSES
        if status == "skipped":
            report.skipped += 1
        elif kind in ("model", "snapshot", "seed"):
            report.models_failed += failed
            report.models_passed += status in PASSED_STATUSES
        elif kind == "unit_test":
            report.unit_tests_failed += failed
            report.unit_tests_passed += status in PASSED_STATUSES
        elif kind == "test":
            report.tests_failed += failed
            report.tests_warned += status == "warn"
            report.tests_passed += status in PASSED_STATUSES
        if failed:
            message = " ".join(str(result.get("message") or status).split())
            report.failures.append(
                NodeFailure(unique_id, unique_id.split(".")[-1], kind, status, message[:300])
            )
    return report


def _count_mart_rows(settings: Settings, report: BuildReport) -> None:
    """Fill ``mart_rows`` and ``rows_written`` from the built database (best effort)."""
    where = warehouse.open(settings)
    if not where.readable:
        return
    try:
        with where.reader() as db:
            columns = db.table_columns()
            report.mart_rows.update(db.table_counts(warehouse.MARTS_SCHEMA, list(columns)))
            for table in (name for name, cols in columns.items() if "_loaded_by" in cols):
                rows = db.query(
                    f"select count(*) from marts.{warehouse.quote_identifier(table)} where _loaded_by = ?",
                    [report.invocation_id],
                )
                report.rows_written[table] = int(rows[0][0]) if rows else 0
    except Exception as exc:  # counting is a report nicety: never fail a passed build over it
        logger.warning("could not count mart rows: {}", " ".join(str(exc).split())[:200])


def _failure_line(report: BuildReport) -> str:
    named = [f"{f.name} ({f.message[:120]})" for f in report.failures[:MAX_NAMED_FAILURES]]
    more = len(report.failures) - len(named)
    tail = f" and {more} more" if more > 0 else ""
    return f"dbt {report.command} failed: {len(report.failures)} node(s): {'; '.join(named)}{tail}"


def stale_marts(settings: Settings) -> list[str]:
    """Marts built by an older version of the models: their columns are not the ones their YAML
    documents (a column renamed or added). An incremental build would keep their old rows as they
    were (``posts.user_id`` → ``hunter_id``, ``launch_date``'s new rule), so they are rebuilt."""
    declared = {name: set(mart.columns) for name, mart in datadict.marts(project_dir(settings)).items()}
    try:
        where = warehouse.open(settings)
        if not where.readable or not where.exists():  # never creates a file (_check_raw says what is missing)
            return []
        with where.reader() as db:
            built = {table: set(columns) for table, columns in db.table_columns().items()}
    except Exception as exc:  # a nicety: dbt reports a database it cannot read itself
        logger.debug("could not compare the marts with their models: {}", exc)
        return []
    return sorted(table for table, columns in built.items() if table in declared and columns != declared[table])


def run_build(settings: Settings, select: str | None = None, full_refresh: bool = False) -> BuildReport:
    """Run ``dbt build`` (models, tests, unit tests) over ``settings.db_path``.

    A database whose marts an older version built is rebuilt from raw (``--full-refresh``, once).
    Raises ``BuildFailed`` naming the failed nodes when any model or test fails, and
    ``StageError`` when dbt cannot run at all (no DuckDB file, no project, parse errors).
    """
    stale = [] if full_refresh else stale_marts(settings)
    if stale:
        logger.info("marts {} were built by an older version of the models: rebuilding them from raw", ", ".join(stale))
        full_refresh = True
    args = ["build"]
    if select:
        # cautious: a test that also reads an unselected model (posts vs. its metrics history)
        # is left out, instead of failing on a parent this build did not refresh
        args += ["--select", select, "--indirect-selection", "cautious"]
    if full_refresh:
        args.append("--full-refresh")
    with span("build", select=select or "", full_refresh=full_refresh):
        done, elapsed, target = _run_dbt(settings, args)
        results = target / "run_results.json"
        if not results.is_file():
            logger.debug("dbt output:\n{}", (done.stdout + done.stderr)[-8000:])
            raise BuildFailed(f"dbt build failed before running: {_first_error_line(done.stdout + done.stderr)}")
        report = parse_run_results(results, "build", elapsed)
        if select and not report.nodes():
            # dbt only warns; an operator who typed a selection wants to know it built nothing
            raise ConfigError(f"--select {select!r} matches no dbt model or test: nothing was built")
        _count_mart_rows(settings, report)
    if report.failures or done.returncode != 0:
        logger.debug("dbt output:\n{}", done.stdout[-8000:])
        if not report.failures:
            raise BuildFailed(f"dbt build failed: {_first_error_line(done.stdout + done.stderr)}", report)
        raise BuildFailed(_failure_line(report), report)
    logger.info(report.summary())
    return report


def run_docs(settings: Settings) -> Path:
    """Run ``dbt docs generate --static``; returns the target dir holding catalog.json and the pages.

    ``static_index.html`` carries the manifest and catalog inside it, so it opens from disk
    (``index.html`` fetches them and needs a web server).
    """
    with span("docs"):
        done, elapsed, target = _run_dbt(settings, ["docs", "generate", "--static"])
    if done.returncode != 0 or not (target / "static_index.html").is_file():
        raise StageError(f"dbt docs generate failed: {_first_error_line(done.stdout + done.stderr)}")
    logger.info("dbt docs generated in {:.1f}s: {}", elapsed, target / "index.html")
    return target
