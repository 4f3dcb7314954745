"""``producthuntdb api serve``: the emulator's own sub-command, each of its options declared once.

Every option sets one :class:`EmulatorConfig` field: its type, choices (``Scale``, ``CostModel``)
and default come from the dataclass in ``config.py``; :data:`FLAGS` adds only what a command line
needs besides (the help, a help panel, and for the options typed as text how the text becomes the
field). The command's signature is built from that list, so typer, :func:`emulator_config` and
``--help`` cannot disagree. Imports nothing of the server until the command runs: the root CLI
imports this module for its help.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Annotated, Any, Literal, get_type_hints

import typer

from producthuntdb.cli_base import App, err_line
from producthuntdb.emulator.config import (
    COST_MODELS,
    DEFAULT_NOW,
    FAULT_KINDS,
    SCALES,
    EmulatorConfig,
    parse_faults,
    parse_now,
)
from producthuntdb.errors import ConfigError, ProductHuntDBError

__all__ = ["FLAGS", "api_app", "emulator_config"]

OnOff = Literal["on", "off"]


def _on(value: str) -> bool:
    if value not in ("on", "off"):
        raise ConfigError(f"--redaction must be on or off, not {value!r}")
    return value == "on"


@dataclass(frozen=True)
class Flag:
    """One ``api serve`` option: the ``EmulatorConfig`` field it sets and what only the CLI knows."""

    field: str
    help: str
    panel: str
    text: tuple[Any, Callable[[Any], Any]] | None = None
    """For an option typed as text: (its type on the command line, text → field value)."""
    default: Any = ...
    """The option's default when it is not the field's (``...``: the field's)."""

    @property
    def option(self) -> str:
        return "--" + self.field.replace("_", "-")


SERVER, WORLD, BUDGET, FAULTS = "Server", "World", "Budget and pricing", "Faults"
FLAGS: tuple[Flag, ...] = (
    Flag("host", "Interface to bind.", SERVER),
    Flag("port", "TCP port (0: any free port).", SERVER, default=8000),
    Flag("token", "Accept only this bearer token (default: any token).", SERVER),
    Flag("seed", "World seed: same seed, same world.", WORLD),
    Flag("scale", "World size: " + ", ".join(SCALES) + ".", WORLD),
    Flag(
        "now", f"The world's clock start, ISO 8601 (default: {DEFAULT_NOW:%Y-%m-%dT%H:%M:%SZ}).", WORLD,
        text=(str | None, parse_now), default=None,
    ),
    Flag(
        "redaction", "on: users are \\[REDACTED] like the real API; off: shown.", WORLD,
        text=(OnOff, _on), default="on",
    ),
    Flag("poison_posts", "This many posts always fail to resolve.", WORLD),
    Flag("bad_value_posts", "This many posts always carry an unstorable value (surrogate, huge int, bad date).", WORLD),
    Flag("budget", "Complexity points per window.", BUDGET),
    Flag("window_seconds", "Rate-limit window length in seconds.", BUDGET),
    Flag(
        "cost_model",
        f"Connection pricing rule: {', '.join(COST_MODELS)} (graphql-ruby's today, its older one, page size ×"
        " children).",
        BUDGET,
    ),
    Flag("cost_factor", "Multiply every charge (e.g. 1.3).", BUDGET),
    Flag("max_query_complexity", "Refuse queries more complex than this, like the real API (0: no cap).", BUDGET),
    Flag("foreign_spend", "Another tool of the same app spends this many points per second.", BUDGET),
    Flag("fault_rate", "Share (0-1) of requests that fail.", FAULTS),
    Flag(
        "faults", "Which faults to inject, comma separated: " + ", ".join(FAULT_KINDS) + ".", FAULTS,
        text=(str | None, parse_faults), default=None,
    ),
    Flag("latency_ms", "Added latency per request in milliseconds.", FAULTS),
)


def emulator_config(**values: Any) -> EmulatorConfig:
    """An ``EmulatorConfig`` from ``api serve``'s option values (text for --now, --faults, --redaction).

    Options left out keep the config's defaults; a bad value raises ConfigError (exit 2).
    """
    unknown = set(values) - {flag.field for flag in FLAGS}
    if unknown:
        raise TypeError(f"not an api serve option: {', '.join(sorted(unknown))}")
    config: dict[str, Any] = {}
    for flag in FLAGS:
        if flag.field not in values:
            continue
        value = values[flag.field]
        if flag.text is not None:
            if value is None:
                continue  # --now/--faults not given: the config's default
            value = flag.text[1](value)
        config[flag.field] = value
    return EmulatorConfig(**config)


def _parameters() -> list[inspect.Parameter]:
    """The command's keyword parameters, one per flag, typed and defaulted from ``EmulatorConfig``."""
    types = get_type_hints(EmulatorConfig)
    defaults = {f.name: f.default for f in fields(EmulatorConfig)}
    return [
        inspect.Parameter(
            flag.field,
            inspect.Parameter.KEYWORD_ONLY,
            default=defaults[flag.field] if flag.default is ... else flag.default,
            annotation=Annotated[
                flag.text[0] if flag.text else types[flag.field],
                # choices are named in the help: a type column as wide as them wraps at 80 columns
                typer.Option(flag.option, help=flag.help, rich_help_panel=flag.panel, show_choices=False),
            ],
        )
        for flag in FLAGS
    ]


api_app = App(
    help="The local Product Hunt API emulator (same schema, budget, pagination and redaction).",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def serve(**values: Any) -> None:
    """Serve the emulated Product Hunt API on a local port until Ctrl-C.

    [bold]Examples[/bold]

      producthuntdb api serve --port 8000 --scale small
      producthuntdb api serve --budget 500 --window-seconds 60 \\
        --faults 502,timeout --fault-rate 0.1

    Then, in another shell:

      export PRODUCTHUNT_API_URL=http://127.0.0.1:8000/v2/api/graphql
      export PRODUCTHUNT_TOKEN=any-token-of-20-chars
      producthuntdb sync
    """
    try:
        config = emulator_config(**values)
        from producthuntdb.emulator.server import serve as serve_forever

        serve_forever(config)
    except ConfigError as exc:
        for problem in exc.problems:
            err_line(f"error: {problem}")
        raise typer.Exit(2) from None
    except ProductHuntDBError as exc:
        err_line(f"error: {exc}")
        raise typer.Exit(1) from None
    except ImportError as exc:
        err_line(f"error: the emulator is not available ({exc})")
        raise typer.Exit(1) from None
    except OSError as exc:
        err_line(f"error: cannot listen on {values['host']}:{values['port']} ({exc.strerror or exc})")
        raise typer.Exit(1) from None


serve.__signature__ = inspect.Signature(_parameters())  # type: ignore[attr-defined]
api_app.command("serve")(serve)
