"""The dlt pipeline script: ``python pipelines/producthunt.py [sync flags]``.

A thin entry so that dlt users find the familiar ``pipelines/<name>.py`` script; it is
exactly ``producthuntdb sync [flags]`` (same flags, same exit codes, same one-line errors).
"""

from __future__ import annotations

import sys

from producthuntdb.cli import app, main

__all__ = ["app", "main"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], only="sync", prog_name="python pipelines/producthunt.py"))
