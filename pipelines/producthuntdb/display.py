"""How stage reports look on a terminal: tables, one-line summaries, spinners, the gate's failures.

The entry points (``cli``, ``demo``, ``interactive``) share this module and hand
:class:`ConsoleHooks` to :mod:`pipeline`, which stays free of printing; that keeps the stage
runner importable by all three without any of them importing another.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from producthuntdb.serialize import jsonable
from producthuntdb.settings import Settings

if TYPE_CHECKING:
    from producthuntdb.api.governor import BudgetGovernor
    from producthuntdb.source.helpers import Stats

SUMMARY_KEYS = (
    "status",
    "stop_reason",
    "pages",
    "points",
    "points_per_post",
    "models_passed",
    "tests_passed",
    "files",
    "out_dir",
    "served_path",
    "elapsed_seconds",
)
GATE_COLUMNS = ("suite", "column", "expectation", "observed", "expected")


def out() -> Console:
    """stdout for results; wide when piped so tables are not cut at 80 columns."""
    return Console(width=None if sys.stdout.isatty() else 140, soft_wrap=False)


@contextmanager
def spinner(settings: Settings, text: str) -> Iterator[None]:
    """A spinner on stderr while a long stage without its own progress bar runs (TTY and profile only)."""
    if settings.progress and sys.stderr.isatty():
        with Console(stderr=True).status(text):
            yield
    else:
        yield


def report_dict(report: Any) -> dict[str, Any]:
    """Any stage report as a plain dict: ``as_dict()``, a dataclass, a mapping or its attributes."""
    if report is None:
        return {}
    if hasattr(report, "as_dict"):
        return dict(report.as_dict())
    if is_dataclass(report) and not isinstance(report, type):
        return asdict(report)
    if isinstance(report, dict):
        return dict(report)
    return {k: v for k, v in vars(report).items() if not k.startswith("_")}


def print_report(title: str, report: Any, *, as_json: bool = False, console: Console | None = None) -> dict[str, Any]:
    """A report as a two-column table (or JSON), long values shortened."""
    data = jsonable(report_dict(report))
    console = console or out()
    if as_json:
        console.print_json(json.dumps(data))
        return data
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("key", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        if value is None or value == [] or value == {}:
            continue  # "stop_reason None" tells nothing; --json keeps every key
        text = human_value(key, value)
        limit = 2000 if isinstance(value, dict) else 200  # row counts per table are worth every line
        table.add_row(key.replace("_", " "), escape(text if len(text) <= limit else text[: limit - 3] + "..."))
    console.print(table)
    return data


def human_value(key: str, value: Any) -> str:
    """One report value as a person reads it: ``1,234``, ``posts 20, topics 5``, ``3 windows, 99.7% used``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return ", ".join(f"{k} {human_value(str(k), v)}" for k, v in value.items())
    if isinstance(value, list):
        numbers = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers and len(numbers) == len(value) and key.endswith("usage"):
            mean = sum(numbers) / len(numbers)
            return f"{len(numbers)} window{'s' if len(numbers) != 1 else ''}, {mean:.1%} of the budget used on average"
        return ", ".join(human_value(key, v) for v in value)
    return str(value)


def show(stage: str, report: Any, *, quiet: bool = False, console: Console | None = None) -> None:
    """The full report table, or (quiet: demo, menu) one line with the numbers that matter."""
    console = console or out()
    if not quiet:
        print_report(stage, report, console=console)
        return
    data = report_dict(report)
    parts = [f"{k}={human_value(k, data[k])}" for k in SUMMARY_KEYS if data.get(k) not in (None, "", [], {})]
    console.print(f"[bold cyan]{stage}[/bold cyan] " + " ".join(parts), highlight=False, soft_wrap=True)


def show_gate(report: Any, console: Console | None = None) -> None:
    """The failed expectations as a table, then one passed/failed line with the Data Docs path."""
    console = console or out()
    if report.failures:
        table = Table(title="quality gate failures", title_justify="left")
        for column in GATE_COLUMNS:
            table.add_column(column)
        for failure in report.failures:
            row = asdict(failure)
            # data and regexes ("[a-z]") must print as written, not as rich markup
            table.add_row(*(escape(str(row.get(c, ""))) for c in GATE_COLUMNS))
        console.print(table)
    docs = report.docs_path
    console.print(
        f"gate: {'[green]passed[/green]' if report.passed else '[red]failed[/red]'}"
        + (f" — Data Docs: {docs}" if docs else "")
    )


class ConsoleHooks:
    """:class:`pipeline.Hooks` for a terminal: a spinner while a stage runs, its report after."""

    def __init__(self, settings: Settings, *, quiet: bool = False, console: Console | None = None) -> None:
        self.settings = settings
        self.quiet = quiet
        self.console = console

    def running(self, stage: str, text: str) -> AbstractContextManager[None]:
        if stage == "sync":  # the sync draws its own progress bar
            return _nothing()
        return spinner(self.settings, text)

    def finished(self, stage: str, report: Any) -> None:
        if stage == "check":
            show_gate(report, self.console)
        else:
            show(stage, report, quiet=self.quiet, console=self.console)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


class SyncProgress:
    """Rich progress on a terminal (pages, rows, points used and left, ETA); nothing otherwise.

    The bar counts post pages against the run's estimate (a 2-point ``totalCount``), so the
    ETA reflects the budget pacing as it happens.
    """

    def __init__(self, enabled: bool, governor: BudgetGovernor) -> None:
        self.enabled = enabled
        self.governor = governor
        self._progress: Any = None
        self.rows: dict[str, int] | None = None
        self._task: Any = None

    @contextmanager
    def running(self) -> Iterator[SyncProgress]:
        if not self.enabled:
            yield self
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("sync"), BarColumn(), TextColumn("{task.fields[pages]} pages"),
            TextColumn("{task.fields[info]}"), TextColumn("ETA"), TimeRemainingColumn(), transient=False,
        ) as progress:
            self._progress = progress
            self._task = progress.add_task("sync", total=None, pages=0, info="")
            yield self

    def update(self, stats: Stats) -> None:
        if self._progress is None:
            return
        rate = self.governor.rate
        left = f" · {rate.remaining} left in window" if rate.remaining is not None else ""
        rows = sum(self.rows.values()) if self.rows is not None else 0
        self._progress.update(
            self._task, completed=stats.post_pages, total=stats.expected_post_pages, pages=stats.pages,
            info=f"{rows} rows · {self.governor.points} points{left}",
        )
