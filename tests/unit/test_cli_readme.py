"""The README's command table and the CLI agree: every command it names exists with the flags it names,
and every command of the CLI is in the README."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from producthuntdb.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"
ROW_COMMAND = re.compile(r"`producthuntdb ([a-z][a-z ]*?)`")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def root() -> Any:
    command = typer.main.get_command(app)
    assert hasattr(command, "commands"), "the CLI should be a group of commands"
    return command


def resolve(path: str) -> Any:
    command = root()
    for word in path.split():
        assert hasattr(command, "commands"), f"{path}: {word} has no subcommands"
        sub = command.commands.get(word)
        assert sub is not None, f"README names `producthuntdb {path}` but the CLI has no {word!r}"
        command = sub
    return command


def options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def all_commands(group: Any, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            names += all_commands(command, f"{prefix}{name} ")
        else:
            names.append(f"{prefix}{name}")
    return names


@pytest.fixture(scope="module")
def readme() -> str:
    if not README.is_file():
        pytest.fail("README.md is missing")
    return README.read_text("utf-8")


def commands_section(text: str) -> str:
    start = text.find("\n## Commands")
    assert start >= 0, "the README has no '## Commands' section"
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def table_rows(text: str) -> list[tuple[str, set[str]]]:
    rows = []
    for line in commands_section(text).splitlines():
        if not line.startswith("|"):
            continue
        match = ROW_COMMAND.search(line)
        if match:
            rows.append((match.group(1).strip(), set(FLAG.findall(line))))
    return rows


def test_every_command_in_the_readme_table_exists_with_its_flags(readme: str) -> None:
    rows = table_rows(readme)
    assert len(rows) >= 10, "the README's command table was not found"
    for path, flags in rows:
        command = resolve(path)
        missing = flags - options(command)
        assert not missing, (
            f"README shows {sorted(missing)} for `producthuntdb {path}`, which has no such flag"
        )


def test_every_cli_command_is_documented(readme: str) -> None:
    documented = {path for path, _ in table_rows(readme)}
    undocumented = sorted(set(all_commands(root())) - documented)
    assert not undocumented, f"commands missing from the README's table: {undocumented}"


def test_global_options_named_in_the_readme_exist(readme: str) -> None:
    section = commands_section(readme)
    if "Global options" not in section:
        pytest.fail("the README's Commands section does not describe the global options")
    paragraph = section[section.index("Global options") :][:300]
    named = set(FLAG.findall(paragraph.split("Exit codes")[0]))
    assert named, paragraph
    assert not named - options(root()), (
        f"README names global options the CLI lacks: {named - options(root())}"
    )
