"""Root conftest: the test session's environment and the shared fixture plugins.

Telemetry is switched off before dlt, dbt or Great Expectations can be imported by any test
module, so no test run phones home, and ``PRODUCTHUNT_*`` variables of the shell are dropped. Shared fixtures live in ``tests/plugins/*.py``; each is
registered here by name once its file exists, so a plugin still being written never breaks
collection of the rest of the suite.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from producthuntdb.telemetry import TELEMETRY_OFF

os.environ.update(TELEMETRY_OFF)

# A developer's own configuration (a real token exported in the shell, a profile) must not leak
# into tests: every test states the settings it needs.
KEEP = {"PRODUCTHUNT_ACTIONLINT_DIR"}
for _name in [n for n in os.environ if n.startswith("PRODUCTHUNT_") and n not in KEEP]:
    del os.environ[_name]

PLUGINS = (
    "tests.plugins.emulator",
    "tests.plugins.pipeline",
    "tests.plugins.warehouse",
    "tests.plugins.kaggle_standin",
    "tests.plugins.cli",
    "tests.plugins.browser",
    "tests.plugins.postgres",
    "tests.plugins.checksum",
)


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


pytest_plugins = [name for name in PLUGINS if _present(name)]

# Under pytest-xdist (`make test` runs three workers) a session or module fixture is built once
# per worker that needs it. The expensive ones — the synced and built `small` world, the demo, a
# module's own harvest — would be paid once per worker; so with `--dist loadgroup` every test
# module that uses a shared one is scheduled as one unit with the others of its group, and a
# module with a module- or class-scoped fixture is one unit, on one worker, while the rest of the
# suite is spread test by test. (xdist's own loadgroup reads `xdist_group` marks into node ids,
# which pytest 9 ignores: the units are found here, from the modules' text, in the controller.)
SHARED_GROUPS = {
    "small_world": ("small_synced", "small_build", "small_built", "small_served", "built_db_copy"),
    "demo": ("demo_run",),
    "pull_origin": ("pull_origin",),
}
_ROOT = Path(__file__).resolve().parent.parent
# The slowest tests of a recent run: units start costliest first, so that no long test is handed
# out last and holds the run open alone while the other workers idle.
DURATIONS = _ROOT / "tests" / "durations.txt"
UNKNOWN_SECONDS = 0.5


@functools.cache
def _text(module_path: str) -> str:
    try:
        return (_ROOT / module_path).read_text(encoding="utf-8")
    except OSError:
        return ""


def shared_group(module_path: str) -> str | None:
    """The shared-fixture group of a test module (a path relative to the repository), if any."""
    text = _text(module_path)
    return next((group for group, names in SHARED_GROUPS.items() if any(n in text for n in names)), None)


def work_unit(nodeid: str) -> str:
    """What one worker runs whole: a shared-fixture group, a module with fixtures of its own, or a test."""
    path = nodeid.split("::")[0]
    text = _text(path)
    own_fixture = 'scope="module"' in text or 'scope="class"' in text
    return shared_group(path) or (path if own_fixture else nodeid)


@functools.cache
def known_seconds() -> dict[str, float]:
    """{node id: seconds} from ``tests/durations.txt`` (pytest's ``--durations`` lines)."""
    seconds: dict[str, float] = {}
    lines = DURATIONS.read_text(encoding="utf-8").splitlines() if DURATIONS.is_file() else []
    for line in lines:
        fields = line.split()
        if len(fields) == 3 and fields[0].endswith("s") and fields[1] in ("setup", "call", "teardown"):
            seconds[fields[2]] = seconds.get(fields[2], 0.0) + float(fields[0][:-1])
    return seconds


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Costliest work units first (longest-processing-time-first), each unit's tests together and
    in their own order; the same order on every worker, as xdist requires."""
    units = {item.nodeid: work_unit(item.nodeid) for item in items}
    cost: dict[str, float] = {}
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        unit = units[item.nodeid]
        cost[unit] = cost.get(unit, 0.0) + known_seconds().get(item.nodeid, UNKNOWN_SECONDS)
        first.setdefault(unit, index)
    items.sort(key=lambda item: (-cost[units[item.nodeid]], first[units[item.nodeid]]))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    config.option.loadscopereorder = False  # keep the cost order above, not xdist's count order

    class SharedFixtureScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SharedFixtureScheduling(config, log)
