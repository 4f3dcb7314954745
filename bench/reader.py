"""A dashboard-like reader of the served file, for the "reader latency during a run" benchmark.

``python bench/reader.py SERVED STOP_FILE`` connects read-only every 0.2 s (so it sees each new
snapshot, like a BI tool that reconnects), runs the README's daily-launches query, and prints
one JSON line per query: ``{"ms": latency, "posts": rows in marts.posts}`` or ``{"error": ...}``,
until ``STOP_FILE`` exists.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

QUERY = (
    "select launch_date, count(*) as launches, sum(votes_count) as votes "
    "from marts.posts group by all order by launch_date desc limit 14"
)
INTERVAL_S = 0.2


def main() -> int:
    import duckdb

    served, stop = sys.argv[1], Path(sys.argv[2])
    while not stop.exists():
        started = time.perf_counter()
        try:
            with duckdb.connect(served, read_only=True) as con:
                con.execute(QUERY).fetchall()
                row = con.execute("select count(*) from marts.posts").fetchone()
            line = {"ms": (time.perf_counter() - started) * 1000, "posts": row[0] if row else None}
        except Exception as exc:  # a benchmark counts failures; it does not stop at one
            line = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
        print(json.dumps(line), flush=True)
        time.sleep(INTERVAL_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
