"""The data dictionary: every mart and column as the dbt project documents them — one source.

The marts' YAML (``dbt_project/models/marts/*.yml``) describes each model and column; shared
definitions (Product Hunt's calendar, the vote rank, ...) are dbt ``docs`` blocks
(``models/marts/definitions.md``) that the YAML cites as ``{{ doc('name') }}``. dbt's own docs
site renders them; this module renders the same text as Markdown for the Kaggle dataset
description (``export.kaggle_metadata``) and ``docs/DATA_DICTIONARY.md``
(``python -m producthuntdb.datadict > docs/DATA_DICTIONARY.md``; a test fails when it is stale).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # PyYAML comes with dbt; its stubs do not

MARTS_DIR = Path("models") / "marts"
_DOC_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.S)
_DOC_CALL = re.compile(r"""{{\s*doc\(\s*['"](\w+)['"]\s*\)\s*}}""")
LINEAGE_PREFIX = "_"
"""Bookkeeping columns (``_dlt_load_id``, ``_loaded_by``): in the served file, not in the export."""


@dataclass
class Mart:
    name: str
    description: str
    columns: dict[str, str] = field(default_factory=dict)
    """Column name → description, in the YAML's order."""


def definitions(dbt_project_dir: Path) -> dict[str, str]:
    """The ``docs`` blocks of the marts, by name, as one paragraph each."""
    blocks: dict[str, str] = {}
    for path in sorted((dbt_project_dir / MARTS_DIR).glob("*.md")):
        for name, text in _DOC_BLOCK.findall(path.read_text("utf-8")):
            blocks[name] = " ".join(text.split())
    return blocks


def marts(dbt_project_dir: Path) -> dict[str, Mart]:
    """Every mart's description and columns, ``{{ doc(...) }}`` resolved; unreadable files are skipped."""
    blocks = definitions(dbt_project_dir)

    def text(value: object) -> str:
        flat = " ".join(str(value or "").split())
        return _DOC_CALL.sub(lambda match: blocks.get(match.group(1), match.group(0)), flat)

    found: dict[str, Mart] = {}
    for path in sorted((dbt_project_dir / MARTS_DIR).glob("*.yml")):
        try:
            content = yaml.safe_load(path.read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for model in content.get("models") or []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            columns = {
                str(column["name"]): text(column.get("description"))
                for column in model.get("columns") or []
                if isinstance(column, dict) and "name" in column
            }
            found[str(model["name"])] = Mart(str(model["name"]), text(model.get("description")), columns)
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(dbt_project_dir: Path, heading: str = "#") -> str:
    """The dictionary as Markdown: the definitions, then each mart with its public columns."""
    lines = [
        f"{heading} Data dictionary",
        "",
        "Every table of the dataset (the `marts` schema of the served DuckDB file, one Parquet and one "
        "CSV file each in the export) and its columns. Timestamps are UTC; ids are text as the API "
        "sends them; a user the API redacted is NULL with an `is_*_redacted` flag. Columns starting "
        "with `_` (lineage: the dlt load and dbt run that wrote a row) are in the served file only.",
        "",
        f"{heading}# Definitions",
        "",
    ]
    lines += [f"- **`{name}`**: {text}" for name, text in definitions(dbt_project_dir).items()]
    for mart in sorted(marts(dbt_project_dir).values(), key=lambda m: (m.name != "posts", m.name)):
        lines += ["", f"{heading}# {mart.name}", "", mart.description, "", "| column | description |", "|---|---|"]
        lines += [
            f"| `{name}` | {_cell(text)} |"
            for name, text in mart.columns.items()
            if not name.startswith(LINEAGE_PREFIX)
        ]
    return "\n".join(lines) + "\n"


def document(dbt_project_dir: Path) -> str:
    """The text of ``docs/DATA_DICTIONARY.md``."""
    note = (
        "<!-- GENERATED from dbt_project/models/marts/*.yml and definitions.md by\n"
        "     `python -m producthuntdb.datadict > docs/DATA_DICTIONARY.md`; do not edit\n"
        "     (tests/unit/test_datadict.py fails when it is stale). -->\n"
    )
    return note + render(dbt_project_dir)


if __name__ == "__main__":  # pragma: no cover - the generator of docs/DATA_DICTIONARY.md
    sys.stdout.write(document(Path(__file__).resolve().parents[2] / "dbt_project"))
