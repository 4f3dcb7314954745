"""Root conftest: the test session's environment and the shared fixture plugins.

Telemetry is switched off before dlt, dbt or Great Expectations can be imported by any test
module, so no test run phones home, and ``PRODUCTHUNT_*`` variables of the shell are dropped. Shared fixtures live in ``tests/plugins/*.py``; each is
registered here by name once its file exists, so a plugin still being written never breaks
collection of the rest of the suite.
"""

from __future__ import annotations

import importlib.util
import os

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
