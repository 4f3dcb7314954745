"""The dlt pipeline script, as dlt's verified sources have one: ``load_producthunt()`` runs the source with plain dlt.

``python pipelines/producthunt.py [flags]`` is ``producthuntdb sync [flags]`` (same flags, exit codes and
one-line errors): the chunked run with its ``raw._sync_runs`` record that the other stages build on.
From Python, ``load_producthunt()`` is the dlt way: the token in ``.dlt/secrets.toml``
(``[sources.producthunt] token = "..."``), the rows in ``./producthunt.duckdb`` (docs/OPERATIONS.md).
"""

from __future__ import annotations

import sys

import dlt

from producthuntdb.cli import app, main
from producthuntdb.source import producthunt

__all__ = ["app", "load_producthunt", "main"]


def load_producthunt() -> None:
    """Harvest what is new (everything, the first time) into the dataset ``raw`` in one load."""
    pipeline = dlt.pipeline(pipeline_name="producthunt", destination="duckdb", dataset_name="raw")
    load_info = pipeline.run(producthunt())
    print(load_info)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], only="sync", prog_name="python pipelines/producthunt.py"))
