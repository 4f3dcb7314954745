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

# Under pytest-xdist (`make test` runs two workers) a session fixture is built once per worker
# that needs it. The two expensive ones — the synced and built `small` world, and the demo — would
# be paid twice; so with `--dist loadgroup` every test module that uses one is scheduled as one
# unit with the others of its group, on one worker, while the rest of the suite is spread test by
# test. (xdist's own loadgroup reads `xdist_group` marks into node ids, which pytest 9 ignores:
# the groups are found here, from the modules' text, in the controller that schedules.)
SHARED_GROUPS = {
    "small_world": ("small_synced", "small_build", "small_built", "small_served", "built_db_copy"),
    "demo": ("demo_run",),
    "pull_origin": ("pull_origin",),
}
_ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def shared_group(module_path: str) -> str | None:
    """The shared-fixture group of a test module (a path relative to the repository), if any."""
    try:
        text = (_ROOT / module_path).read_text(encoding="utf-8")
    except OSError:
        return None
    return next((group for group, names in SHARED_GROUPS.items() if any(n in text for n in names)), None)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SharedFixtureScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return shared_group(nodeid.split("::")[0]) or nodeid

    return SharedFixtureScheduling(config, log)
