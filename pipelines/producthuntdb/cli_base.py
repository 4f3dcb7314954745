"""What every command line of the package is built with: typer classes whose help never shows a
flag's type, the one-line error, and the usage errors to catch.

typer 0.29 prints ``<bool>`` beside every boolean flag in ``--help`` (``--full-refresh <bool>``,
while ``--full-refresh yes`` is an error; even ``--help`` itself), which invites a value the flag
refuses. A flag's type column is its ``metavar`` when one is set, so these classes give every flag
an empty one as the command hands out its parameters (``get_params``, which also yields the help
option). Only public typer/click API: ``cls=`` and the parameters' ``metavar``; ``App`` makes the
command class the default so no command can forget it. Kept apart from :mod:`producthuntdb.cli` so
that the emulator's sub-command (:mod:`producthuntdb.emulator.cli`) is built the same way without
importing the CLI that imports it.

The one private import of typer is here, and read-only: typer >= 0.29 vendors click and exports
``BadParameter``, ``Exit`` and ``Abort`` but not the classes its parser raises for bad usage, so
catching them (``main`` turns each into one line and exit 2) needs ``typer._click.exceptions``;
the standalone ``click`` package's classes are different ones. Nothing of typer is patched.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

from producthuntdb.settings import mask_secrets

__all__ = ["App", "ClickException", "Command", "Group", "NoArgsIsHelpError", "UsageError", "err_line"]


def err_line(text: str, secrets: list[str] | None = None) -> None:
    """One plain line on stderr (never wrapped by rich), secrets masked."""
    one_line = " ".join(text.split())
    sys.stderr.write(mask_secrets(one_line, secrets or []) + "\n")
    sys.stderr.flush()


def _without_flag_types(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose flags show no type in ``--help``."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))


class Group(TyperGroup):
    """A group (``producthuntdb``, ``producthuntdb api``) whose flags show no type in ``--help``."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))


class App(typer.Typer):
    """``typer.Typer`` built as a :class:`Group` of :class:`Command` unless told another class."""

    def __init__(self, *, cls: type[TyperGroup] | None = None, **kwargs: Any) -> None:
        super().__init__(cls=cls or Group, **kwargs)

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or Command, **kwargs)
