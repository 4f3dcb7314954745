"""Values written out for another system: report fields as plain JSON (SQL quoting is in ``warehouse``).

Kept free of heavy imports so a benchmark child process can use it without inflating its memory.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with dict keys as strings, sequences as lists, dates ISO, paths and the rest as str."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


FORMULA_START = r"^[=+\-@\t\r]"
"""OWASP's CSV-injection triggers: a cell starting with one of these is a formula to a spreadsheet."""
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""Control characters removed from CSV cells (tab, newline and carriage return are kept, quoted)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
