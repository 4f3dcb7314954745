"""A real ``HarvestRun`` over a fake HTTP layer and in-memory raw tables: the state machines of
``source/`` tested alone, fast enough for every save.

Only the edges are fake: ``FakeApi`` answers each GraphQL operation from a plain function of its
variables (through ``httpx.MockTransport``, under the real client and governor), and ``Tables``
holds the raw tables ``run.db_query`` reads in an in-memory DuckDB (no file). Everything between —
``HarvestRun.fetch``, page counting, the pagers, the planners — is the code that runs in a sync.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import httpx
from pydantic import SecretStr

from producthuntdb.api.client import GraphQLClient
from producthuntdb.api.governor import BudgetGovernor
from producthuntdb.settings import Settings
from producthuntdb.source.contract import TABLES, empty_relation
from producthuntdb.source.helpers import HarvestRun

URL = "http://api.test/v2/api/graphql"
T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


@dataclass
class Reply:
    """A response with GraphQL errors: ``data`` (None when the query failed) beside error messages,
    each at ``path`` when given (a partial answer names the failed item by its index)."""

    data: dict[str, Any] | None
    messages: list[str]
    paths: list[list[Any]] | None = None

    def body(self) -> dict[str, Any]:
        errors = [{"message": m, **({"path": self.paths[k]} if self.paths else {})} for k, m in enumerate(self.messages)]
        return {"data": self.data, "errors": errors}


Answer = Callable[[dict[str, Any]], dict[str, Any] | Reply]
"""The ``data`` of one operation's answer (or a ``Reply`` with errors), from the variables it was sent with."""


class FakeApi:
    """The API as the HTTP layer sees it: one answer function per operation name, a rate window
    that reports ``remaining`` points (generous unless a test says otherwise)."""

    def __init__(self, answers: dict[str, Answer], *, remaining: int = 1_000_000) -> None:
        self.answers = answers
        self.remaining = remaining
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        found = re.search(r"^query (\w+)", body["query"], re.MULTILINE)
        assert found is not None, body["query"]
        operation, variables = found.group(1), body.get("variables") or {}
        self.calls.append((operation, variables))
        headers = {"X-Rate-Limit-Limit": "1000000", "X-Rate-Limit-Remaining": str(self.remaining),
                   "X-Rate-Limit-Reset": "900"}
        answer = self.answers[operation](variables)
        body = answer.body() if isinstance(answer, Reply) else {"data": answer}
        return httpx.Response(200, json=body, headers=headers)

    def sent(self, operation: str) -> list[dict[str, Any]]:
        """The variables of every request of ``operation``, in order."""
        return [variables for name, variables in self.calls if name == operation]


class Tables:
    """Raw tables loaded so far, in memory; a table not created reads as empty (as in ``sync.py``).

    Every ``Tables`` is a schema of one in-memory database: opening a database costs ~50 ms,
    too much for a property test's hundred examples."""

    _database: duckdb.DuckDBPyConnection | None = None
    _made = 0

    def __init__(self) -> None:
        if Tables._database is None:
            Tables._database = duckdb.connect(":memory:")
            Tables._database.execute("SET TimeZone = 'UTC'")
        Tables._made += 1
        self.con = Tables._database.cursor()
        self.schema = f"raw{Tables._made}"
        self.con.execute(f"CREATE SCHEMA {self.schema}")
        self.names: set[str] = set()

    def create(self, name: str, columns: str, rows: list[tuple[Any, ...]] | None = None) -> None:
        self.con.execute(f"CREATE TABLE {self.schema}.{name} ({columns})")
        if rows:
            marks = ", ".join("?" for _ in columns.split(","))
            self.con.executemany(f"INSERT INTO {self.schema}.{name} VALUES ({marks})", [list(row) for row in rows])
        self.names.add(name)

    def query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        names = {name: f"{self.schema}.{name}" if name in self.names else empty_relation(name) for name in TABLES}
        return [tuple(row) for row in self.con.execute(sql.format(**names), list(params)).fetchall()]


@cache
def _settings() -> Settings:
    return Settings(
        data_dir=Path("/nonexistent/unit"), api_url=URL, token=SecretStr("unit-token-0123456789"),
        environment="testing", max_retries=0,
    )


@contextmanager
def harvest_run(api: FakeApi, tables: Tables | None = None, **fields: Any) -> Iterator[HarvestRun]:
    """A ``HarvestRun`` whose requests ``api`` answers and whose reads ``tables`` answer (without
    tables, nothing is loaded yet: every read is empty, as before a sync's first load)."""
    transport = httpx.MockTransport(api.handle)
    with GraphQLClient(_settings(), BudgetGovernor(), transport=transport, backoff_base=0.0) as client:
        yield HarvestRun(
            client=client, db_query=tables.query if tables is not None else lambda sql, params: [],
            run_id="unit", observed_at=T0, lookback_hours=48.0, refresh_hours=24.0, **fields,
        )


def connection(ids: list[str], end: str | None, more: bool, **extra: Any) -> dict[str, Any]:
    """A Relay connection page of nodes with these ids (and ``extra`` fields on each)."""
    return {"nodes": [{"id": i, **extra} for i in ids], "pageInfo": {"hasNextPage": more, "endCursor": end}}
