"""Root conftest: the test session's environment and the shared fixture plugins.

Telemetry is switched off before dlt, dbt or Great Expectations can be imported by any test
module, so no test run phones home. Shared fixtures live in ``tests/plugins/*.py``; each is
registered here by name once its file exists, so a plugin still being written never breaks
collection of the rest of the suite.
"""

from __future__ import annotations

import importlib.util
import os

TELEMETRY_OFF = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}
os.environ.update(TELEMETRY_OFF)

PLUGINS = (
    "tests.plugins.emulator",
    "tests.plugins.pipeline",
    "tests.plugins.warehouse",
    "tests.plugins.kaggle_standin",
)


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


pytest_plugins = [name for name in PLUGINS if _present(name)]
