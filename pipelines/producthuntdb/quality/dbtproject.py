"""What the gate takes from the dbt project, so that a rule and the list of marts are written once, in dbt.

dbt owns the marts: the models it builds in the ``marts`` schema are the marts the gate checks (a
spec in ``suites.py`` for a model dbt no longer builds is ignored; a unit test keeps the two in step),
and the clock skew a timestamp may have before it is "in the future" is the dbt variable
``future_tolerance_minutes`` that dbt's own test uses.
"""

from __future__ import annotations

import json

import yaml  # type: ignore[import-untyped]  # PyYAML comes with dbt; its stubs do not

from producthuntdb.errors import ConfigError
from producthuntdb.settings import Settings
from producthuntdb.transform import dbt_paths, project_dir

MARTS_SCHEMA = "marts"
PACKAGE = "producthuntdb"


def mart_names(settings: Settings) -> tuple[str, ...]:
    """The marts in the manifest of this data dir's last dbt run; before any run, the project's mart models.

    Both are the dbt project's answer: the manifest is what dbt compiled from ``models/marts/``.
    """
    manifest = dbt_paths(settings)[0] / "manifest.json"
    try:
        nodes = json.loads(manifest.read_text("utf-8"))["nodes"].values()
        names = {
            node["name"]
            for node in nodes
            if node.get("resource_type") == "model"
            and node.get("package_name") == PACKAGE
            and (node.get("config") or {}).get("schema") == MARTS_SCHEMA
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        names = set()
    if not names:
        names = {path.stem for path in (project_dir(settings) / "models" / MARTS_SCHEMA).glob("*.sql")}
    return tuple(sorted(names))


def future_tolerance_minutes(settings: Settings) -> int:
    """dbt's ``future_tolerance_minutes`` variable (``dbt_project.yml``)."""
    path = project_dir(settings) / "dbt_project.yml"
    try:
        return int(yaml.safe_load(path.read_text("utf-8"))["vars"]["future_tolerance_minutes"])
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        raise ConfigError(f"{path}: vars.future_tolerance_minutes is missing or not a whole number") from None
