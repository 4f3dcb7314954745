"""The ``producthuntdb`` command line: every stage, plus status, doctor, the emulator and the demo.

Each command calls its stage in :mod:`pipeline` inside ``session`` (:mod:`cli_session`: settings
loaded and checked once, logging, one masked line and an exit code for every failure: 0 success,
1 failure, 2 bad usage or configuration). No stage logic lives here: parse, call :mod:`pipeline`,
show with :mod:`display`. ``pipeline`` imports the stage modules inside its functions, so
``--help`` stays fast; ``api serve`` is the emulator's own module (:mod:`emulator.cli`).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from loguru import logger
from rich.console import Console

from producthuntdb import __version__, display, pipeline
from producthuntdb.cli_base import App, NoArgsIsHelpError, UsageError, err_line
from producthuntdb.cli_flags import (
    ALLOW_SHRINK_OPT,
    BUDGET_SHARE_OPT,
    FULL_REFRESH_OPT,
    LOOKBACK_OPT,
    MAX_MINUTES_OPT,
    MAX_POINTS_OPT,
    SINCE_OPT,
    WITH_OPT,
    sync_options,
)
from producthuntdb.cli_session import GlobalOptionsAnywhere, Globals, globals_of, session
from producthuntdb.display import print_report, report_dict
from producthuntdb.emulator.cli import api_app
from producthuntdb.emulator.config import Scale
from producthuntdb.errors import ConfigError, ProductHuntDBError
from producthuntdb.logs import new_run_id
from producthuntdb.serialize import jsonable
from producthuntdb.settings import Environment, Settings

__all__ = ["Globals", "app", "main", "print_report", "report_dict", "session"]

HELP = """\
[bold]ProductHuntDB[/bold]: a budget-aware pipeline from the Product Hunt API into DuckDB.

Stages: [cyan]sync[/cyan] (API → raw.*) → [cyan]build[/cyan] (dbt → marts.*) → \
[cyan]check[/cyan] (quality gate) → [cyan]serve[/cyan] (the file readers open) → \
[cyan]export[/cyan] (Parquet/CSV) → [cyan]publish[/cyan] (Kaggle).
The pipeline works in DATA_DIR/work/; readers open the served file, which it replaces atomically.

[bold]Examples[/bold]

  producthuntdb demo                   # the whole pipeline on the emulator
  producthuntdb pull                   # the published dataset, ready to query
  duckdb -readonly data/producthunt.duckdb

With a token (producthunt.com/v2/oauth/applications → Create Token):

  export PRODUCTHUNT_TOKEN=...
  producthuntdb doctor                 # is everything ready?
  producthuntdb run --max-minutes 30   # sync → build → check → serve → export
  producthuntdb status                 # row counts, last runs, backfill

Settings come from flags, PRODUCTHUNT_* variables, .env and .dlt/secrets.toml.
The options below go before or after the command (status --data-dir data/demo).
Exit codes: 0 success, 1 failure, 2 bad usage or configuration.
"""


app = App(
    name="producthuntdb",
    cls=GlobalOptionsAnywhere,
    help=HELP,
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
app.add_typer(api_app, name="api")

DEMO_DIR = Path("data/demo")


def _out() -> Console:
    return display.out()


def _hooks(settings: Settings, quiet: bool = False) -> display.ConsoleHooks:
    return display.ConsoleHooks(settings, quiet=quiet, console=_out())


# ----------------------------------------------------------------------------- global options
def _version(value: bool) -> None:
    if value:
        typer.echo(f"producthuntdb {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    environment: Environment | None = typer.Option(
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
        environment=environment,
        data_dir=data_dir,
        log_json=log_json,
        log_level=log_level,
        run_id=new_run_id(),
    )



@app.command()
def sync(
    ctx: typer.Context,
    since: datetime | None = SINCE_OPT,
    full_refresh: bool = FULL_REFRESH_OPT,
    max_points: int | None = MAX_POINTS_OPT,
    max_minutes: float | None = MAX_MINUTES_OPT,
    with_: frozenset[str] | None = WITH_OPT,
    budget_share: float | None = BUDGET_SHARE_OPT,
    lookback: float | None = LOOKBACK_OPT,
) -> None:
    """Harvest the API into raw.* in DuckDB, within the API budget; resumable.

    [bold]Examples[/bold]

      producthuntdb sync              # new posts, fresh counts of recent ones
      producthuntdb sync --max-minutes 30 --budget-share 0.5
      producthuntdb sync --since 2024-01-01 --with comments,votes
      producthuntdb sync --lookback 3d --max-points 20000

    Against the emulator (producthuntdb api serve):

      PRODUCTHUNT_API_URL=http://127.0.0.1:8000/v2/api/graphql producthuntdb sync

    Needs PRODUCTHUNT_TOKEN. A run stopped by --max-points/--max-minutes resumes where it stopped.
    """
    owned = {"budget_share": budget_share, "lookback_hours": lookback}
    with session(ctx, "sync", token=True, overrides=owned) as settings:
        options = sync_options(
            settings, since=since, full_refresh=full_refresh, max_points=max_points, max_minutes=max_minutes, with_=with_
        )
        pipeline.sync(settings, options, _hooks(settings))


# ----------------------------------------------------------------------------- build / check / serve / export / publish
@app.command()
def build(
    ctx: typer.Context,
    select: str | None = typer.Option(None, "--select", "-s", help="dbt selection, e.g. '+posts' (posts and what it reads)."),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rebuild incremental models from scratch."
    ),
) -> None:
    """Build staging views and marts.* in the working file with dbt (models and their data tests).

    [bold]Examples[/bold]

      producthuntdb build
      producthuntdb build --select +posts --full-refresh
    """
    with session(ctx, "build") as settings:
        pipeline.build(settings, select, full_refresh, _hooks(settings))



@app.command()
def check(ctx: typer.Context, allow_shrink: bool = ALLOW_SHRINK_OPT) -> None:
    """Run the Great Expectations quality gate on the working file's marts; writes Data Docs. Exit 1 if it fails.

    A failed gate leaves the served file as it was: readers keep the last good snapshot.

    [bold]Example[/bold]

      producthuntdb check && producthuntdb serve && producthuntdb export
    """
    with session(ctx, "check") as settings:
        gate = pipeline.check(settings, allow_shrink, _hooks(settings))
        pipeline.require_passed(gate, "; the served file keeps its previous snapshot")


@app.command()
def serve(ctx: typer.Context) -> None:
    """Publish the marts the last check passed to the served file (PRODUCTHUNT_DUCKDB_PATH).

    Writes a new file and renames it into place: readers keep their snapshot and never block it.
    Refuses when the working file changed since that check.

    [bold]Example[/bold]

      producthuntdb check && producthuntdb serve
    """
    with session(ctx, "serve") as settings:
        pipeline.serve(settings, hooks=_hooks(settings))


def check_export_target(target: Path) -> None:
    """A target the export would refuse is bad usage (exit 2), said before anything runs."""
    from producthuntdb.export import check_target
    from producthuntdb.settings import file_in_the_way

    blocker = file_in_the_way(target)
    if blocker is not None and blocker != target:
        raise ConfigError(f"export directory {target} cannot be created: {blocker} is a file, not a directory")
    try:
        check_target(target)
    except ProductHuntDBError as exc:
        raise ConfigError(str(exc)) from None


@app.command()
def export(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", "-o", help="Target directory (default: DATA_DIR/export)."),
) -> None:
    """Export the served marts to Parquet + CSV with a manifest (checksums, row counts, the gate they passed).

    Only the files its manifest lists are replaced or removed; anything else in the directory stays.

    [bold]Examples[/bold]

      producthuntdb export
      producthuntdb export --out /tmp/producthunt-export
    """
    with session(ctx, "export") as settings:
        check_export_target((out or settings.export_path).absolute())
        pipeline.export(settings, out_dir=out, hooks=_hooks(settings))


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
    with session(ctx, "publish", kaggle=True) as settings:
        report = pipeline.publish(settings, export_dir=export_dir, dry_run=dry_run)
        display.print_report("publish" + (" (dry run)" if dry_run else ""), report, console=_out())


@app.command()
def pull(
    ctx: typer.Context,
    source: str | None = typer.Option(
        None, "--from", help="A directory or http(s) URL holding an export (default: the Kaggle dataset)."
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Also seed a new working file, so the next sync continues from the dataset."
    ),
) -> None:
    """Real Product Hunt data in one command: the published dataset as the served file.

    Downloads the Kaggle dataset (PRODUCTHUNT_KAGGLE_DATASET, needs the Kaggle credentials) or
    reads an export from a directory or URL, checks every file against manifest.json, and
    builds DATA_DIR/producthunt.duckdb. With --resume it also seeds the working file (raw rows
    rebuilt from the marts, and the harvest position), so `sync` goes on from the dataset's
    high-water mark instead of from 2013.

    [bold]Examples[/bold]

      producthuntdb pull
      producthuntdb pull --from data/export
      producthuntdb pull --resume && producthuntdb run
    """
    with session(ctx, "pull") as settings:
        report = pipeline.pull(settings, source, resume, _hooks(settings))
        _out().print(f"query it: duckdb -readonly {report.served_path}", highlight=False, soft_wrap=True)
        if report.working_path is not None:
            said = f"resume: `producthuntdb run` continues the harvest from {report.high_water or 'the dataset'}"
        else:  # a run on an empty working file would start from 2013 and serve that instead
            said = "to harvest on from this dataset: `producthuntdb pull --resume` (into no working file yet), then run"
        _out().print(said, highlight=False, soft_wrap=True, markup=False)


@app.command()
def run(
    ctx: typer.Context,
    since: datetime | None = SINCE_OPT,
    full_refresh: bool = FULL_REFRESH_OPT,
    max_points: int | None = MAX_POINTS_OPT,
    max_minutes: float | None = MAX_MINUTES_OPT,
    with_: frozenset[str] | None = WITH_OPT,
    budget_share: float | None = BUDGET_SHARE_OPT,
    lookback: float | None = LOOKBACK_OPT,
    allow_shrink: bool = ALLOW_SHRINK_OPT,
    publish: bool = typer.Option(
        False, "--publish", help="Also publish a Kaggle dataset version (needs the Kaggle credentials)."
    ),
) -> None:
    """sync → build → check → serve → export (→ publish) → report, stopping at the first failure.

    The gate runs once; nothing is served, exported or published past a failed gate.

    [bold]Examples[/bold]

      producthuntdb run
    A scheduled load:

      producthuntdb run --max-minutes 40 --budget-share 0.8 --publish
    """
    owned = {"budget_share": budget_share, "lookback_hours": lookback}
    with session(ctx, "run", token=True, kaggle=publish, overrides=owned) as settings:
        check_export_target(settings.export_path.absolute())
        result = pipeline.run(
            settings,
            sync_options(
                settings, since=since, full_refresh=full_refresh, max_points=max_points, max_minutes=max_minutes,
                with_=with_,
            ),
            allow_shrink=allow_shrink,
            publish_after=publish,
            hooks=_hooks(settings),
        )
        from producthuntdb import warehouse

        database = warehouse.open(settings)
        where = settings.served_path if database.has_served_file else database.describe()
        _out().print(f"[green]done[/green]: {where}, {settings.export_path} and {result.report.html_path}")


# ----------------------------------------------------------------------------- report / docs
@app.command()
def report(
    ctx: typer.Context,
    out: Path | None = typer.Option(None, "--out", "-o", help="HTML file (default: DATA_DIR/report/report.html)."),
) -> None:
    """Write the launch report: one HTML file of charts over the served marts, opens offline.

    Launches per day and weekday, the daily leaderboard, topic trends, launch trajectories,
    makers and hunters, comment activity, and a freshness panel. PNGs of the headline charts
    go into the export (chart_*.png, published with the dataset) when an export exists.

    [bold]Example[/bold]

      producthuntdb report && xdg-open data/report/report.html
    """
    with session(ctx, "report", writable=False) as settings:
        pipeline.report(settings, out, hooks=_hooks(settings))


@app.command()
def docs(ctx: typer.Context) -> None:
    """Write DATA_DIR/docs: dbt docs, the quality gate's Data Docs and the report, all offline.

    [bold]Example[/bold]

      producthuntdb docs && xdg-open data/docs/index.html
    """
    with session(ctx, "docs") as settings:
        pipeline.docs(settings, hooks=_hooks(settings))


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
      producthuntdb status --data-dir data/demo --json | jq .posts
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
def doctor(
    ctx: typer.Context,
    calibrate: bool = typer.Option(
        False, "--calibrate",
        help="Send each query shape once (at most the points it announces first) and store what the API charged.",
    ),
) -> None:
    """Check the token (a viewer query), API reachability and budget, the DuckDB lock, disk, versions.

    Each line is ✓ or ✗ with a fix; exit 1 if any ✗. With --calibrate: what each query the
    harvester sends costs on this API (estimate, charged, foreign spend meanwhile), stored for
    the next sync.

    [bold]Examples[/bold]

      producthuntdb doctor
      producthuntdb doctor --calibrate
      PRODUCTHUNT_API_URL=http://127.0.0.1:8000/v2/api/graphql \\
        producthuntdb doctor
    """
    from producthuntdb import doctor as doctor_mod

    if calibrate:
        _calibrate(ctx)
        return
    # Token problems are reported as ✗ lines (with the fix) rather than exit 2: diagnosing is the point.
    with session(ctx, "doctor", writable=False) as settings:
        checks = doctor_mod.run_doctor(settings)
        doctor_mod.render_checks(checks, _out(), settings.secrets())
        failed = [c for c in checks if not c.ok]
        if failed:
            raise typer.Exit(1)


def _calibrate(ctx: typer.Context) -> None:
    from producthuntdb.calibrate import describe, run_calibration

    out = _out()
    with session(ctx, "doctor", token=True) as settings:

        def announce(shapes: int, points: int) -> None:
            out.print(f"calibrating {shapes} query shapes: at most {points} points", highlight=False)

        result = run_calibration(settings, announce)
        for measured in result.shapes:
            out.print(f"  {describe(measured)}", highlight=False, markup=False, soft_wrap=True)
        if result.stopped:
            out.print(f"stopped early: {result.stopped}", highlight=False, markup=False)
        out.print(
            f"spent {result.spent} of the {result.announced} points announced "
            f"({result.foreign} spent by other tools meanwhile); prices stored in {result.stored_in}",
            highlight=False, markup=False, soft_wrap=True,
        )


# ----------------------------------------------------------------------------- demo / interactive
@app.command()
def demo(
    ctx: typer.Context,
    scale: Scale = typer.Option(
        "tiny", "--scale", help="Emulator world size (tiny: 200 posts over 30 days, with every vote)."
    ),
    data_dir: Path | None = typer.Option(
        None, "--out", help="Demo data directory (default: --data-dir when given, else data/demo)."
    ),
    fresh: bool = typer.Option(True, "--fresh/--keep", help="Start from an empty demo directory (default)."),
    redaction: str = typer.Option(
        "off",
        "--redaction",
        help="off (default): users, makers and voters shown, the API's pre-2023 shape; "
        "on: \\[REDACTED] as the API is today.",
    ),
) -> None:
    """The whole pipeline on the local emulator, no token needed: several simulated days of sync
    (with comments and votes) → build → check → serve → export → report → docs.

    Starts the emulator on a free loopback port, moves its clock between syncs so launch
    trajectories build up, writes data/demo/producthunt.duckdb (the served file), Parquet
    exports, the report and the docs, stops the emulator (even on failure) and prints commands
    to explore the result.

    [bold]Examples[/bold]

      producthuntdb demo
    Users redacted, as the API is today:

      producthuntdb demo --redaction on --out /tmp/ph-demo
    """
    from producthuntdb import demo as demo_mod

    if redaction not in ("on", "off"):
        raise typer.BadParameter(f"must be on or off, not {redaction!r}", param_hint="--redaction")
    out = data_dir or globals_of(ctx).data_dir or DEMO_DIR
    with session(ctx, "demo", overrides={"data_dir": out}) as base:
        demo_mod.run_demo(base, scale=scale, fresh=fresh, console=_out(), redaction=redaction == "on")


@app.command()
def interactive(ctx: typer.Context) -> None:
    """A guided menu over the same stages (sync, build, check, export, status, doctor).

    [bold]Example[/bold]

      producthuntdb interactive
    """
    from producthuntdb import interactive as interactive_mod

    with session(ctx, "menu", writable=False) as settings:
        interactive_mod.run_menu(settings, globals_of(ctx), console=_out())


def main(argv: list[str] | None = None, *, only: str | None = None, prog_name: str = "producthuntdb") -> int:
    """Console-script entry: run the app, and make sure even an escaped error is one line.

    ``only`` runs one command as if it were the whole program (``pipelines/producthunt.py`` is
    ``sync``), so its help and errors name ``prog_name`` rather than ``producthuntdb sync``.
    """
    logger.remove()  # nothing logs to the console before setup_logging has masked it
    try:
        command: Any = typer.main.get_command(app)
        if only is not None:
            command = command.commands[only]
        # Not standalone: click hands back typer.Exit codes as the return value and lets usage
        # errors through, so they become one line here instead of a framed panel.
        result = command.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except NoArgsIsHelpError as exc:
        # A bare `producthuntdb` or `producthuntdb api` shows the help it asks for.
        print(exc.ctx.get_help() if exc.ctx else exc.format_message())
        return 0
    except UsageError as exc:
        # Bad flags are bad input like any other: one line, exit 2, and where to look.
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        err_line(f"error: {exc.format_message()}{where}")
        return 2
    except typer.Abort:
        err_line("aborted")
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ProductHuntDBError as exc:
        err_line(f"error: {exc}")
        return exc.exit_code
    except Exception as exc:  # pragma: no cover - session() catches these; this is the last net
        err_line(f"error: unexpected {type(exc).__name__}: {exc}")
        return 1
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
