"""The ``producthuntdb`` command line: every stage, plus status, doctor, the emulator and the demo.

Each command loads ``Settings`` once (flags > ``PRODUCTHUNT_*`` env > ``.env`` >
``.dlt/secrets.toml`` > profile defaults), validates what *that* command needs, sets up
logging and tracing, and runs its stage inside ``_session``, which turns every failure into
one masked line on stderr and an exit code: 0 success, 1 failure, 2 bad usage or configuration.
Stage modules are imported inside the commands so that ``--help`` stays fast and one
broken stage never takes the others down.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from loguru import logger
from rich.console import Console
from rich.markup import escape
from rich.table import Table

# typer >= 0.29 vendors click: its usage errors are click's classes under typer._click, and
# its Exit/Abort are typer.Exit/typer.Abort.
from typer._click import exceptions as click_exceptions

from producthuntdb import __version__
from producthuntdb.errors import ConfigError, ProductHuntDBError
from producthuntdb.logs import new_run_id
from producthuntdb.serialize import jsonable
from producthuntdb.settings import Settings, load_settings, mask_secrets

if TYPE_CHECKING:
    from producthuntdb.export import ExportReport
    from producthuntdb.quality.gate import GateReport
    from producthuntdb.sync import SyncOptions, SyncReport
    from producthuntdb.transform import BuildReport

R = TypeVar("R")  # what a stage returns, handed back by _run_shown

HELP = """\
[bold]ProductHuntDB[/bold]: a budget-aware pipeline from the Product Hunt API into DuckDB.

Stages: [cyan]sync[/cyan] (API → raw.*) → [cyan]build[/cyan] (dbt → marts.*) → \
[cyan]check[/cyan] (quality gate) → [cyan]export[/cyan] (Parquet/CSV) → [cyan]publish[/cyan] (Kaggle).

[bold]Examples[/bold]

  producthuntdb demo                         # the whole pipeline on the emulator
  export PRODUCTHUNT_TOKEN=...               # producthunt.com/v2/oauth/applications
  producthuntdb doctor                       # is everything ready?
  producthuntdb run --max-minutes 30         # sync → build → check → export
  producthuntdb status                       # row counts, last runs, backfill
  duckdb -readonly data/producthunt.duckdb   # query it

Settings come from flags, PRODUCTHUNT_* variables, .env and .dlt/secrets.toml.
Exit codes: 0 success, 1 failure, 2 bad usage or configuration.
"""

app = typer.Typer(
    name="producthuntdb",
    help=HELP,
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
api_app = typer.Typer(
    help="The local Product Hunt API emulator (same schema, budget, pagination and redaction).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(api_app, name="api")

PASS_THROUGH: tuple[type[BaseException], ...] = (typer.Exit, typer.Abort, click_exceptions.ClickException)
"""Exceptions typer/click turn into usage messages and exit codes themselves."""
FAULT_CHOICES = "500,502,503,timeout,slow,malformed,graphql_error,reset"


class Profile(StrEnum):
    development = "development"
    production = "production"
    testing = "testing"


class Scale(StrEnum):
    tiny = "tiny"
    small = "small"
    medium = "medium"
    large = "large"


@dataclass
class Globals:
    """Options given before the command name; they apply to every command."""

    environment: str | None = None
    data_dir: Path | None = None
    log_json: bool | None = None
    log_level: str | None = None
    run_id: str | None = None
    """One id per invocation: every log line and the sync's own records can be joined on it."""
    extra: dict[str, Any] = field(default_factory=dict)

    def overrides(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "data_dir": self.data_dir,
            "log_json": self.log_json,
            "log_level": self.log_level,
            **self.extra,
        }


def _out() -> Console:
    """stdout for results; wide when piped so tables are not cut at 80 columns."""
    return Console(width=None if sys.stdout.isatty() else 140, soft_wrap=False)


def _err_line(text: str, secrets: list[str] | None = None) -> None:
    """One plain line on stderr (never wrapped by rich), secrets masked."""
    one_line = " ".join(text.split())
    sys.stderr.write(mask_secrets(one_line, secrets or []) + "\n")
    sys.stderr.flush()


def _globals(ctx: typer.Context) -> Globals:
    root = ctx.find_root()
    if not isinstance(root.obj, Globals):
        root.obj = Globals()
    return root.obj


FLAG_OF_SETTING = {"budget_share": "--budget-share", "lookback_hours": "--lookback", "log_level": "--log-level"}
"""Settings a flag can set: a bad value is reported under the flag the operator typed."""


def make_settings(ctx: typer.Context | None, **overrides: Any) -> Settings:
    """Settings from the global flags plus this command's; ConfigError on any invalid value."""
    base = _globals(ctx).overrides() if ctx is not None else {}
    base.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return load_settings(**base)
    except ConfigError as exc:
        raise ConfigError([_under_flag(problem, base) for problem in exc.problems]) from None


def _under_flag(problem: str, given: dict[str, Any]) -> str:
    """``PRODUCTHUNT_X=v: why`` → ``--x=v: why (setting PRODUCTHUNT_X)`` when the value came from ``--x``."""
    for name, flag in FLAG_OF_SETTING.items():
        env = f"PRODUCTHUNT_{name.upper()}"
        if given.get(name) is not None and problem.startswith((env + "=", env + ":")):
            return f"{flag}{problem[len(env):]} (setting {env})"
    return problem


@contextmanager
def session(
    ctx: typer.Context | None,
    stage: str,
    *,
    token: bool = False,
    kaggle: bool = False,
    writable: bool = True,
    overrides: dict[str, Any] | None = None,
) -> Iterator[Settings]:
    """Settings validated for ``stage``, logging and tracing set up, every error turned into an exit code.

    ProductHuntDBError → ``error: <message>`` (one line per configuration problem), exit 1 or 2.
    Anything unexpected → one line pointing at the JSON log, which holds the masked traceback.
    """
    from producthuntdb import logs, tracing

    secrets: list[str] = []
    try:
        settings = make_settings(ctx, **(overrides or {}))
        secrets = settings.secrets()
        settings.validate_for(token=token, kaggle=kaggle, writable=writable)
        run_id = _globals(ctx).run_id if ctx is not None else None
        logs.setup_logging(settings, run_id or logs.new_run_id(), stage)
        tracing.configure_tracing(settings.otlp_endpoint)
        with logger.contextualize(stage=stage), tracing.span(f"command.{stage}", command=stage):
            logger.debug("command {} starting", stage, version=__version__)
            yield settings
    except PASS_THROUGH:
        raise
    except ConfigError as exc:
        for problem in exc.problems:
            _err_line(f"error: {problem}", secrets)
        raise typer.Exit(exc.exit_code) from None
    except ProductHuntDBError as exc:
        logger.bind(file_only=True).error("{} failed: {}", stage, str(exc), error=type(exc).__name__)
        _err_line(f"error: {exc}", secrets)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        logger.bind(file_only=True).warning("{} interrupted", stage)
        _err_line("error: interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:
        logger.bind(file_only=True).opt(exception=True).error("{} crashed: {!r}", stage, exc)
        where = logs.current_log_file()
        hint = f" (traceback in {where})" if where else ""
        _err_line(f"error: unexpected {type(exc).__name__}: {exc}{hint}", secrets)
        raise typer.Exit(1) from None


@contextmanager
def spinner(settings: Settings, text: str) -> Iterator[None]:
    """A spinner on stderr while a long stage without its own progress bar runs (TTY and profile only)."""
    if settings.progress and sys.stderr.isatty():
        with Console(stderr=True).status(text):
            yield
    else:
        yield


def _missing_stage(module: str, exc: ImportError) -> ProductHuntDBError:
    return ProductHuntDBError(f"stage module producthuntdb.{module} is not available ({exc})")


def report_dict(report: Any) -> dict[str, Any]:
    """Any stage report as a plain dict: ``as_dict()``, a dataclass, a mapping or its attributes."""
    if report is None:
        return {}
    if hasattr(report, "as_dict"):
        return dict(report.as_dict())
    if is_dataclass(report) and not isinstance(report, type):
        return asdict(report)
    if isinstance(report, dict):
        return dict(report)
    return {k: v for k, v in vars(report).items() if not k.startswith("_")}


def print_report(title: str, report: Any, *, as_json: bool = False) -> dict[str, Any]:
    """A report as a two-column table (or JSON), long values shortened."""
    data = jsonable(report_dict(report))
    if as_json:
        _out().print_json(json.dumps(data))
        return data
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("key", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        limit = 2000 if isinstance(value, dict) else 200  # row counts per table are worth every line
        table.add_row(key, escape(text if len(text) <= limit else text[: limit - 3] + "..."))
    _out().print(table)
    return data


SUMMARY_KEYS = (
    "status",
    "stop_reason",
    "pages",
    "points",
    "points_per_post",
    "models_passed",
    "tests_passed",
    "files",
    "out_dir",
    "elapsed_seconds",
)


def _show(stage: str, report: Any, quiet: bool) -> None:
    """The full report table, or (quiet: demo, menu) one line with the numbers that matter."""
    if not quiet:
        print_report(stage, report)
        return
    data = report_dict(report)
    parts = [f"{k}={data[k]}" for k in SUMMARY_KEYS if data.get(k) not in (None, "", [], {})]
    _out().print(f"[bold cyan]{stage}[/bold cyan] " + " ".join(parts), highlight=False, soft_wrap=True)


def _run_shown(settings: Settings, stage: str, text: str, run: Callable[[], R], quiet: bool) -> R:
    """Run one stage under its log context and a spinner showing ``text``, then show its report."""
    from producthuntdb import logs

    with logs.stage_context(stage), spinner(settings, text):
        report = run()
        logger.debug("{} finished", stage)
    _show(stage, report, quiet)
    return report


# ----------------------------------------------------------------------------- global options
def _version(value: bool) -> None:
    if value:
        typer.echo(f"producthuntdb {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    environment: Profile | None = typer.Option(
        None, "--env", "--environment", help="Profile: development, production (JSON logs) or testing."
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where the DB, dlt state, logs and exports live (default: data)."
    ),
    log_json: bool | None = typer.Option(
        None, "--log-json/--log-text", help="Console logs as JSON lines (for CI) or readable text."
    ),
    log_level: str | None = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = Globals(
        environment=environment.value if environment else None,
        data_dir=data_dir,
        log_json=log_json,
        log_level=log_level,
        run_id=new_run_id(),
    )


# ----------------------------------------------------------------------------- sync
def _parse_with(value: str | None) -> frozenset[str]:
    from producthuntdb.sync import WITH_CHOICES

    if not value:
        return frozenset()
    items = frozenset(part.strip().lower() for part in value.split(",") if part.strip())
    unknown = sorted(items - WITH_CHOICES)
    if unknown:
        raise typer.BadParameter(
            f"unknown {', '.join(unknown)}; choose from comments,votes", param_hint="--with"
        )
    return items


def _parse_lookback(value: str | None) -> float | None:
    """``--lookback`` in hours, its mistakes as usage errors (exit 2)."""
    if value is None:
        return None
    from producthuntdb.sync import parse_lookback

    try:
        return parse_lookback(value)
    except ProductHuntDBError as exc:
        raise typer.BadParameter(str(exc), param_hint="--lookback") from None


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2024-01-31", param_hint="--since") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if parsed > datetime.now(UTC):
        raise typer.BadParameter(f"{value!r} is in the future: nothing could be harvested", param_hint="--since")
    return parsed


@dataclass
class SyncFlags:
    since: str | None = None
    full_refresh: bool = False
    max_points: int | None = None
    max_minutes: float | None = None
    with_: str | None = None
    budget_share: float | None = None
    lookback: str | None = None


def _sync_options(settings: Settings, flags: SyncFlags) -> SyncOptions:
    from producthuntdb.sync import SyncOptions  # do_sync has already said if the stage is missing

    return SyncOptions(
        since=_parse_since(flags.since),
        full_refresh=flags.full_refresh,
        max_points=flags.max_points,
        max_minutes=flags.max_minutes,
        with_=_parse_with(flags.with_),
        budget_share=settings.budget_share,
        lookback_hours=settings.lookback_hours,
        progress=bool(settings.progress) and sys.stderr.isatty(),
    )


def do_sync(settings: Settings, flags: SyncFlags, *, quiet: bool = False) -> SyncReport:
    """Run the sync stage and print its report; failed runs raise (exit 1), stopped runs are fine."""
    from producthuntdb import logs

    try:
        from producthuntdb.sync import run_sync
    except ImportError as exc:
        raise _missing_stage("sync", exc) from None
    options = _sync_options(settings, flags)
    with logs.stage_context("sync") as sp:
        report = run_sync(settings, options)
        data = report_dict(report)
        if sp is not None:
            for key in ("points", "pages", "status"):
                if isinstance(data.get(key), int | float | str):
                    sp.set_attribute(f"sync.{key}", data[key])
        logger.debug("sync finished", **{k: v for k, v in data.items() if isinstance(v, int | float | str)})
    _show("sync", report, quiet)
    if str(data.get("status", "ok")) == "failed":
        raise ProductHuntDBError(f"sync failed: {data.get('stop_reason') or 'see the log'}")
    return report


def _sync_overrides(flags: SyncFlags) -> dict[str, Any]:
    # Numbers that Settings owns are validated there (range errors exit 2 with the setting's name).
    return {"budget_share": flags.budget_share, "lookback_hours": _parse_lookback(flags.lookback)}


def _check_sync_flags(flags: SyncFlags) -> None:
    _parse_with(flags.with_)
    _parse_since(flags.since)
    if flags.max_points is not None and flags.max_points <= 0:
        raise typer.BadParameter("must be a positive number of points", param_hint="--max-points")
    if flags.max_minutes is not None and flags.max_minutes <= 0:
        raise typer.BadParameter("must be a positive number of minutes", param_hint="--max-minutes")


SINCE_OPT = typer.Option(None, "--since", help="Harvest posts from this date (YYYY-MM-DD) onwards.")
FULL_REFRESH_OPT = typer.Option(False, "--full-refresh", help="Forget the saved cursor and start again.")
MAX_POINTS_OPT = typer.Option(None, "--max-points", help="Stop after spending this many API points.")
MAX_MINUTES_OPT = typer.Option(None, "--max-minutes", help="Stop after this many minutes (resumes next run).")
WITH_OPT = typer.Option(None, "--with", help="Also harvest: comments, votes (comma separated).")
BUDGET_SHARE_OPT = typer.Option(
    None, "--budget-share", help="Share (0-1] of the 6,250 points / 15 min this run may use."
)
LOOKBACK_OPT = typer.Option(
    None, "--lookback", help="Re-read vote/comment counts of posts younger than this (72h, 3d)."
)


@app.command()
def sync(
    ctx: typer.Context,
    since: str | None = SINCE_OPT,
    full_refresh: bool = FULL_REFRESH_OPT,
    max_points: int | None = MAX_POINTS_OPT,
    max_minutes: float | None = MAX_MINUTES_OPT,
    with_: str | None = WITH_OPT,
    budget_share: float | None = BUDGET_SHARE_OPT,
    lookback: str | None = LOOKBACK_OPT,
) -> None:
    """Harvest the API into raw.* in DuckDB, within the API budget; resumable.

    [bold]Examples[/bold]

      producthuntdb sync                       # new posts + fresh counts of recent ones
      producthuntdb sync --max-minutes 30 --budget-share 0.5
      producthuntdb sync --since 2024-01-01 --with comments,votes
      producthuntdb sync --lookback 3d --max-points 20000

    Against the emulator (producthuntdb api serve):

      PRODUCTHUNT_API_URL=http://127.0.0.1:8000/v2/api/graphql producthuntdb sync

    Needs PRODUCTHUNT_TOKEN. A run stopped by --max-points/--max-minutes resumes where it stopped.
    """
    flags = SyncFlags(since, full_refresh, max_points, max_minutes, with_, budget_share, lookback)
    _check_sync_flags(flags)
    with session(ctx, "sync", token=True, overrides=_sync_overrides(flags)) as settings:
        do_sync(settings, flags)


# ----------------------------------------------------------------------------- build / check / export / publish
def do_build(
    settings: Settings, select: str | None = None, full_refresh: bool = False, *, quiet: bool = False
) -> BuildReport:
    try:
        from producthuntdb.transform import run_build
    except ImportError as exc:
        raise _missing_stage("transform", exc) from None
    return _run_shown(
        settings,
        "build",
        "dbt build: models and tests…",
        lambda: run_build(settings, select=select, full_refresh=full_refresh),
        quiet,
    )


@app.command()
def build(
    ctx: typer.Context,
    select: str | None = typer.Option(None, "--select", "-s", help="dbt selection, e.g. '+posts' (posts and what it reads)."),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rebuild incremental models from scratch."
    ),
) -> None:
    """Build staging views and marts.* with dbt (models and their data tests).

    [bold]Examples[/bold]

      producthuntdb build
      producthuntdb build --select +posts --full-refresh
    """
    with session(ctx, "build") as settings:
        do_build(settings, select, full_refresh)


def do_check(settings: Settings, allow_shrink: bool = False, *, before_export: bool = False) -> GateReport:
    from producthuntdb import logs

    try:
        from producthuntdb.quality import run_gate
    except ImportError as exc:
        raise _missing_stage("quality", exc) from None
    with logs.stage_context("check"), spinner(settings, "quality gate: Great Expectations suites…"):
        report = run_gate(settings, allow_shrink=allow_shrink)
        passed = report.passed
        logger.debug("gate {}", "passed" if passed else "failed", passed=passed)
    failures = report.failures
    if failures:
        table = Table(title="quality gate failures", title_justify="left")
        for column in ("suite", "column", "expectation", "observed", "expected"):
            table.add_column(column)
        for failure in failures:
            row = asdict(failure)
            table.add_row(
                # data and regexes ("[a-z]") must print as written, not as rich markup
                *(escape(str(row.get(c, ""))) for c in ("suite", "column", "expectation", "observed", "expected"))
            )
        _out().print(table)
    docs = report.docs_path
    _out().print(
        f"gate: {'[green]passed[/green]' if passed else '[red]failed[/red]'}"
        + (f" — Data Docs: {docs}" if docs else "")
    )
    if not passed:
        after = "; nothing was exported" if before_export else ""
        raise ProductHuntDBError(f"quality gate failed ({len(failures)} expectation(s)){after}")
    return report


@app.command()
def check(
    ctx: typer.Context,
    allow_shrink: bool = typer.Option(
        False, "--allow-shrink", help="Accept fewer rows than the last export (after a deliberate cleanup)."
    ),
) -> None:
    """Run the Great Expectations quality gate on marts.*; writes Data Docs. Exit 1 if it fails.

    [bold]Example[/bold]

      producthuntdb check && producthuntdb export
    """
    with session(ctx, "check") as settings:
        do_check(settings, allow_shrink)


def do_export(
    settings: Settings, out: Path | None = None, allow_shrink: bool = False, *, quiet: bool = False
) -> ExportReport:
    try:
        from producthuntdb.export import run_export
    except ImportError as exc:
        raise _missing_stage("export", exc) from None
    check_export_target((out or settings.export_path).absolute())
    return _run_shown(
        settings,
        "export",
        "export: Parquet, CSV, manifest…",
        lambda: run_export(settings, out_dir=out, allow_shrink=allow_shrink),
        quiet,
    )


def check_export_target(target: Path) -> None:
    """A target the export would refuse is bad usage (exit 2), said before the gate runs."""
    from producthuntdb.export import _check_target
    from producthuntdb.settings import file_in_the_way

    blocker = file_in_the_way(target)
    if blocker is not None and blocker != target:
        raise ConfigError(f"export directory {target} cannot be created: {blocker} is a file, not a directory")
    try:
        _check_target(target)
    except ProductHuntDBError as exc:
        raise ConfigError(str(exc)) from None


@app.command()
def export(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", "-o", help="Target directory (default: DATA_DIR/export)."),
    allow_shrink: bool = typer.Option(
        False, "--allow-shrink", help="Accept fewer rows than the last export."
    ),
) -> None:
    """Export marts.* to Parquet + CSV with a manifest (checksums, row counts).

    [bold]Examples[/bold]

      producthuntdb export
      producthuntdb export --out /tmp/producthunt-export
    """
    with session(ctx, "export") as settings:
        do_export(settings, out, allow_shrink)


@app.command()
def publish(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Prepare and validate the upload, send nothing."),
    export_dir: Path | None = typer.Option(
        None, "--export-dir", help="The export to publish (default: DATA_DIR/export)."
    ),
) -> None:
    """Publish the export as a new Kaggle dataset version.

    Needs PRODUCTHUNT_KAGGLE_USERNAME and PRODUCTHUNT_KAGGLE_KEY (also with --dry-run, so a
    dry run proves the credentials are in place).

    [bold]Examples[/bold]

      producthuntdb publish --dry-run
      producthuntdb publish --export-dir data/export
    """
    from producthuntdb import logs

    with session(ctx, "publish", kaggle=True) as settings:
        try:
            from producthuntdb.publish import run_publish
        except ImportError as exc:
            raise _missing_stage("publish", exc) from None
        with logs.stage_context("publish"):
            report = run_publish(settings, export_dir=export_dir, dry_run=dry_run)
        print_report("publish" + (" (dry run)" if dry_run else ""), report)


@app.command()
def run(
    ctx: typer.Context,
    since: str | None = SINCE_OPT,
    full_refresh: bool = FULL_REFRESH_OPT,
    max_points: int | None = MAX_POINTS_OPT,
    max_minutes: float | None = MAX_MINUTES_OPT,
    with_: str | None = WITH_OPT,
    budget_share: float | None = BUDGET_SHARE_OPT,
    lookback: str | None = LOOKBACK_OPT,
    allow_shrink: bool = typer.Option(
        False, "--allow-shrink", help="Accept fewer rows than the last export."
    ),
) -> None:
    """sync → build → check → export, stopping at the first failure (nothing is exported past a failed gate).

    [bold]Examples[/bold]

      producthuntdb run
      producthuntdb run --max-minutes 40 --budget-share 0.8    # a scheduled load
    """
    flags = SyncFlags(since, full_refresh, max_points, max_minutes, with_, budget_share, lookback)
    _check_sync_flags(flags)
    with session(ctx, "run", token=True, overrides=_sync_overrides(flags)) as settings:
        do_sync(settings, flags)
        do_build(settings)
        do_check(settings, allow_shrink, before_export=True)
        do_export(settings, allow_shrink=allow_shrink)
        from producthuntdb.destination import describe

        _out().print(f"[green]done[/green]: {describe(settings)} and {settings.export_path}")


# ----------------------------------------------------------------------------- status / doctor
@app.command()
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    offline: bool = typer.Option(
        False, "--offline", help="Do not ask the API how many posts (and points) the backfill still needs."
    ),
) -> None:
    """Tables and row counts, last sync runs, backfill position, budget used, DB size.

    Opens DuckDB read-only; if another process holds the write lock, says which.

    [bold]Examples[/bold]

      producthuntdb status
      producthuntdb status --offline
      PRODUCTHUNT_DUCKDB_PATH=data/demo/producthunt.duckdb producthuntdb status --json | jq .posts
    """
    from producthuntdb import status as status_mod

    with session(ctx, "status", writable=False) as settings:
        info = status_mod.collect_status(settings, estimate=not offline)
        if as_json:
            sys.stdout.write(json.dumps(jsonable(info), indent=2) + "\n")
        else:
            status_mod.render_status(info, _out())
        if info.get("locked_by") or info.get("error"):
            raise typer.Exit(1)  # the facts could not be read: a script must not take this as "empty"


@app.command()
def doctor(ctx: typer.Context) -> None:
    """Check the token (a viewer query), API reachability and budget, the DuckDB lock, disk, versions.

    Each line is ✓ or ✗ with a fix; exit 1 if any ✗.

    [bold]Examples[/bold]

      producthuntdb doctor
      PRODUCTHUNT_API_URL=http://127.0.0.1:8000/v2/api/graphql producthuntdb doctor
    """
    from producthuntdb import doctor as doctor_mod

    # Token problems are reported as ✗ lines (with the fix) rather than exit 2: diagnosing is the point.
    with session(ctx, "doctor", writable=False) as settings:
        checks = doctor_mod.run_doctor(settings)
        doctor_mod.render_checks(checks, _out(), settings.secrets())
        failed = [c for c in checks if not c.ok]
        if failed:
            raise typer.Exit(1)


# ----------------------------------------------------------------------------- api serve
@api_app.command("serve")
def api_serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind."),
    port: int = typer.Option(8000, "--port", help="TCP port (0 = any free port)."),
    seed: int = typer.Option(42, "--seed", help="World seed: same seed, same world."),
    scale: Scale = typer.Option(Scale.small, "--scale", help="World size."),
    token: str | None = typer.Option(
        None, "--token", help="Accept only this bearer token (default: any token)."
    ),
    budget: int = typer.Option(6250, "--budget", help="Complexity points per window."),
    window_seconds: float = typer.Option(900, "--window-seconds", help="Rate-limit window length."),
    now: str | None = typer.Option(
        None, "--now", help="The world's clock start, ISO 8601 (default: 2026-10-01T12:00:00Z)."
    ),
    fault_rate: float = typer.Option(0.0, "--fault-rate", help="Share (0-1) of requests that fail."),
    faults: str | None = typer.Option(None, "--faults", help=f"Which faults to inject: {FAULT_CHOICES}."),
    latency_ms: int = typer.Option(0, "--latency-ms", help="Added latency per request."),
    redaction: str = typer.Option(
        "on", "--redaction", help="on: users are \\[REDACTED] like the real API; off."
    ),
) -> None:
    """Serve the emulated Product Hunt API on a local port until Ctrl-C.

    [bold]Examples[/bold]

      producthuntdb api serve --port 8000 --scale small
      producthuntdb api serve --budget 500 --window-seconds 60 --faults 502,timeout --fault-rate 0.1

    Then, in another shell:

      PRODUCTHUNT_API_URL=http://127.0.0.1:8000/v2/api/graphql PRODUCTHUNT_TOKEN=any-token-of-20-chars producthuntdb sync
    """
    try:
        config = emulator_config(
            host=host,
            port=port,
            seed=seed,
            scale=scale.value,
            token=token,
            budget=budget,
            window_seconds=window_seconds,
            now=now,
            fault_rate=fault_rate,
            faults=faults,
            latency_ms=latency_ms,
            redaction=redaction,
        )
        from producthuntdb.emulator import serve

        serve(config)
    except ConfigError as exc:
        for problem in exc.problems:
            _err_line(f"error: {problem}")
        raise typer.Exit(2) from None
    except ProductHuntDBError as exc:
        _err_line(f"error: {exc}")
        raise typer.Exit(1) from None
    except ImportError as exc:
        _err_line(f"error: the emulator is not available ({exc})")
        raise typer.Exit(1) from None
    except OSError as exc:
        _err_line(f"error: cannot listen on {host}:{port} ({exc.strerror or exc})")
        raise typer.Exit(1) from None


def emulator_config(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 42,
    scale: str = "small",
    token: str | None = None,
    budget: int = 6250,
    window_seconds: float = 900,
    now: str | None = None,
    fault_rate: float = 0.0,
    faults: str | None = None,
    latency_ms: int = 0,
    redaction: str = "on",
) -> Any:
    """An EmulatorConfig from CLI-shaped values; the config validates itself (ConfigError → exit 2)."""
    try:
        from producthuntdb.emulator.config import EmulatorConfig, parse_faults, parse_now
    except ImportError as exc:
        raise ProductHuntDBError(f"the emulator is not available ({exc})") from None
    if redaction not in ("on", "off"):
        raise ConfigError(f"--redaction must be on or off, not {redaction!r}")
    kwargs: dict[str, Any] = {
        "seed": seed,
        "scale": scale,
        "token": token,
        "budget": budget,
        "window_seconds": window_seconds,
        "fault_rate": fault_rate,
        "faults": parse_faults(faults),
        "latency_ms": latency_ms,
        "redaction": redaction == "on",
        "host": host,
        "port": port,
    }
    if now is not None:
        kwargs["now"] = parse_now(now)
    return EmulatorConfig(**kwargs)


# ----------------------------------------------------------------------------- demo / interactive
@app.command()
def demo(
    ctx: typer.Context,
    scale: Scale = typer.Option(Scale.small, "--scale", help="Emulator world size."),
    data_dir: Path = typer.Option(Path("data/demo"), "--out", help="Demo data directory."),
    fresh: bool = typer.Option(True, "--fresh/--keep", help="Start from an empty demo directory (default)."),
) -> None:
    """The whole pipeline on the local emulator, no token needed: sync → build → check → export.

    Starts the emulator on a free loopback port, writes data/demo/producthunt.duckdb, Parquet
    exports and Data Docs, stops the emulator (even on failure) and prints a summary.

    [bold]Examples[/bold]

      producthuntdb demo
      producthuntdb demo --scale tiny --out /tmp/ph-demo
    """
    from producthuntdb import demo as demo_mod

    with session(ctx, "demo", overrides={"data_dir": data_dir}) as base:
        demo_mod.run_demo(base, scale=scale.value, fresh=fresh, console=_out())


@app.command()
def interactive(ctx: typer.Context) -> None:
    """A guided menu over the same stages (sync, build, check, export, status, doctor).

    [bold]Example[/bold]

      producthuntdb interactive
    """
    from producthuntdb import interactive as interactive_mod

    with session(ctx, "menu", writable=False) as settings:
        interactive_mod.run_menu(settings, _globals(ctx), console=_out())


def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run the app, and make sure even an escaped error is one line."""
    logger.remove()  # nothing logs to the console before setup_logging has masked it
    try:
        command = typer.main.get_command(app)
        # Not standalone: click hands back typer.Exit codes as the return value and lets usage
        # errors through, so they become one line here instead of a framed panel.
        result = command.main(args=argv, prog_name="producthuntdb", standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError as exc:
        # A bare `producthuntdb` or `producthuntdb api` shows the help it asks for.
        print(exc.ctx.get_help() if exc.ctx else exc.format_message())
        return 0
    except click_exceptions.UsageError as exc:
        # Bad flags are bad input like any other: one line, exit 2, and where to look.
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        _err_line(f"error: {exc.format_message()}{where}")
        return 2
    except typer.Abort:
        _err_line("aborted")
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ProductHuntDBError as exc:
        _err_line(f"error: {exc}")
        return exc.exit_code
    except Exception as exc:  # pragma: no cover - session() catches these; this is the last net
        _err_line(f"error: unexpected {type(exc).__name__}: {exc}")
        return 1
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
