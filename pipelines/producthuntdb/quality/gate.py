"""The quality gate: one GX validation per mart, pushed down to DuckDB as SQL.

Nothing is loaded into pandas: GX's SQL datasource compiles every expectation to queries that
DuckDB answers over a read-only connection (through :mod:`producthuntdb.warehouse.gx_duckdb`). The context is
ephemeral (suites live in :mod:`suites`, not in YAML), and all validations run in one checkpoint
whose only action renders Data Docs under ``DATA_DIR/gx/data_docs``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb import warehouse
from producthuntdb.errors import StageError
from producthuntdb.quality.dbtproject import future_tolerance_minutes, mart_names
from producthuntdb.quality.suites import REDACTED, SPECS_BY_TABLE, MartSpec
from producthuntdb.settings import Settings
from producthuntdb.tracing import span
from producthuntdb.warehouse import Warehouse
from producthuntdb.warehouse.files import fingerprint

MARTS_SCHEMA = warehouse.MARTS_SCHEMA
DOCS_SITE = "producthuntdb"


@dataclass(frozen=True)
class Failure:
    """One failed expectation, in the words the ``check`` table prints."""

    suite: str
    column: str | None
    expectation: str
    observed: str
    expected: str


@dataclass
class GateReport:
    passed: bool
    failures: list[Failure]
    docs_path: Path | None
    summary_path: Path
    elapsed: float
    row_counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    """Optional marts that were absent or empty, so their suite did not run."""
    evaluated: int = 0
    """Expectations evaluated (GX and plain row-count checks)."""
    db_path: Path | None = None
    fingerprint: str = ""
    """Size and mtime of the file the gate read: a report vouches for that data only, and
    ``serve`` refuses to publish a working file that changed after it was checked."""


class GateFailed(StageError):
    """The gate did not pass: nothing is served, exported or published."""


@dataclass(frozen=True)
class _Table:
    columns: dict[str, str]
    rows: int


def _gx_paths(settings: Settings) -> tuple[Path, Path]:
    return settings.data_dir / "gx" / "data_docs", settings.data_dir / "quality" / "summary.json"


def read_marts(where: Warehouse) -> dict[str, _Table]:
    """Column types and row counts of every table in ``marts`` (one short read-only connection)."""
    if not where.exists():
        raise StageError(f"no database at {where.describe()}: run sync and build first")
    with where.reader() as db:
        columns = db.table_columns()
        counts = db.table_counts(MARTS_SCHEMA, list(columns))
    return {table: _Table(cols, counts[table]) for table, cols in columns.items()}


def require_current(gate: GateReport, settings: Settings) -> None:
    """``gate`` passed, and on the working file as it is now; else ``GateFailed``/``StageError``.

    This is how stages after ``check`` trust a report instead of running the gate again.
    """
    if not gate.passed:
        raise GateFailed(f"quality gate failed ({len(gate.failures)} expectation(s)); nothing was served")
    if gate.db_path is not None and gate.db_path != settings.db_path:
        raise StageError(f"the gate report is for {gate.db_path}, not {settings.db_path}: run check")
    if gate.fingerprint != fingerprint(settings.db_path):
        raise StageError(f"{settings.db_path} changed after the quality gate ran: run check again")


def last_report(settings: Settings) -> GateReport | None:
    """The last ``check``'s report (``DATA_DIR/quality/summary.json``), None when there is none."""
    _, summary_path = _gx_paths(settings)
    try:
        data = json.loads(summary_path.read_text("utf-8"))
        return GateReport(
            passed=bool(data["passed"]),
            failures=[Failure(**f) for f in data.get("failures") or []],
            docs_path=Path(data["docs_path"]) if data.get("docs_path") else None,
            summary_path=summary_path,
            elapsed=float(data.get("elapsed_seconds") or 0.0),
            row_counts={str(k): int(v) for k, v in (data.get("row_counts") or {}).items()},
            skipped=list(data.get("skipped") or []),
            evaluated=int(data.get("evaluated") or 0),
            db_path=Path(data["db_path"]) if data.get("db_path") else None,
            fingerprint=str(data.get("fingerprint") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def previous_row_counts(manifest_path: Path) -> dict[str, int]:
    """Row counts the last export recorded; none when there was no export yet."""
    if not manifest_path.is_file():
        return {}
    try:
        tables = json.loads(manifest_path.read_text("utf-8"))["tables"]
        return {name: int(info["rows"]) for name, info in tables.items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StageError(
            f"{manifest_path}: not a readable export manifest ({exc.__class__.__name__})"
        ) from None


def run_gate(
    settings: Settings, allow_shrink: bool = False, previous_manifest: Path | None = None
) -> GateReport:
    """Validate every mart; never raises for bad data (that is a failed report), only for unusable input."""
    started = time.monotonic()
    docs_dir, summary_path = _gx_paths(settings)
    database = warehouse.open(settings)
    where = database.describe()
    with span("gate", db=where):
        checked = database.fingerprint()
        tables = read_marts(database)
        if not tables:
            raise StageError(f"{where} has no tables in schema '{MARTS_SCHEMA}': run build first")
        manifest = previous_manifest or settings.export_path / "manifest.json"
        previous = {} if allow_shrink else previous_row_counts(manifest)
        failures, skipped, plans = _plan(tables, previous, mart_names(settings))
        evaluated = len(failures) + len(set(previous) - {p.table for p in plans})
        docs_path: Path | None = None
        if plans:
            gaps = _gaps_table(settings, database) if any(p.table == "posts" for p in plans) else None
            gx_failures, gx_evaluated, docs_path = _validate(settings, database, plans, docs_dir, gaps)
            failures += gx_failures
            evaluated += gx_evaluated
    report = GateReport(
        passed=not failures,
        failures=failures,
        docs_path=docs_path,
        summary_path=summary_path,
        elapsed=time.monotonic() - started,
        row_counts={name: t.rows for name, t in tables.items()},
        skipped=skipped,
        evaluated=evaluated,
        db_path=settings.db_path,
        fingerprint=checked,
    )
    _write_summary(report, manifest if not allow_shrink else None, future_tolerance_minutes(settings))
    logger.bind(stage="check").info(
        "gate {} ({} expectations, {} failed) in {:.1f}s",
        "passed" if report.passed else "failed",
        report.evaluated,
        len(failures),
        report.elapsed,
    )
    return report


@dataclass(frozen=True)
class _Plan:
    table: str
    spec: MartSpec | None
    columns: dict[str, str]
    min_rows: int | None


def _plan(
    tables: dict[str, _Table], previous: dict[str, int], marts: tuple[str, ...]
) -> tuple[list[Failure], list[str], list[_Plan]]:
    """Decide which suites run over dbt's ``marts``; missing required marts and shrunk unsuited marts fail here."""
    failures: list[Failure] = []
    skipped: list[str] = []
    plans: list[_Plan] = []
    specs = [SPECS_BY_TABLE[name] for name in marts if name in SPECS_BY_TABLE]
    for spec in specs:
        table = tables.get(spec.table)
        recorded = previous.get(spec.table)
        if spec.optional and not recorded and (table is None or table.rows == 0):
            skipped.append(spec.table)
            continue
        if table is None:
            failures.append(
                Failure(spec.table, None, "table exists", "missing", f"table {MARTS_SCHEMA}.{spec.table}")
            )
            continue
        plans.append(_Plan(spec.table, spec, table.columns, recorded if spec.row_floor else None))
    suited = {spec.table for spec in specs}
    for name, rows in sorted(previous.items()):
        if name in suited:
            continue
        observed = tables[name].rows if name in tables else None
        if observed is None or observed < rows:
            failures.append(
                Failure(
                    name,
                    None,
                    "table_row_count_to_be_between",
                    "missing" if observed is None else _count(observed),
                    f">= {rows} rows (last export; --allow-shrink to accept)",
                )
            )
    return failures, skipped, plans


def _gaps_table(settings: Settings, where: Warehouse) -> str | None:
    """``raw._gaps`` when a sync recorded windows short of the API's totals (``source/ledger.py``)."""
    with where.reader() as db:
        found = db.has_table(settings.dataset_name, "_gaps")
    return f"{warehouse.quote_identifier(settings.dataset_name)}._gaps" if found else None


def _validate(
    settings: Settings, where: Warehouse, plans: list[_Plan], docs_dir: Path, gaps: str | None = None
) -> tuple[list[Failure], int, Path]:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # before GX is imported: no telemetry, ever
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from producthuntdb.logs import current_run_id
    from producthuntdb.quality.data_docs import localize_site
    from producthuntdb.quality.expectations import build_expectations, completeness
    from producthuntdb.warehouse.targets import sqlalchemy_options, sqlalchemy_url

    docs_dir.mkdir(parents=True, exist_ok=True)
    context: Any = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        site_name=DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    try:
        source = context.data_sources.add_sql(
            name="marts", connection_string=sqlalchemy_url(settings), kwargs=sqlalchemy_options(settings)
        )
    except Exception as exc:  # GX wraps every driver error in its own TestConnectionError
        problem = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise StageError(settings.mask(f"GX cannot open {where.describe()}: {problem}")) from None
    definitions = []
    for plan in plans:
        batch = source.add_table_asset(
            name=plan.table, table_name=plan.table, schema_name=MARTS_SCHEMA
        ).add_batch_definition_whole_table("whole table")
        suite = context.suites.add(gx.ExpectationSuite(name=plan.table))
        for expectation in build_expectations(plan.spec, plan.columns, plan.min_rows, settings, MARTS_SCHEMA):
            suite.add_expectation(expectation)
        if plan.table == "posts" and gaps is not None:
            suite.add_expectation(completeness(gaps))
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=plan.table, data=batch, suite=suite)
            )
        )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="gate",
            validation_definitions=definitions,
            actions=[UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 5},
        )
    )
    engines = (source.get_engine(), source.get_execution_engine().engine)
    try:
        # Named after this invocation's run id, so a Data Docs page can be joined to the logs.
        result = checkpoint.run(run_id=RunIdentifier(run_name=current_run_id() or "gate"))
    finally:
        for engine in engines:  # GX pools connections: close them all, DuckDB is single-writer
            engine.dispose()
    localize_site(docs_dir)
    failures: list[Failure] = []
    samples: list[tuple[int, str, str]] = []
    evaluated = 0
    for run in result.run_results.values():
        for item in run.results:
            evaluated += 1
            if not item.success:
                failure, sample_sql = _failure(run.suite_name, item)
                if sample_sql:
                    samples.append((len(failures), run.suite_name, sample_sql))
                failures.append(failure)
    if samples:
        failures = _add_samples(where, failures, samples)
    return failures, evaluated, docs_dir / "index.html"


def _failure(suite: str, item: Any) -> tuple[Failure, str | None]:
    """Turn a GX result into the one line an operator needs (errors included, never a traceback)."""
    from producthuntdb.quality.expectations import describe_expected

    config = item.expectation_config
    kwargs = dict(config.kwargs)
    meta = dict(config.meta or {})
    column = meta.get("column") or kwargs.get("column")
    if column is None and "column_A" in kwargs:
        column = f"{kwargs['column_A']}, {kwargs['column_B']}"
    if column is None and "column_list" in kwargs:
        column = ", ".join(kwargs["column_list"])
    info = item.exception_info or {}
    errors = [info] if "raised_exception" in info else list(info.values())
    raised = [e for e in errors if isinstance(e, dict) and e.get("raised_exception")]
    expected = meta.get("expected") or describe_expected(config.type, kwargs) + meta.get("hint", "")
    name = meta.get("check") or config.type.removeprefix("expect_")
    if raised:
        message = str(raised[0].get("exception_message") or "error").splitlines()[0]
        return Failure(suite, column, name, f"error: {message[:200]}", expected), None
    return Failure(suite, column, name, _observed(item.result or {}), expected), meta.get("sample_sql")


def _add_samples(
    where: Warehouse, failures: list[Failure], samples: list[tuple[int, str, str]]
) -> list[Failure]:
    """GX's SUMMARY format reports only a count for SQL checks: fetch up to 3 offending values."""
    failures = list(failures)
    with where.reader() as db:
        for index, table, sql in samples:
            query = sql.replace("{batch}", f"{MARTS_SCHEMA}.{warehouse.quote_identifier(table)}")
            try:
                rows = db.query(query + " limit 3")
                counted = db.query(f"select count(*) from ({query}) as bad")
            except Exception:  # a sample is a nicety: the failure stands without it
                continue
            failures[index] = _with_sample(failures[index], rows, counted[0] if counted else None)
    return failures


def _with_sample(old: Failure, rows: list[Any], counted: Any) -> Failure:
    if old.column == "*":  # the redacted check answers (column, hits) pairs
        observed = ", ".join(f"{r[0]}: {_count(r[1])}" for r in rows)
        return replace(old, column=", ".join(str(r[0]) for r in rows), observed=observed)
    values = ", ".join(_show(r[0]) for r in rows)
    total = counted[0] if counted else "?"
    return replace(old, observed=f"{_count(total)}, e.g. {values}")


def _count(rows: Any) -> str:
    return f"{rows} row" if rows == 1 else f"{rows} rows"


def _show(value: Any) -> str:
    return (
        value.isoformat(sep=" ")
        if hasattr(value, "isoformat")
        else repr(value)
        if isinstance(value, str)
        else str(value)
    )


def _observed(result: dict[str, Any]) -> str:
    if "unexpected_count" in result:
        sample = result.get("partial_unexpected_list") or []
        text = f"{result['unexpected_count']} of {result.get('element_count', '?')} rows"
        if not sample:
            return text
        shown = [", ".join(map(_show, s)) if isinstance(s, (list, tuple)) else _show(s) for s in sample[:3]]
        return f"{text}, e.g. {'; '.join(shown)}"
    return str(result.get("observed_value"))


def _write_summary(report: GateReport, manifest: Path | None, tolerance_minutes: int) -> None:
    payload = {
        "passed": report.passed,
        "elapsed_seconds": round(report.elapsed, 3),
        "evaluated": report.evaluated,
        "failures": [asdict(f) for f in report.failures],
        "row_counts": report.row_counts,
        "skipped": report.skipped,
        "docs_path": str(report.docs_path) if report.docs_path else None,
        "previous_manifest": str(manifest) if manifest and manifest.is_file() else None,
        "redacted_marker": REDACTED,
        "future_tolerance_minutes": tolerance_minutes,
        "db_path": str(report.db_path) if report.db_path else None,
        "fingerprint": report.fingerprint,
    }
    report.summary_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = report.summary_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n", "utf-8")
    tmp.replace(report.summary_path)
