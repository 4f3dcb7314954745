"""``--help`` reads at 80 columns: no example line of any command is wrapped in the middle."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from loguru import logger
from typer.testing import CliRunner

from producthuntdb.cli import app

NARROW = {"COLUMNS": "80"}


@pytest.fixture
def eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer reads TERMINAL_WIDTH once, when its help renderer is imported: set its width for this test only."""
    import typer.rich_utils

    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 80)


def commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(prefix, group)]
    for name, command in getattr(group, "commands", {}).items():
        found += commands(command, (*prefix, name))
    return found


ALL = commands(typer.main.get_command(app))


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "producthuntdb" for p, _ in ALL])
def test_help_examples_are_not_wrapped_at_80_columns(path: tuple[str, ...], command: Any, eighty_columns: None) -> None:
    examples = [
        re.sub(r"\[/?[a-z ]+\]", "", line).strip()
        for line in (command.help or "").splitlines()
        if line.startswith("  ") and line.strip()
    ]
    result = CliRunner().invoke(app, [*path, "--help"], env=NARROW)
    logger.remove()
    assert result.exit_code == 0, result.output
    shown = [line.strip() for line in result.stdout.splitlines()]
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    wrapped = [example for example in examples if example.replace("\\[", "[") not in shown]
    assert not wrapped, f"wrapped at 80 columns: {wrapped}"
