"""The environment that switches off the telemetry of dlt, Great Expectations and dbt.

Free of imports, so it can be applied before any of those libraries is imported.
"""

from __future__ import annotations

TELEMETRY_OFF = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}
