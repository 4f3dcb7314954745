"""The README is a front door that tells the truth: it fits on a page with its quickstart first, every
command, target and document it names exists, and the details it leaves to docs/ are there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from producthuntdb.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")
DOCS = ROOT / "docs"
MAX_BYTES = 12_500
FIRST_SCREEN_LINES = 40
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


def test_the_readme_fits_on_a_page_with_make_demo_and_make_test_on_its_first_screen() -> None:
    assert len(README.encode("utf-8")) <= MAX_BYTES, "the front door grew: move details into docs/"
    first_screen = "\n".join(README.splitlines()[:FIRST_SCREEN_LINES])
    assert "make demo" in first_screen and "make test" in first_screen


def _links(path: Path) -> list[tuple[str, Path]]:
    text = path.read_text("utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    return [(t, (path.parent / t).resolve()) for t in targets if not re.match(r"[a-z]+:", t)]


@pytest.mark.parametrize("page", ["README.md", *sorted(f"docs/{p.name}" for p in DOCS.glob("*.md"))])
def test_every_document_a_page_links_exists(page: str) -> None:
    missing = [target for target, resolved in _links(ROOT / page) if not resolved.exists()]
    assert not missing, f"{page} links to {missing}, which do not exist"


def test_the_readme_links_every_document_of_docs() -> None:
    linked = {resolved for _, resolved in _links(ROOT / "README.md")}
    unlinked = [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked and p.name != "README.md"]
    assert not unlinked, f"docs nobody finds from the README: {unlinked}"


def test_every_setting_is_in_the_settings_table() -> None:
    text = (DOCS / "SETTINGS.md").read_text("utf-8")
    missing = [
        f"PRODUCTHUNT_{name.upper()}"
        for name in Settings.model_fields
        if f"PRODUCTHUNT_{name.upper()}" not in text
    ]
    assert not missing, f"settings missing from docs/SETTINGS.md: {missing}"


def test_the_docs_name_the_secrets_the_sync_workflow_reads() -> None:
    workflow = (ROOT / ".github" / "workflows" / "sync.yml").read_text("utf-8")
    docs = README + (DOCS / "OPERATIONS.md").read_text("utf-8") + (DOCS / "WAREHOUSES.md").read_text("utf-8")
    for secret in set(re.findall(r"secrets\.([A-Z_]+)", workflow)):
        assert f"`{secret}`" in docs, secret


def test_storage_version_facts_are_stated_consistently() -> None:
    """One fact everywhere: the files are v1.4.0, number 67 in their header, and DuckDB 1.4 or newer opens them."""
    from producthuntdb.settings import DEFAULT_STORAGE_VERSION
    from producthuntdb.warehouse import STORAGE_RELEASES, describe_storage_version

    number = next(n for n, release in STORAGE_RELEASES.items() if release == DEFAULT_STORAGE_VERSION)
    said = describe_storage_version(number)
    assert DEFAULT_STORAGE_VERSION in said and "DuckDB 1.4 and newer" in said
    examples = (ROOT / "examples" / "README.md").read_text("utf-8")
    for name, text in (("README.md", README), ("examples/README.md", examples)):
        assert f"v1.4.0** (number {number}" in text or f"v1.4.0 (number {number}" in text, name
        assert "DuckDB 1.4" in text and "newer" in text, name
        assert "69" not in re.sub(r"\d{3,}", "", text), f"{name} still speaks of storage version 69"
