"""``producthuntdb interactive`` driven through a real pseudo-terminal, as a person would use it."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_status import make_db

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Terminal:
    """A child process on a pty: send keys, wait for text (ANSI stripped)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True
        )
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {text!r}; screen so far:\n{self.seen[-3000:]}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # child closed the pty
                    chunk = b""
                if not chunk and self.proc.poll() is not None:
                    raise AssertionError(f"process exited waiting for {text!r}:\n{self.seen[-3000:]}")
                self.seen += ANSI.sub("", chunk.decode("utf-8", "replace")).replace("\r", "")
        return self.seen

    def wait_for_no_echo(self, timeout: float = 15.0) -> None:
        """Block until the child switched echo off (getpass): keys typed earlier would be echoed and flushed."""
        deadline = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ECHO:
            if time.monotonic() > deadline:
                raise AssertionError("the password prompt never turned echo off")
            time.sleep(0.02)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.master)


@pytest.fixture()
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    (tmp_path / "work").mkdir()
    make_db(tmp_path / "work" / "producthunt.duckdb", posts=4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCTHUNT_")}
    env.update(
        PRODUCTHUNT_DATA_DIR=str(tmp_path),
        PRODUCTHUNT_API_URL="http://127.0.0.1:9/v2/api/graphql",
        COLUMNS="160",
        LINES="50",
        TERM="xterm",
    )
    term = Terminal([sys.executable, "-m", "producthuntdb.cli", "interactive"], env, tmp_path)
    yield term
    if term.proc.poll() is None:
        term.proc.kill()
        term.proc.wait()


def test_menu_shows_status_rejects_bad_choices_and_quits(terminal: Terminal) -> None:
    terminal.expect("Choose a stage")
    assert "sync → build → check → serve → export" in terminal.seen
    terminal.send("1\r")
    screen = terminal.expect("status done")
    assert "marts" in screen and "last sync runs" in screen and "r2" in screen
    terminal.send("9\r")
    terminal.expect("Please select one of the available options")
    terminal.send("q\r")
    terminal.expect("bye")
    assert terminal.close() == 0


def test_sync_asks_for_a_token_without_echoing_it_and_survives_cancel(terminal: Terminal) -> None:
    terminal.expect("Choose a stage")
    terminal.send("3\r")
    terminal.expect("PRODUCTHUNT_TOKEN is not set")
    terminal.expect("Product Hunt token")
    terminal.wait_for_no_echo()
    terminal.send("zzqqxx-bad\r")  # malformed: asked again, and never shown
    terminal.expect("PRODUCTHUNT_TOKEN is malformed")
    terminal.expect("Product Hunt token (hidden")
    terminal.wait_for_no_echo()
    terminal.send("\r")
    terminal.expect("no token given")
    assert "zzqqxx" not in terminal.seen
    terminal.expect("Choose a stage")
    terminal.send("q\r")
    terminal.expect("bye")
    assert terminal.close() == 0
