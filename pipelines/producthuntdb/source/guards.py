"""Progress guards: a paged stream never loops, and an answer that breaks its own request is asked once more.

The API (or a proxy before it) can answer a page in ways that a pager trusting ``pageInfo``
follows forever or into the wrong data: an ``endCursor`` that repeats the request's cursor
(227 pages in a minute), ``hasNextPage`` with no nodes, a page of ids the stream has already
had, posts outside the requested ``[postedAfter, postedBefore)`` (a server that ignored the
filter pages the whole history on every run). Each of these is a *stuck* page: it is asked
once more, and a second stuck page in a row ends the stream with one line naming the query and
what was seen (``StreamStuck``): a broken stream costs two pages, never a window.

A *doubtful* page — a node without an id, an id twice in the page, fewer nodes than asked while
``hasNextPage`` says more follow — is asked once more too, and the better of the two answers is
taken: what is still missing then shows in the completeness ledger (``ledger.py``), never as
rows silently lost. A server that answers the same short page twice is believed from then on
(``DOUBTS_BELIEVED``), so an API whose pages are short by design does not pay every page twice.

``inspect_page`` is pure; ``PageGuard`` keeps what a stream has seen. The pagers of
``helpers.py`` use them, one guard per stream (per alias for ``paginate_aliased``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from producthuntdb.errors import ProductHuntDBError
from producthuntdb.source.times import ts

SLACK = timedelta(seconds=1)
"""A node this far outside the requested dates is the server's rounding, not an ignored filter."""
DOUBTS_BELIEVED = 2
"""After this many doubtful pages that a second ask did not change, doubtful pages are taken as they come."""


class StreamStuck(ProductHuntDBError):
    """A paged stream answered two stuck pages in a row: it is stopped, and the run with it."""


@dataclass(frozen=True)
class Verdict:
    stuck: str | None = None
    """Why the page cannot move the stream on (asked again; a second one ends the stream)."""
    doubt: str | None = None
    """Why the page may be missing nodes (asked again once; the better answer is kept)."""

    @property
    def ok(self) -> bool:
        return self.stuck is None and self.doubt is None


def _ids(connection: Mapping[str, Any]) -> list[Any]:
    """The ids a page brought: its nodes' and those of posts set aside from it (``set_aside``)."""
    nodes = connection.get("nodes") or []
    return [node.get("id") for node in nodes if isinstance(node, dict)] + list(connection.get("set_aside") or [])


def _when(value: Any) -> datetime | None:
    try:
        return ts(value) if isinstance(value, str) else None
    except ValueError:
        return None  # an unparseable createdAt is the post's fault (``values.py``), not the filter's


def outside(nodes: list[Any], variables: Mapping[str, Any]) -> int:
    """How many of ``nodes`` were created outside the ``postedAfter``/``postedBefore`` of ``variables``."""
    after, before = _when(variables.get("postedAfter")), _when(variables.get("postedBefore"))
    if after is None and before is None:
        return 0
    count = 0
    for node in nodes:
        created = _when(node.get("createdAt")) if isinstance(node, dict) else None
        if created is None:
            continue
        if (after is not None and created < after - SLACK) or (before is not None and created >= before + SLACK):
            count += 1
    return count


def ignored(count: int, variables: Mapping[str, Any] | None = None) -> str:
    """What a page of posts outside the requested dates means."""
    asked = (
        f"[{variables.get('postedAfter')}, {variables.get('postedBefore') or 'now'})" if variables else "the dates asked"
    )
    return f"sent {count} post(s) created outside {asked}: the server ignored the date filter"


def inspect_page(
    connection: Mapping[str, Any], cursor: str | None, seen: set[str], variables: Mapping[str, Any], asked: int | None
) -> Verdict:
    """What is wrong with one page of a stream asked at ``cursor`` (``seen``: the ids it already had)."""
    info = connection.get("pageInfo") or {}
    more = bool(info.get("hasNextPage"))
    nodes = connection.get("nodes") or []
    ids = _ids(connection)
    known = [i for i in ids if i is not None]
    stray = outside(nodes, variables)
    stuck = None
    if stray:
        stuck = ignored(stray, variables)
    elif more and cursor is not None and info.get("endCursor") == cursor:
        stuck = f"answered the request's cursor {cursor!r} as the next one"
    elif more and not ids:
        stuck = "said hasNextPage with no nodes"
    elif more and known and all(i in seen for i in known):
        stuck = f"sent only ids it had sent before ({len(known)} of them)"
    doubt = None
    if len(known) < len(ids):
        doubt = f"{len(ids) - len(known)} node(s) without an id"
    elif len(set(known)) < len(known):
        doubt = f"{len(known) - len(set(known))} id(s) twice in one page"
    elif more and asked is not None and len(ids) < asked:
        doubt = f"{len(ids)} nodes of {asked} asked, with more to come"
    return Verdict(stuck, doubt)


@dataclass
class PageGuard:
    """One stream's memory: the ids it has had, and how often a second ask changed nothing."""

    query: str
    strays: Callable[[list[str]], set[str]] | None = None
    """The ids known to lie outside the requested dates, for nodes that do not carry their
    ``createdAt`` (ids only): a page with any is stuck, the filter was ignored."""
    seen: set[str] = field(default_factory=set)
    believed: int = 0

    def verdict(
        self, connection: Mapping[str, Any], cursor: str | None, variables: Mapping[str, Any], asked: int | None
    ) -> Verdict:
        verdict = inspect_page(connection, cursor, self.seen, variables, asked)
        if verdict.stuck is None and self.strays is not None:
            stray = self.strays([i for i in _ids(connection) if i is not None])
            if stray:
                verdict = Verdict(ignored(len(stray)), verdict.doubt)
        if verdict.stuck is None and verdict.doubt is not None and self.believed >= DOUBTS_BELIEVED:
            return Verdict()
        return verdict

    def accept(self, connection: Mapping[str, Any]) -> None:
        self.seen.update(i for i in _ids(connection) if i is not None)

    def checked(
        self,
        get: Callable[[], dict[str, Any] | None],
        cursor: str | None,
        variables: Mapping[str, Any],
        asked: Callable[[], int | None],
    ) -> dict[str, Any] | None:
        """The page at ``cursor`` from ``get()`` (None: the run must stop), asked twice at most;
        raises ``StreamStuck`` on a second stuck answer."""
        first = get()
        if first is None:
            return None
        verdict = self.verdict(first, cursor, variables, asked())
        if verdict.ok:
            self.accept(first)
            return first
        logger.info("{} after cursor {!r}: the API {}: asking that page again", self.query, cursor, verdict.stuck or verdict.doubt)
        second = get()
        if second is None:
            return None
        again = self.verdict(second, cursor, variables, asked())
        if again.stuck is not None and verdict.stuck is not None:
            seen = verdict.stuck + (", twice" if again.stuck == verdict.stuck else f"; asked again, it {again.stuck}")
            raise StreamStuck(
                f"{self.query} stopped after cursor {cursor!r} ({_describe(variables)}): the API {seen}; "
                "nothing past it was fetched"
            )
        if again.stuck is None and verdict.stuck is None and _distinct(second) <= _distinct(first):
            self.believed += 1  # the same doubtful answer twice: the server means it
        chosen = first if again.stuck is not None or (verdict.stuck is None and _distinct(first) > _distinct(second)) else second
        self.accept(chosen)
        return chosen


def _distinct(connection: Mapping[str, Any]) -> int:
    return len({i for i in _ids(connection) if i is not None})


def _describe(variables: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in variables.items() if v is not None and k != "cursor"}
    return ", ".join(f"{k} {v}" for k, v in shown.items()) or "no variables"
