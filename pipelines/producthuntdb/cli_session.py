"""The command line's frame: the root group and its global options, and ``session`` around every command.

``session`` loads ``Settings`` once (flags > ``PRODUCTHUNT_*`` env > ``.env`` > ``.dlt/secrets.toml``
> profile defaults), runs :func:`pipeline.preflight` for what *that* command needs, sets up logging
and tracing, and turns every failure into one masked line on stderr and an exit code: 0 success,
1 failure, 2 bad usage or configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from loguru import logger

from producthuntdb import __version__, pipeline
from producthuntdb.cli_base import ClickException, Group, err_line
from producthuntdb.errors import ConfigError, ProductHuntDBError
from producthuntdb.settings import Settings, load_settings

__all__ = ["FLAG_OF_SETTING", "GlobalOptionsAnywhere", "Globals", "globals_of", "hoist_options", "make_settings", "session"]


class GlobalOptionsAnywhere(Group):
    """The root group: its options (``--data-dir``, ``--env``, ``--log-json/--log-text``,
    ``--log-level``) are accepted after the command too, where people type them
    (``producthuntdb status --data-dir data/demo``); they are moved before it, then parsed as usual."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_options(self.params, args))


def hoist_options(params: list[Any], args: list[str]) -> list[str]:
    """``args`` with the given options that follow the command name moved in front of it (with their values)."""
    takes_value = {
        opt: not param.is_flag
        for param in params
        if getattr(param, "opts", None) and not param.is_eager  # --version/--help stay where they are
        for opt in (*param.opts, *param.secondary_opts)
    }
    command = 0
    while command < len(args) and args[command] != "--":
        word = args[command]
        if not word.startswith("-"):
            break
        command += 2 if takes_value.get(word) else 1
    front, rest, i = list(args[:command]), [], command
    while i < len(args):
        word = args[i]
        if word == "--":
            rest += args[i:]
            break
        name = word.split("=", 1)[0]
        if i > command and name in takes_value:
            width = 2 if takes_value[name] and "=" not in word else 1
            front += args[i : i + width]
            i += width
            continue
        rest.append(word)
        i += 1
    return front + rest


PASS_THROUGH: tuple[type[BaseException], ...] = (typer.Exit, typer.Abort, ClickException)
"""Exceptions typer/click turn into usage messages and exit codes themselves."""


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


def globals_of(ctx: typer.Context) -> Globals:
    root = ctx.find_root()
    if not isinstance(root.obj, Globals):
        root.obj = Globals()
    return root.obj


FLAG_OF_SETTING = {"budget_share": "--budget-share", "lookback_hours": "--lookback", "log_level": "--log-level"}
"""Settings a flag can set: a bad value is reported under the flag the operator typed."""


def make_settings(ctx: typer.Context | None, **overrides: Any) -> Settings:
    """Settings from the global flags plus this command's; ConfigError on any invalid value."""
    base = globals_of(ctx).overrides() if ctx is not None else {}
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
        pipeline.preflight(settings, token=token, kaggle=kaggle, writable=writable)
        run_id = globals_of(ctx).run_id if ctx is not None else None
        logs.setup_logging(settings, run_id or logs.new_run_id(), stage)
        tracing.configure_tracing(settings.otlp_endpoint)
        with logger.contextualize(stage=stage), tracing.span(f"command.{stage}", command=stage):
            logger.debug("command {} starting", stage, version=__version__)
            yield settings
    except PASS_THROUGH:
        raise
    except ConfigError as exc:
        for problem in exc.problems:
            err_line(f"error: {problem}", secrets)
        raise typer.Exit(exc.exit_code) from None
    except ProductHuntDBError as exc:
        logger.bind(file_only=True).error("{} failed: {}", stage, str(exc), error=type(exc).__name__)
        err_line(f"error: {exc}", secrets)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        logger.bind(file_only=True).warning("{} interrupted", stage)
        err_line("error: interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:
        logger.bind(file_only=True).opt(exception=True).error("{} crashed: {!r}", stage, exc)
        where = logs.current_log_file()
        hint = f" (traceback in {where})" if where else ""
        err_line(f"error: unexpected {type(exc).__name__}: {exc}{hint}", secrets)
        raise typer.Exit(1) from None
