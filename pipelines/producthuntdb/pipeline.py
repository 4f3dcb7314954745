"""The stage runner: sync → build → check → serve → export → report → publish, for every entry point.

``cli``, ``demo``, ``interactive`` (and through the CLI the scheduled workflow) call these
functions; none of them strings stages together itself. :func:`run` is the one written
sequence. The quality gate runs once per run: :func:`check` returns its report and the later
stages take it as an argument — ``serve`` publishes only the data that report vouches for
(same working file, unchanged since), ``export`` ships the served file whose recorded report
matches it, ``publish`` uploads the export that recorded it. Run alone, ``serve`` uses the last
``check``'s report (and refuses a stale one), ``export`` the report the served file carries and
``publish`` the one the export's manifest carries: each still checks that a passing report
matches the data it ships, without running the gate again.

Nothing here prints: an entry point passes :class:`Hooks` (``display.ConsoleHooks``) to show a
spinner while a stage runs and its report after.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from loguru import logger

from producthuntdb import logs, warehouse
from producthuntdb.errors import ConfigError, ProductHuntDBError, StageError
from producthuntdb.settings import Settings
from producthuntdb.warehouse.targets import problems as destination_problems

if TYPE_CHECKING:
    from producthuntdb.docsite import DocsResult
    from producthuntdb.export import ExportReport
    from producthuntdb.publish import PublishReport
    from producthuntdb.pull import PullReport
    from producthuntdb.quality.gate import GateReport
    from producthuntdb.report import ReportResult
    from producthuntdb.serve import ServeReport
    from producthuntdb.syncmodel import SyncOptions, SyncReport
    from producthuntdb.transform import BuildReport

R = TypeVar("R")

STAGES = ("sync", "build", "check", "serve", "export", "publish", "report", "docs", "pull")
WHILE_RUNNING = {
    "sync": "sync: harvesting the API…",
    "build": "dbt build: models and tests…",
    "check": "quality gate: Great Expectations suites…",
    "serve": "serve: publishing the gated marts…",
    "export": "export: Parquet, CSV, manifest…",
    "publish": "publish: Kaggle…",
    "report": "report: charts…",
    "docs": "docs: dbt docs, Data Docs…",
    "pull": "pull: downloading and checking the dataset…",
}


class Hooks(Protocol):
    """What an entry point shows around each stage."""

    def running(self, stage: str, text: str) -> AbstractContextManager[Any]: ...

    def finished(self, stage: str, report: Any) -> None: ...


class Silent:
    """Hooks that show nothing (tests, benchmarks, library use)."""

    def running(self, stage: str, text: str) -> AbstractContextManager[Any]:
        return nullcontext()

    def finished(self, stage: str, report: Any) -> None:
        return None


SILENT = Silent()


@dataclass
class RunReport:
    """Every stage's report of one :func:`run`."""

    sync: SyncReport
    build: BuildReport
    gate: GateReport
    serve: ServeReport | None
    """None on a warehouse: the server is what readers query, there is no file to publish."""
    export: ExportReport
    report: ReportResult
    publish: PublishReport | None = None


SPAN_FIELDS = ("points", "pages", "status", "passed")
"""Report fields copied onto the stage's span (when tracing is on)."""


def _stage(name: str, hooks: Hooks, work: Callable[[], R]) -> R:
    with logs.stage_context(name) as current, hooks.running(name, WHILE_RUNNING[name]):
        logger.debug("{} starting", name)  # the JSON log says which stage a killed run was in
        report = work()
        fields = {k: getattr(report, k) for k in SPAN_FIELDS if isinstance(getattr(report, k, None), int | float | str)}
        if current is not None:
            for key, value in fields.items():
                current.set_attribute(f"{name}.{key}", value)
        logger.debug("{} finished", name, **fields)
    hooks.finished(name, report)
    return report


def preflight(settings: Settings, *, token: bool = False, kaggle: bool = False, writable: bool = True) -> Settings:
    """Every problem a stage would hit before it starts, raised together (ConfigError, exit 2).

    The settings' own (token, Kaggle credentials, the data directory) and the destination's,
    checked without connecting. Here rather than in ``Settings``: the destination is built on the
    settings, so the settings cannot ask it without an import circle.
    """
    problems = settings.token_problems() if token else []
    problems += settings.kaggle_problems(required=kaggle)
    problems += destination_problems(settings)
    if writable:
        problems += settings.data_dir_problems()
    if problems:
        raise ConfigError(problems)
    return settings


def sync_options(settings: Settings, **flags: Any) -> SyncOptions:
    """``SyncOptions`` from flags, with what ``Settings`` owns (budget share, look-back, progress) filled in."""
    from producthuntdb.syncmodel import SyncOptions

    flags.setdefault("budget_share", settings.budget_share)
    flags.setdefault("lookback_hours", settings.lookback_hours)
    flags.setdefault("progress", bool(settings.progress) and sys.stderr.isatty())
    return SyncOptions(**flags)


def sync(settings: Settings, options: SyncOptions, hooks: Hooks = SILENT) -> SyncReport:
    """Harvest into the working file; a failed harvest raises (exit 1), a stopped one is fine."""
    from producthuntdb.sync import run_sync

    report = _stage("sync", hooks, lambda: run_sync(settings, options))
    if report.status == "failed":
        raise ProductHuntDBError(f"sync failed: {report.stop_reason or 'see the log'}")
    return report


def build(
    settings: Settings, select: str | None = None, full_refresh: bool = False, hooks: Hooks = SILENT
) -> BuildReport:
    """dbt build on the working file (readers of the served file never notice)."""
    from producthuntdb.transform import run_build

    return _stage("build", hooks, lambda: run_build(settings, select=select, full_refresh=full_refresh))


def check(settings: Settings, allow_shrink: bool = False, hooks: Hooks = SILENT) -> GateReport:
    """The quality gate on the working file's marts; a failed gate is a report, see :func:`require_passed`."""
    from producthuntdb.quality import run_gate

    return _stage("check", hooks, lambda: run_gate(settings, allow_shrink=allow_shrink))


def require_passed(gate: GateReport, consequence: str = "") -> None:
    """Raise ``GateFailed`` (exit 1) unless ``gate`` passed; ``consequence`` says what did not happen."""
    from producthuntdb.quality.gate import GateFailed

    if not gate.passed:
        raise GateFailed(f"quality gate failed ({len(gate.failures)} expectation(s)){consequence}")


def serve(settings: Settings, gate: GateReport | None = None, hooks: Hooks = SILENT) -> ServeReport:
    """Publish the gated marts to the served file; without ``gate``, the last ``check``'s report."""
    from producthuntdb.quality.gate import last_report
    from producthuntdb.serve import run_serve

    report = gate or last_report(settings)
    if report is None:
        raise StageError(f"no quality gate report for {settings.db_path}: run `producthuntdb check` first")
    return _stage("serve", hooks, lambda: run_serve(settings, report, logs.current_run_id()))


def export(
    settings: Settings, gate: GateReport | None = None, out_dir: Path | None = None, hooks: Hooks = SILENT
) -> ExportReport:
    """Parquet + CSV + manifest of the served marts (which ``gate``, when given, must describe)."""
    from producthuntdb.export import run_export

    return _stage("export", hooks, lambda: run_export(settings, out_dir=out_dir, gate=gate))


def publish(
    settings: Settings,
    gate: GateReport | None = None,
    export_dir: Path | None = None,
    dry_run: bool = False,
    hooks: Hooks = SILENT,
) -> PublishReport:
    """A new Kaggle dataset version from the export (which ``gate``, when given, must describe)."""
    from producthuntdb.publish import run_publish

    return _stage("publish", hooks, lambda: run_publish(settings, export_dir=export_dir, dry_run=dry_run, gate=gate))


def report(settings: Settings, out: Path | None = None, hooks: Hooks = SILENT) -> ReportResult:
    """The HTML launch report from the served marts; its headline PNGs go into the export when there is one
    (they are published with the dataset)."""
    from producthuntdb.report import run_report

    png_dir = settings.export_path if settings.export_path.is_dir() else None
    return _stage("report", hooks, lambda: run_report(settings, out=out, png_dir=png_dir))


def docs(settings: Settings, hooks: Hooks = SILENT) -> DocsResult:
    """dbt's static docs, the gate's Data Docs (assets local) and the report under one offline index."""
    from producthuntdb.docsite import run_docs_site

    return _stage("docs", hooks, lambda: run_docs_site(settings))


def pull(settings: Settings, source: str | None = None, resume: bool = False, hooks: Hooks = SILENT) -> PullReport:
    """The published dataset (Kaggle, or a directory or URL holding an export) as the served file;
    ``resume`` also seeds a new working file so the next sync continues from it."""
    from producthuntdb.pull import run_pull

    return _stage("pull", hooks, lambda: run_pull(settings, source, resume))


def run(
    settings: Settings,
    options: SyncOptions,
    *,
    allow_shrink: bool = False,
    publish_after: bool = False,
    hooks: Hooks = SILENT,
) -> RunReport:
    """sync → build → check → serve → export → report (→ publish), stopping at the first failure; the gate runs once."""
    synced = sync(settings, options, hooks)
    return after_sync(settings, synced, allow_shrink=allow_shrink, publish_after=publish_after, hooks=hooks)


def after_sync(
    settings: Settings,
    synced: SyncReport,
    *,
    allow_shrink: bool = False,
    publish_after: bool = False,
    hooks: Hooks = SILENT,
) -> RunReport:
    """What follows the harvest in a run (the demo syncs several simulated days, then calls this)."""
    built = build(settings, hooks=hooks)
    gate = check(settings, allow_shrink, hooks)
    require_passed(gate, "; nothing was served, exported or published")
    served = serve(settings, gate, hooks) if warehouse.open(settings).has_served_file else None
    exported = export(settings, gate, hooks=hooks)
    reported = report(settings, hooks=hooks)  # its chart PNGs join the export before it is published
    published = publish(settings, gate, hooks=hooks) if publish_after else None
    return RunReport(synced, built, gate, served, exported, reported, published)
