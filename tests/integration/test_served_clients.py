"""The served file opens in the DuckDB clients people have: the CLI from PyPI and Node's @duckdb/node-api.

Both are the 1.5 generation, which reads storage versions 64-68 only (DuckDB 2.0 writes 69 unless
told otherwise). The queries are the README's own, so the README cannot drift from what works.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from producthuntdb import warehouse
from producthuntdb.settings import Settings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "tests" / "clients"
CLI = Path(sys.executable).parent / "duckdb"


def readme_queries() -> list[str]:
    """The quickstart's `duckdb -readonly ... -c "<query>"` and every statement of the Querying SQL block."""
    text = (REPO / "README.md").read_text("utf-8")
    quick = re.search(r'duckdb -readonly data/demo/producthunt\.duckdb -c "([^"]+)"', text)
    assert quick, "the README's quickstart query is gone"
    querying = text[text.index("## Querying the data") :]
    block = re.search(r"```sql\n(.*?)```", querying, re.S)
    assert block, "the README's Querying section has no SQL block"
    statements = [s.strip() for s in block.group(1).split(";") if s.strip()]
    return [quick.group(1), *statements]


def test_the_readme_has_queries_to_run() -> None:
    queries = readme_queries()
    assert len(queries) >= 3 and all("marts." in q for q in queries)


def test_duckdb_cli_from_pypi_runs_the_readme_queries_on_the_served_file(small_served: Settings) -> None:
    assert CLI.is_file(), f"{CLI} is missing: the dev extra installs duckdb-cli (make install)"
    version = subprocess.run([str(CLI), "-version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.5."), version  # the generation that refuses DuckDB 2.0's default format
    for query in readme_queries():
        done = subprocess.run(
            [str(CLI), "-readonly", "-json", str(small_served.served_path), "-c", query],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, (query, done.stderr)
        rows = json.loads(done.stdout)
        assert rows, query


def test_node_duckdb_client_reads_marts_posts(small_served: Settings) -> None:
    node_modules = CLIENTS / "node_modules" / "@duckdb" / "node-api"
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm/node not installed: `make clients` cannot install @duckdb/node-api")
    assert node_modules.is_dir(), "npm is here but @duckdb/node-api is not installed: run `make clients`"
    done = subprocess.run(
        ["node", str(CLIENTS / "read_served.mjs"), str(small_served.served_path),
         "select post_id, name, votes_count from marts.posts order by votes_count desc, post_id limit 5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    with warehouse.opened(small_served.served_path) as con:
        expected = con.execute(
            "select post_id, name from marts.posts order by votes_count desc, post_id limit 5"
        ).fetchall()
    assert [(r["post_id"], r["name"]) for r in rows] == expected


def test_both_files_are_in_a_storage_version_1x_clients_read(small_served: Settings) -> None:
    assert warehouse.storage_version_number(small_served.served_path) in warehouse.READABLE_BY_CLIENTS
    # the working file too: sync creates it in that version before dlt and dbt write to it
    assert warehouse.storage_version_number(small_served.db_path) in warehouse.READABLE_BY_CLIENTS


def test_served_marts_keep_column_comments_and_indexes_and_nothing_else(small_served: Settings) -> None:
    def describe(path: Path) -> tuple[dict[str, int], int, int, set[str]]:
        with warehouse.opened(path) as con:
            comments = con.execute(
                "select count(*) from duckdb_columns() where schema_name = 'marts' and comment is not null"
            ).fetchone()
            indexes = con.execute("select count(*) from duckdb_indexes() where schema_name = 'marts'").fetchone()
            schemas = {
                r[0]
                for r in con.execute(
                    "select schema_name from duckdb_tables() where database_name = current_database()"
                ).fetchall()
            }
            return warehouse.mart_counts(con), int(comments[0]), int(indexes[0]), schemas  # type: ignore[index]

    work = describe(small_served.db_path)
    served = describe(small_served.served_path)
    assert served[0] == work[0] and served[0]["posts"] > 0
    assert served[1] == work[1] > 50  # every documented column keeps its description
    assert served[2] == work[2] > 0  # and the indexes dbt configured
    assert served[3] == {"marts", "meta"} and "raw" in work[3]  # raw and staging stay in the working file
