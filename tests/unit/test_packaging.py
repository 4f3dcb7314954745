"""The engineering system keeps its promises: package metadata, the lock, the Makefile, .ci/run.

These are cheap checks of files that otherwise only fail on a fresh clone or in CI, where a
mistake costs a whole run.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
MAKEFILE = (ROOT / "Makefile").read_text("utf-8")
TELEMETRY = (
    "RUNTIME__DLTHUB_TELEMETRY",
    "GX_ANALYTICS_ENABLED",
    "DO_NOT_TRACK",
    "DBT_SEND_ANONYMOUS_USAGE_STATS",
)
MAKE_TARGETS = (
    "install",
    "demo",
    "test",
    "sync",
    "build",
    "check",
    "export",
    "publish",
    "run",
    "api",
    "bench",
    "lint",
    "clean",
)


def _constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt: {line!r} is not pinned with =="
        pins[canonicalize_name(name)] = version
    return pins


def _targets() -> dict[str, list[str]]:
    """Makefile rule name -> its prerequisites."""
    rules: dict[str, list[str]] = {}
    for match in re.finditer(r"^([A-Za-z.$][\w.$()/-]*):(?!=)([^\n#]*)", MAKEFILE, re.MULTILINE):
        rules[match.group(1)] = match.group(2).split()
    return rules


# -- pyproject --------------------------------------------------------------------------------


def test_package_metadata() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == "producthuntdb"
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["producthuntdb"] == "producthuntdb.cli:main"
    assert {"dev", "otel", "postgres"} <= set(project["optional-dependencies"])


def test_dbt_core_stays_below_1_12() -> None:
    (dbt,) = [Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("dbt-core")]
    assert "1.11.99" in dbt.specifier and "1.12.0" not in dbt.specifier


def test_the_duckdb_floor_opens_the_files_we_write() -> None:
    """Both files are written in PRODUCTHUNT_STORAGE_VERSION; an older duckdb cannot open them (1.3.2 refuses v1.4.0)."""
    from producthuntdb.settings import DEFAULT_STORAGE_VERSION

    (duckdb,) = [Requirement(r) for r in PYPROJECT["project"]["dependencies"] if Requirement(r).name == "duckdb"]
    floor = min(Version(spec.version) for spec in duckdb.specifier if spec.operator == ">=")
    assert floor >= Version(DEFAULT_STORAGE_VERSION.removeprefix("v")), floor


def test_every_dependency_has_bounds() -> None:
    for raw in PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["dev"]:
        assert Requirement(raw).specifier, f"{raw!r} has no version bound"


def test_tool_configuration_is_in_pyproject() -> None:
    tool = PYPROJECT["tool"]
    assert tool["ruff"]["line-length"] == 110 and tool["ruff"]["target-version"] == "py311"
    assert tool["mypy"]["python_version"] == "3.11"
    assert {"slow", "e2e"} <= {m.split(":")[0] for m in tool["pytest"]["ini_options"]["markers"]}
    assert tool["coverage"]["run"]["source"] == ["producthuntdb"]


# -- the lock -----------------------------------------------------------------------------------


def test_constraints_pin_what_the_tests_run_with() -> None:
    """Every pin matches the version installed in the environment running this suite."""
    pins = _constraints()
    assert "producthuntdb" not in pins, "the editable package itself must not be pinned"
    wrong = {}
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong[name] = (version, "missing")
            continue
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, f"constraints.txt is stale (pinned, installed): {wrong}; regenerate it (README)"


def test_constraints_cover_every_direct_dependency() -> None:
    pins = _constraints()
    direct = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["dev"]
    missing = [raw for raw in direct if canonicalize_name(Requirement(raw).name) not in pins]
    assert not missing
    for raw in direct:
        requirement = Requirement(raw)
        pinned = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pinned, prereleases=True), f"{raw} excludes the pinned {pinned}"


# -- Makefile -----------------------------------------------------------------------------------


def test_makefile_has_every_target_and_they_are_phony() -> None:
    rules = _targets()
    phony = set(rules[".PHONY"])
    for target in MAKE_TARGETS:
        assert target in rules, f"make {target} is missing"
        assert target in phony


def test_every_target_that_runs_python_depends_on_install() -> None:
    rules = _targets()
    body = dict(re.findall(r"^([a-z-]+):[^\n]*\n((?:\t[^\n]*\n?)*)", MAKEFILE, re.MULTILINE))
    for target, recipe in body.items():
        if ("$(BIN)/" in recipe or "$(CLI)" in recipe) and target != "install":
            assert "install" in rules[target], f"make {target} uses the venv without depending on install"


def test_install_is_idempotent_and_tracks_the_lock() -> None:
    rules = _targets()
    assert rules["install"] == ["$(STAMP)"]
    assert set(rules["$(STAMP)"]) == {"pyproject.toml", "constraints.txt"}
    assert "-c constraints.txt" in MAKEFILE
    assert "test -x $(BIN)/python ||" in MAKEFILE  # the venv is created once, never rebuilt over
    # uv (pinned like everything else) does the install; pip, with its progress shown, when uv cannot be had
    assert "-c constraints.txt uv" in MAKEFILE and "$(BIN)/uv pip install" in MAKEFILE
    assert "--progress-bar on -c constraints.txt -e '.[dev]'" in MAKEFILE
    assert "uv" in _constraints()


def test_makefile_switches_telemetry_off_for_every_target() -> None:
    for key in TELEMETRY:
        assert re.search(rf"^export {key} := ", MAKEFILE, re.MULTILINE), key


def test_make_dry_run_shows_the_real_commands(tmp_path: Path) -> None:
    """`make -n` with a fresh stamp prints the commands each stage target would run."""
    done = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "demo", "bench", "api", "lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert ".venv/bin/producthuntdb demo" in done.stdout
    assert ".venv/bin/python bench/run_all.py" in done.stdout
    assert ".venv/bin/producthuntdb api serve" in done.stdout
    with_dir = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "report", "status", "DATA_DIR=data/demo"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert ".venv/bin/producthuntdb --data-dir data/demo report" in with_dir.stdout
    assert ".venv/bin/producthuntdb --data-dir data/demo status" in with_dir.stdout
    assert ".venv/bin/mypy" in done.stdout


def _install_with(fake_python: Path) -> subprocess.CompletedProcess[str]:
    """`make install PYTHON=<fake>` with a copy of the Makefile in the fake's empty directory (no .venv)."""
    fake_python.chmod(0o755)
    folder = fake_python.parent
    (folder / "Makefile").write_text(MAKEFILE)
    (folder / "pyproject.toml").write_text("")
    (folder / "constraints.txt").write_text("")
    return subprocess.run(
        ["make", "install", f"PYTHON={fake_python}"], cwd=folder, capture_output=True, text=True, timeout=30
    )


def test_install_falls_back_to_pip_with_progress_when_uv_cannot_be_had(tmp_path: Path) -> None:
    """A venv whose pip cannot fetch uv: make install says so and installs with pip, progress shown."""
    log = tmp_path / "calls.log"
    venv_python = (
        f"#!/bin/sh\necho \"$*\" >> {log}\n"
        'case "$*" in *" uv") echo "no uv here" >&2; exit 1;; esac\nexit 0\n'
    )
    fake = tmp_path / "python3"
    fake.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        "if sys.argv[1] == '-c':\n    exec(sys.argv[2])\n"
        "elif sys.argv[1:3] == ['-m', 'venv']:\n"
        "    os.makedirs(sys.argv[3] + '/bin')\n"
        f"    open(sys.argv[3] + '/bin/python', 'w').write({venv_python!r})\n"
        "    os.chmod(sys.argv[3] + '/bin/python', 0o755)\n"
    )
    done = _install_with(fake)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "installing with pip instead" in done.stdout
    calls = log.read_text().splitlines()
    assert calls[-1].startswith("-m pip install") and "--progress-bar on" in calls[-1] and "-e .[dev]" in calls[-1]


def test_make_refuses_an_old_python(tmp_path: Path) -> None:
    # A python that claims to be 3.9 and runs the Makefile's own version check under that claim.
    fake = tmp_path / "python3"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nsys.version_info = (3, 9, 18)\nsys.version = '3.9.18'\n"
        "assert sys.argv[1] == '-c'\nexec(sys.argv[2])\n"
    )
    done = _install_with(fake)
    assert done.returncode != 0
    assert "needs Python >= 3.11" in done.stderr
    assert not (tmp_path / ".venv").exists()


# -- .dlt ---------------------------------------------------------------------------------------


def test_dlt_config_is_committed_without_secrets() -> None:
    config = tomllib.loads((ROOT / ".dlt" / "config.toml").read_text("utf-8"))
    assert config["runtime"]["dlthub_telemetry"] is False
    assert "token" not in (ROOT / ".dlt" / "config.toml").read_text("utf-8")
    example = tomllib.loads((ROOT / ".dlt" / "example.secrets.toml").read_text("utf-8"))
    assert "token" in example["sources"]["producthunt"]


@pytest.mark.parametrize("path", [".dlt/secrets.toml", "data/producthunt.duckdb", ".venv/x", ".env"])
def test_secrets_and_data_are_git_ignored(path: str) -> None:
    done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, timeout=30)
    assert done.returncode == 0, f"{path} is not git-ignored"


# -- .ci/run ------------------------------------------------------------------------------------


def _ci_run_with_fake_make(
    tmp_path: Path, pytest_rc: int | None, make_rc: int, chaos_rc: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run the real .ci/run with a `make` on PATH: its `make test` reports ``pytest_rc`` and exits
    ``make_rc``, its `make chaos-check` exits ``chaos_rc``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    write = f'echo {pytest_rc} > "$PYTEST_RC_FILE"\n' if pytest_rc is not None else ""
    fake = bin_dir / "make"
    fake.write_text(
        f'#!/bin/sh\necho "fake make $*"\n[ "$1" = chaos-check ] && exit {chaos_rc}\n'
        f'[ "$1" = test ] || exit 99\n{write}exit {make_rc}\n'
    )
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=30
    )


def test_ci_run_is_an_executable_strict_bash_script() -> None:
    script = ROOT / ".ci" / "run"
    assert script.stat().st_mode & stat.S_IXUSR
    text = script.read_text("utf-8")
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(script)], timeout=30).returncode == 0


def test_ci_run_passes_when_the_tests_pass(tmp_path: Path) -> None:
    done = _ci_run_with_fake_make(tmp_path, pytest_rc=0, make_rc=0)
    assert done.returncode == 0, done.stderr
    assert "fake make test" in done.stdout and "OK" in done.stdout
    assert "fake make chaos-check" in done.stdout  # the chaos trials are CI's step after the suite


def test_ci_run_fails_when_the_chaos_trials_fail(tmp_path: Path) -> None:
    done = _ci_run_with_fake_make(tmp_path, pytest_rc=0, make_rc=0, chaos_rc=2)
    assert done.returncode == 1
    assert "the chaos trials failed" in done.stderr


def test_ci_run_fails_when_no_tests_are_collected(tmp_path: Path) -> None:
    done = _ci_run_with_fake_make(tmp_path, pytest_rc=5, make_rc=2)
    assert done.returncode == 1
    assert "collected no tests (exit 5)" in done.stderr


@pytest.mark.parametrize(
    ("pytest_rc", "make_rc", "says"),
    [
        (1, 2, "pytest exited 1"),
        (2, 2, "pytest exited 2"),
        (None, 2, "stopped before pytest ran"),
        (0, 2, "make test exited 2"),
    ],
)
def test_ci_run_fails_on_anything_else(
    tmp_path: Path, pytest_rc: int | None, make_rc: int, says: str
) -> None:
    done = _ci_run_with_fake_make(tmp_path, pytest_rc=pytest_rc, make_rc=make_rc)
    assert done.returncode == 1
    assert says in done.stderr


# -- the test session itself --------------------------------------------------------------------


def test_the_test_session_runs_with_telemetry_off() -> None:
    for key in TELEMETRY:
        assert os.environ[key] in {"false", "1"}, key


def test_every_fixture_plugin_is_registered() -> None:
    from tests import conftest

    present = {
        f"tests.plugins.{p.stem}" for p in (ROOT / "tests" / "plugins").glob("*.py") if p.stem != "__init__"
    }
    assert set(conftest.pytest_plugins) == present, (
        "register new tests/plugins/*.py in tests/conftest.py PLUGINS"
    )


def test_make_help_promises_only_what_exists_and_install_says_it_takes_minutes() -> None:
    """`make help` once promised dbt snapshots (there are none); a first install printed nothing for minutes."""
    done = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "snapshot" not in done.stdout.lower()
    assert not list((ROOT / "dbt_project" / "snapshots").glob("*.sql")), "snapshots exist again: say so in make help"
    for target in ("report", "docs"):
        assert f"make {target} " in done.stdout
    install = subprocess.run(
        ["make", "-n", "-B", "install"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert "with uv (well under a minute)" in install.stdout and "a few minutes; progress below" in install.stdout
