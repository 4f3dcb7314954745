"""The menu in-process, fed a script of answers: every stage is reachable, failures return to the menu."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from producthuntdb.cli import Globals
from producthuntdb.interactive import run_menu
from producthuntdb.logs import setup_logging
from producthuntdb.settings import Settings
from tests.integration.test_status import make_db
from tests.plugins.cli import closed_port_url

TOKEN = "menu-token-abcdefghijklmnopqrstuvwxyz"


pytestmark = pytest.mark.usefixtures("isolated_cli")


def drive(settings: Settings, answers: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(a + "\n" for a in answers)))
    screen = io.StringIO()
    setup_logging(settings, "menu-run", "menu", console=False)
    run_menu(settings, Globals(), Console(file=screen, width=160, color_system=None))
    return screen.getvalue()


def test_every_stage_runs_or_fails_back_to_the_menu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        api_url=closed_port_url(),
        token=TOKEN,
        max_retries=0,
        environment="testing",
    )
    answers = [
        "2",  # doctor: API unreachable, no database yet
        "4",
        "n",  # build: no raw data -> error, back to the menu
        "5",  # check
        "6",  # export
        "3",
        "1",
        "n",
        "n",  # sync: 1 minute, no comments, no votes -> API unreachable
        "7",
        "1",
        "y",
        "y",  # run: fails at its first stage
        "",  # the default choice is status
    ]  # then end of input leaves the menu
    screen = drive(settings, answers, monkeypatch)
    assert "✗ api" in screen and "unreachable" in screen
    assert screen.count("error:") >= 5, screen
    assert "run `producthuntdb sync` first" in screen
    assert "no database yet" in screen
    assert screen.rstrip().endswith("bye")
    assert TOKEN not in screen
    log = "".join(p.read_text() for p in (tmp_path / "data" / "logs").glob("*.jsonl"))
    assert TOKEN not in log and '"build failed' in log


def test_status_on_a_real_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "work").mkdir()
    make_db(tmp_path / "work" / "producthunt.duckdb", posts=6)
    settings = Settings(data_dir=tmp_path, environment="testing")
    screen = drive(settings, ["1", "q"], monkeypatch)
    assert "status done" in screen and "last sync runs" in screen
    posts_row = next(line for line in screen.splitlines() if "marts" in line and "posts" in line)
    assert posts_row.rstrip(" │").endswith("6")
