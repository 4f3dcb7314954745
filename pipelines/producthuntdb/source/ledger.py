"""The completeness ledger: a posts window closes with the posts the API said it holds, or says what is missing.

``plan_window`` sizes every window with a ``totalCount`` probe (``windows.py``); that count is
the window's ``expected``. While the window is paged, its ``Tally`` counts the distinct post ids
received — loaded, repaired or quarantined alike — and the nodes that could not be used, with
their reason (a null id, an id twice). When the paging ends:

* as many distinct ids as expected (or more: posts keep arriving): the window closes;
* fewer: the window is counted again (twice, 2 points each; a post deleted meanwhile, or a count
  that ignored the dates, is no loss) and, if
  still short, paged once more from its top at ``REASK_PAGE_SIZE`` posts a page — a page short
  by a fault rarely repeats itself;
* still short after that: a ``raw._gaps`` row (window, expected, received, quarantined,
  unusable with the reasons, run) rides with the chunk, the run ends ``partial``, ``status``
  lists the gap and the quality gate fails while the served posts of that window fall short
  of ``expected`` minus the quarantined ones. The window closes: one bad stretch does not hold
  the harvest.

Ids counted as received also include the posts of the window stored by an earlier chunk or
run (a window can span runs), read from ``raw.posts`` and ``raw._quarantine``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from loguru import logger

from producthuntdb.source.helpers import HarvestRun, ts
from producthuntdb.source.windows import whole_window

REASK_PAGE_SIZE = 10
RECOUNTS = 2
"""A short window is counted again this many times (2 points each) and the smallest count believed:
one count from a server that forgot its date filter must not send a window round again."""


@dataclass
class Tally:
    """What one window's paging received: distinct ids, and the nodes it could not use, by reason."""

    ids: set[str] = field(default_factory=set)
    unusable: Counter[str] = field(default_factory=Counter)

    def take(self, nodes: list[dict[str, Any]], set_aside: list[str]) -> list[dict[str, Any]]:
        """The nodes of a page worth loading: each id once, none without one (those are counted)."""
        self.ids.update(set_aside)
        usable, here = [], set()
        for node in nodes:
            post_id = node.get("id")
            if post_id is None:
                self.unusable["without an id"] += 1
            elif post_id in here:
                self.unusable["repeated in a page"] += 1
            else:
                here.add(post_id)
                usable.append(node)
        self.ids.update(here)
        return usable

    def reasons(self) -> str:
        return ", ".join(f"{count} node(s) {why}" for why, count in sorted(self.unusable.items()))


def tally(run: HarvestRun, window: dict[str, Any]) -> Tally:
    found: Tally = run.tallies.setdefault(window["after"], Tally())
    return found


def close_or_reask(run: HarvestRun, window: dict[str, Any]) -> bool:
    """True when ``window`` may close (complete, or its gap recorded); False when it is to be paged
    again (its position is reset for that) or the run must stop (``run.interrupted``)."""
    expected = window.get("expected")
    if expected is None:  # a window planned before the ledger existed
        return True
    variables = whole_window(window)
    counted = tally(run, window)
    received, quarantined = _received(run, window, variables, counted)
    if received >= expected:
        run.tallies.pop(window["after"], None)
        return True
    if not window.get("reasked"):
        for _ in range(RECOUNTS):
            data = run.fetch("posts_total", variables)
            if data is None:
                return False
            window["expected"] = expected = min(expected, int(data["posts"]["totalCount"]))
        if received >= expected:
            run.tallies.pop(window["after"], None)
            return True
        logger.info(
            "posts {} to {}: {} of the {} posts the API listed were received; paging that window again, {} a page",
            window["after"], window.get("before") or "now", received, expected, REASK_PAGE_SIZE,
        )
        window.update(reasked=True, resume_before=None, paging=None)
        return False
    missing = expected - received
    reasons = counted.reasons() or "the API listed them but did not send them"
    logger.warning(
        "posts {} to {}: {} of the {} posts the API listed were not received after asking twice ({}); "
        "recorded in raw._gaps, the quality gate fails until they are loaded",
        window["after"], window.get("before") or "now", missing, expected, reasons,
    )
    run.gaps.append({
        "run_id": run.run_id, "window_after": ts(window["after"]), "window_before": ts(window.get("before")),
        "expected": expected, "received": received, "quarantined": quarantined,
        "unusable": sum(counted.unusable.values()), "reason": reasons, "recorded_at": datetime.now(UTC),
    })
    run.stats.gaps += 1
    run.stats.missing += missing
    run.tallies.pop(window["after"], None)
    return True


def _received(run: HarvestRun, window: dict[str, Any], variables: dict[str, Any], counted: Tally) -> tuple[int, int]:
    """Distinct ids of the window received by this run or stored before, and how many are quarantined."""
    after, before = ts(window["after"]), ts(window.get("before"))
    window_after = ts(variables.get("postedAfter"))
    bound = " AND created_at < ?" if before is not None else ""
    stored = run.db_query(
        "SELECT id FROM {posts} WHERE created_at >= ?" + bound, (after, before) if before is not None else (after,)
    )
    quarantined = run.db_query(
        "SELECT id FROM {_quarantine} WHERE entity = 'post' AND resolved_at IS NULL AND window_after = ?",
        (window_after,),
    )
    held = {str(row[0]) for row in quarantined} | {
        row["id"] for row in run.quarantine if row["resolved_at"] is None and row["window_after"] == window_after
    }
    return len(counted.ids | {str(row[0]) for row in stored} | held), len(held)


def open_gaps_sql(gaps: str, posts: str, created: str) -> str:
    """The recorded gaps (``gaps``, raw._gaps) still open: windows whose posts in ``posts`` (its
    ``created`` expression, a timestamptz) fall short of what the API listed minus the quarantined.
    Columns: window_after, window_before, expected, quarantined, held, reason, run_id. Plain SQL that
    DuckDB and PostgreSQL both run: ``status`` reads raw.posts with it, the quality gate marts.posts."""
    return f"""
select window_after, window_before, expected, quarantined, held, reason, run_id from (
    select g.window_after, g.window_before, g.expected, g.quarantined, g.reason, g.run_id,
        (select count(*) from {posts} as p where {created} >= g.window_after
            and (g.window_before is null or {created} < g.window_before)) as held,
        row_number() over (partition by g.window_after order by g.recorded_at desc) as latest
    from {gaps} as g
) as t where latest = 1 and held < expected - quarantined"""
