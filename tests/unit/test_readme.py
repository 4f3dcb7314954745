"""The README tells the truth: its quickstart comes first and every command and setting it names exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from producthuntdb.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")
MAKEFILE = (ROOT / "Makefile").read_text("utf-8")


def _code() -> str:
    """Every code span and block of the README: where commands are shown."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", README, re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.DOTALL))
    return "\n".join(blocks + spans)


def test_quickstart_is_first_and_shows_make_demo_and_make_test() -> None:
    sections = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert sections[0] == "Quickstart"
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    (first_block,) = re.findall(r"```bash\n(.*?)```", quickstart, re.DOTALL)[:1]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()[:2]] == ["make demo", "make test"]


def test_every_make_target_the_readme_shows_exists() -> None:
    shown = set(re.findall(r"\bmake ([a-z][a-z-]*)", _code()))
    targets = set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.MULTILINE))
    assert shown, "the README shows no make command"
    assert shown <= targets, f"README shows make targets that do not exist: {sorted(shown - targets)}"


def test_every_cli_command_the_readme_shows_exists() -> None:
    cli = pytest.importorskip("producthuntdb.cli", reason="the CLI module has not landed yet")
    import typer.main

    commands: dict[str, Any] = typer.main.get_command(cli.app).commands  # type: ignore[attr-defined]
    shown = set(re.findall(r"\bproducthuntdb ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", _code()))
    assert shown, "the README shows no producthuntdb command"
    missing = []
    for command, sub in shown:
        found = commands.get(command)
        if found is None:
            missing.append(command)
        elif hasattr(found, "commands") and sub and sub not in found.commands:
            missing.append(f"{command} {sub}")
    assert not missing, f"README shows CLI commands that do not exist: {missing}"


def test_every_setting_is_in_the_settings_table() -> None:
    table = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    missing = [
        f"PRODUCTHUNT_{name.upper()}"
        for name in Settings.model_fields
        if f"PRODUCTHUNT_{name.upper()}" not in table
    ]
    assert not missing, f"settings missing from the README table: {missing}"


def test_readme_names_the_secrets_the_sync_workflow_reads() -> None:
    workflow = (ROOT / ".github" / "workflows" / "sync.yml").read_text("utf-8")
    for secret in set(re.findall(r"secrets\.([A-Z_]+)", workflow)):
        assert f"`{secret}`" in README, secret
