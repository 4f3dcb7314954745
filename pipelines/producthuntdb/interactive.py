"""``producthuntdb interactive``: a guided menu over the same stages the commands run.

For someone who does not yet know the command names: it shows what each stage does, asks
only what that stage needs (a token for sync, a time bound), runs the very same functions as
the CLI commands, and comes back to the menu after a failure instead of exiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loguru import logger
from pydantic import SecretStr
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, FloatPrompt, Prompt
from rich.table import Table

from producthuntdb import display, pipeline
from producthuntdb.errors import ConfigError, ProductHuntDBError
from producthuntdb.settings import Settings, mask_secrets

if TYPE_CHECKING:
    from producthuntdb.syncmodel import SyncOptions

MENU: tuple[tuple[str, str, str], ...] = (
    ("1", "status", "what is in the database, last runs, backfill position"),
    ("2", "doctor", "check token, API, budget, DuckDB lock, disk, versions"),
    ("3", "sync", "harvest the API into raw.* (within the budget; resumable)"),
    ("4", "build", "dbt: staging views and marts.*"),
    ("5", "check", "quality gate (Great Expectations) and Data Docs"),
    ("6", "export", "serve the gated marts, then Parquet + CSV + manifest"),
    ("7", "run", "sync → build → check → serve → export"),
    ("q", "quit", ""),
)


def _menu_table() -> Table:
    table = Table(title="ProductHuntDB", title_justify="left", show_header=False)
    table.add_column("key", style="bold cyan")
    table.add_column("stage", style="bold")
    table.add_column("what it does")
    for key, name, what in MENU:
        table.add_row(key, name, what)
    return table


def _menu_line() -> str:
    """The short reminder shown after each stage (the full table is shown once, at the start)."""
    return "  ".join(f"[bold cyan]{key}[/bold cyan] {name}" for key, name, _ in MENU)


def _with_token(settings: Settings, console: Console) -> Settings:
    """Ask for a token when the configured one is missing or malformed (input hidden, never echoed)."""
    problems = settings.token_problems()
    while problems:
        console.print(f"[yellow]{escape(problems[0])}[/yellow]")
        value = Prompt.ask("Product Hunt token (hidden; empty to cancel)", password=True, console=console)
        if not value.strip():
            raise ConfigError("no token given; sync needs one")
        settings = settings.model_copy(update={"token": SecretStr(value.strip())})
        problems = settings.token_problems()
    from producthuntdb import logs

    # New secret: the log sinks must mask it from now on.
    logs.setup_logging(settings, logs.current_run_id(), "menu")
    return settings


def _sync_options(settings: Settings, console: Console) -> SyncOptions:
    minutes = FloatPrompt.ask("Stop after how many minutes?", default=10.0, console=console)
    extras = []
    if Confirm.ask("Also harvest comments?", default=False, console=console):
        extras.append("comments")
    if Confirm.ask("Also harvest votes?", default=False, console=console):
        extras.append("votes")
    return pipeline.sync_options(settings, max_minutes=minutes if minutes > 0 else None, with_=frozenset(extras))


def run_menu(settings: Settings, globals_: Any, console: Console, *, max_rounds: int = 1000) -> Settings:
    """Loop: show the menu, run the chosen stage, report, repeat until ``q`` (or end of input)."""
    from producthuntdb import doctor, status

    def hooks(s: Settings) -> display.ConsoleHooks:
        return display.ConsoleHooks(s, console=console)

    def do_status(s: Settings) -> Settings:
        status.render_status(status.collect_status(s), console)
        return s

    def do_doctor(s: Settings) -> Settings:
        checks = doctor.run_doctor(s)
        doctor.render_checks(checks, console, s.secrets())
        return s

    def do_sync(s: Settings) -> Settings:
        s = _with_token(s, console)
        pipeline.sync(s, _sync_options(s, console), hooks(s))
        return s

    def do_build(s: Settings) -> Settings:
        full_refresh = Confirm.ask("Full refresh?", default=False, console=console)
        pipeline.build(s, full_refresh=full_refresh, hooks=hooks(s))
        return s

    def do_check(s: Settings) -> Settings:
        pipeline.require_passed(pipeline.check(s, hooks=hooks(s)), "; the served file keeps its previous snapshot")
        return s

    def do_export(s: Settings) -> Settings:
        pipeline.serve(s, hooks=hooks(s))
        pipeline.export(s, hooks=hooks(s))
        return s

    def do_run(s: Settings) -> Settings:
        s = _with_token(s, console)
        pipeline.run(s, _sync_options(s, console), hooks=hooks(s))
        return s

    actions: dict[str, Callable[[Settings], Settings]] = {
        "status": do_status,
        "doctor": do_doctor,
        "sync": do_sync,
        "build": do_build,
        "check": do_check,
        "export": do_export,
        "run": do_run,
    }
    by_key = {key: name for key, name, _ in MENU}
    console.print(_menu_table())
    for _ in range(max_rounds):
        try:
            answer = Prompt.ask(
                "Choose a stage",
                choices=[k for k, _, _ in MENU],
                default="1",
                console=console,
                show_choices=True,
            )
        except EOFError:
            break
        name = by_key[answer]
        if name == "quit":
            break
        console.rule(name)
        try:
            pipeline.preflight(settings, writable=name not in ("status", "doctor"))
            settings = actions[name](settings)
            console.print(f"[green]{name} done[/green]")
        except (ProductHuntDBError, ConfigError) as exc:
            logger.bind(file_only=True).error("{} failed: {}", name, str(exc))
            console.print(f"[red]error:[/red] {escape(mask_secrets(str(exc), settings.secrets()))}")
        except EOFError:
            break
        except Exception as exc:  # the menu survives a crashing stage; the traceback goes to the log
            from producthuntdb import logs

            logger.bind(file_only=True).opt(exception=True).error("{} crashed", name)
            where = logs.current_log_file()
            console.print(
                f"[red]error:[/red] unexpected {type(exc).__name__}: "
                f"{escape(mask_secrets(str(exc), settings.secrets()))} (traceback in {where})"
            )
        console.print(_menu_line())
    console.print("bye")
    return settings
