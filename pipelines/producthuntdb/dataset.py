"""An export on disk, as ``publish`` sends it and ``pull`` receives it: its manifest, checked.

One rule for both directions: a dataset is usable only when its manifest reads, records a
passing quality gate whose row counts are the rows it ships, and every file it lists is there
with the sha256 it records. Anything else is one line naming the first file that is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from producthuntdb.errors import StageError
from producthuntdb.serialize import sha256_file

MANIFEST = "manifest.json"


def read_manifest(folder: Path) -> dict[str, Any]:
    """``folder/manifest.json`` as a dict; one line when it is missing or not an export's manifest."""
    path = folder / MANIFEST
    if not path.is_file():
        raise StageError(f"{folder} holds no {MANIFEST}: not an export of ProductHuntDB")
    try:
        manifest = json.loads(path.read_text("utf-8"))
        if not isinstance(manifest, dict) or not isinstance(manifest["tables"], dict):
            raise TypeError("not an object with tables")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StageError(f"{path}: not a readable export manifest ({exc.__class__.__name__})") from None
    return manifest


def verified_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an export that is complete, unmodified and gated; else one clear error."""
    manifest = read_manifest(folder)
    path = folder / MANIFEST
    gate = manifest.get("gate") or {}
    if not gate.get("passed"):
        raise StageError(f"{path} does not record a passing quality gate")
    try:
        tables = manifest["tables"]
        shipped = {str(table): int(info["rows"]) for table, info in tables.items()}
        files = [(table, fmt, entry) for table, info in tables.items() for fmt, entry in info["files"].items()]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StageError(f"{path}: not a readable export manifest ({exc.__class__.__name__})") from None
    if gate.get("row_counts") != shipped:
        raise StageError(f"{path}: the rows it ships are not the rows its quality gate passed")
    for table, fmt, entry in files:
        name = str(entry.get("path", ""))
        if "/" in name or name in ("", ".", ".."):
            raise StageError(f"{path}: {table} {fmt} names {name!r}, not a file of the export")
        file = folder / name
        if not file.is_file():
            raise StageError(f"export is incomplete: {name} ({table} {fmt}) is missing")
        if sha256_file(file) != entry.get("sha256"):
            raise StageError(f"export was modified: sha256 of {name} does not match {MANIFEST}")
    return manifest
