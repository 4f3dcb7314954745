"""Two trials of the chaos campaign (``make chaos``, ``bench/chaos.py``) on every CI run, as its own
step (``make chaos-check``, after ``make test``: a campaign takes minutes, the suite should not).

Seed 1 draws a fresh harvest under server faults, a throttled budget and three concurrent exports,
SIGKILLed during its sync; then, a few hours later on the emulator's clock, an incremental run
under faults with one reader holding the served file and one polling it, SIGKILLed during its
serve. Each is followed by a finishing ``run``. The campaign itself checks what must hold at any
speed — the finishing run exits 0 with nobody's hand, the served marts and the export equal the
emulator's truth with no row lost or twice, no output holds the token, no console a traceback, no
reader a failed query — and exits 1 otherwise; long campaigns are ``make chaos TRIALS=100``.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.campaign]

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(2400)  # four runs of `tiny`, each with dbt and the gate: minutes on a busy machine
def test_two_seeded_chaos_trials_lose_nothing_leak_nothing_and_recover_alone(tmp_path: Path) -> None:
    out = tmp_path / "chaos.csv"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "chaos.py"), "--trials", "2", "--seed", "1", "--out", str(out),
         "--work", str(tmp_path / "work")],
        capture_output=True, text=True, cwd=ROOT, timeout=2300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["outcome"] for row in rows] == ["ok", "ok"], rows
    assert [row["mode"] for row in rows] == ["fresh", "incremental"]
    assert all(row["finishing_rc"] == "0" and row["lost"] == row["duplicated"] == row["leaks"] == "0" for row in rows)
    assert "Traceback" not in done.stdout + done.stderr
