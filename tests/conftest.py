"""Root conftest: the test session's environment and the shared fixture plugins.

Telemetry is switched off before dlt, dbt or Great Expectations can be imported by any test
module, so no test run phones home, and ``PRODUCTHUNT_*`` variables of the shell are dropped. Shared fixtures live in ``tests/plugins/*.py``; each is
registered here by name once its file exists, so a plugin still being written never breaks
collection of the rest of the suite.
"""

from __future__ import annotations

import importlib.util
import os

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

# Under pytest-xdist (`make test` runs two workers), a session fixture is built once per worker
# that needs it. The two expensive ones — the synced and built `small` world, and the demo — would
# be paid twice; so every test that uses one runs in that fixture's group, on one worker
# (`--dist loadgroup`), while the rest of the suite is spread over both.
SHARED_GROUPS = {
    "small_world": {"small_synced", "small_build", "small_built", "small_served"},
    "demo": {"demo"},
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups off the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        uses_demo = module is not None and hasattr(module, "demo_run")
        fixtures = set(getattr(item, "fixturenames", ()))
        for group, names in SHARED_GROUPS.items():
            if fixtures & names or (group == "demo" and uses_demo):
                item.add_marker(pytest.mark.xdist_group(group))
                break
