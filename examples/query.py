"""Run one of the example queries against a DuckDB file and print the result.

    .venv/bin/python examples/query.py data/demo/producthunt.duckdb examples/top_posts_of_a_day.sql

The file is opened read-only, so a running pipeline or a BI tool can keep it open too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: query.py DATABASE.duckdb QUERY.sql", file=sys.stderr)
        return 2
    database, query = Path(argv[0]), Path(argv[1])
    for path in (database, query):
        if not path.is_file():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.sql(query.read_text("utf-8")).show(max_width=140)
    except duckdb.Error as exc:
        print(f"error: {query}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
