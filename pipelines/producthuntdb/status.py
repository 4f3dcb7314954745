"""``producthuntdb status``: what is in the database, how the last runs went, how far the backfill is.

Two files: the **working file** (``DATA_DIR/work/``: raw, staging and marts, written by sync,
build and the gate; its tables, runs and backfill are listed) and the **served file**
(``PRODUCTHUNT_DUCKDB_PATH``: the gated marts readers open, and when they were published).
Both are opened read-only; when another process holds the working file's lock (a running sync),
that process is named instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from producthuntdb import warehouse
from producthuntdb.errors import ProductHuntDBError, StageError
from producthuntdb.settings import Settings
from producthuntdb.warehouse import DatabaseUnavailable, Reader, describe_holder, quote_identifier

if TYPE_CHECKING:
    pass

WINDOW_BUDGET = 6250
"""The real API's points per 15-minute window (API_FACTS.md), for the 'budget used' line."""
HIDDEN_PREFIX = "_dlt_"
RUN_COLUMNS = ("run_id", "started_at", "status", "stop_reason", "pages", "points", "points_per_post", "foreign_points")


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _table_counts(db: Reader) -> tuple[dict[str, dict[str, int]], dict[str, list[str]]]:
    rows = db.query(
        """
        select table_schema, table_name, table_type from information_schema.tables
        where table_catalog = current_database()
          and table_schema not in ('information_schema', 'pg_catalog')
          -- dlt's merge staging schema is emptied after every load: bookkeeping, not data
          and table_schema not like '%\\_staging' escape '\\'
        order by table_schema, table_name
        """
    )
    tables: dict[str, dict[str, int]] = {}
    views: dict[str, list[str]] = {}
    for schema, name, kind in rows:
        if name.startswith(HIDDEN_PREFIX):
            continue
        if kind == "VIEW":
            views.setdefault(schema, []).append(name)
            continue
        tables.setdefault(schema, {}).update(db.table_counts(schema, [name]))
    return tables, views


def _last_runs(db: Reader, dataset: str, limit: int = 5) -> list[dict[str, Any]]:
    if not db.has_table(dataset, "_sync_runs"):
        return []
    return db.records(f"select * from {quote_identifier(dataset)}._sync_runs order by started_at desc limit {int(limit)}")


def _quarantined(db: Reader, dataset: str) -> int:
    """Posts set aside as unreadable on the API and not resolved since (``raw._quarantine``)."""
    if not db.has_table(dataset, "_quarantine"):
        return 0
    rows = db.query(f"select count(*) from {quote_identifier(dataset)}._quarantine where resolved_at is null")
    return int(rows[0][0]) if rows else 0


def _open_gaps(db: Reader, dataset: str) -> list[dict[str, Any]]:
    """Posts windows a sync closed short of the API's totals that are still short (``raw._gaps``)."""
    from producthuntdb.source.ledger import open_gaps_sql

    if not db.has_table(dataset, "_gaps"):
        return []
    raw = quote_identifier(dataset)
    return db.records(open_gaps_sql(f"{raw}._gaps", f"{raw}.posts", "p.created_at") + " order by window_after")


def _budget(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Points spent by the latest run and over the last 24 hours, against the 15-minute window."""
    now = datetime.now(UTC)
    last = runs[0] if runs else {}
    day = 0
    for run in runs:
        started = run.get("started_at")
        if isinstance(started, datetime):
            started = started if started.tzinfo else started.replace(tzinfo=UTC)
            if now - started <= timedelta(hours=24):
                day += int(run.get("points") or 0)
    return {
        "window_budget": WINDOW_BUDGET,
        "points_last_run": int(last.get("points") or 0) if last else None,
        "points_last_24h": day,
        "points_per_post_last_run": last.get("points_per_post") if last else None,
        # what other tools of the same application spent from the windows the last run used
        "foreign_points_last_run": int(last.get("foreign_points") or 0) if last else None,
    }


def _backfill(settings: Settings, runs: list[dict[str, Any]], estimate: bool) -> dict[str, Any]:
    """The sync module's view (position, points still needed) when available, else the last run's.

    The estimate asks the API (a few points); it gets short timeouts and one retry so that
    ``status`` stays quick when the API is slow or unreachable, and none at all offline.
    """
    try:
        quick = settings.model_copy(
            update={
                "max_retries": min(settings.max_retries, 1),
                "connect_timeout": min(settings.connect_timeout, 3.0),
                "read_timeout": min(settings.read_timeout, 10.0),
                **({} if estimate else {"token": None}),
            }
        )
        result = dict(backfill_status(quick))
        if not estimate:
            result["estimate_error"] = "skipped (--offline)"
        return result
    except ImportError:
        pass
    except Exception as exc:  # status must never fail because one section cannot be computed
        return {"error": f"{type(exc).__name__}: {exc}"}
    position = next((r.get("backfill_position") for r in runs if r.get("backfill_position")), None)
    return {"position": position}


def backfill_status(settings: Settings) -> dict[str, Any]:
    """How far the harvest has come; with a usable token and API, an estimate of what is left.

    Offline (no token, API unreachable) the estimate keys are None. The estimate costs a
    few points: ``posts(postedAfter:…, first: 0) { totalCount }`` is 2 points a range.
    """
    import math

    from producthuntdb.api.client import GraphQLClient
    from producthuntdb.api.governor import BudgetGovernor
    from producthuntdb.api.prices import PriceBook
    from producthuntdb.api.queries import load_query
    from producthuntdb.savedstate import pending_packages, saved_state
    from producthuntdb.source import read_position, read_prices
    from producthuntdb.source.windows import remaining_ranges

    status: dict[str, Any] = {
        "floor": None, "high_water": None, "window": None, "estimated_posts": None,
        "estimated_points": None, "estimate_error": None, "pending_packages": pending_packages(settings),
    }
    if not warehouse.open(settings).exists():
        return status
    try:
        saved = saved_state(settings)
    except Exception as exc:  # an unreachable warehouse: status says so instead of failing
        status["error"] = " ".join(str(exc).split())[:200]
        return status
    state = read_position(saved) if saved is not None else None
    if saved is None or state is None:
        return status
    status.update(
        floor=state.get("floor"), high_water=state.get("high_water"), window=state.get("window"), sweep=state.get("sweep")
    )
    if settings.token_problems():
        status["estimate_error"] = "no usable token"
        return status
    try:
        governor = BudgetGovernor(settings.budget_share, prices=PriceBook.load(read_prices(saved)))  # as runs learned
        with GraphQLClient(settings, governor, max_retries=1) as client:  # status must answer fast when offline
            posts = 0
            for variables in remaining_ranges(state):
                posts += int(client.execute(load_query("posts_total"), variables)["posts"]["totalCount"])
            page_price = client.price(load_query("posts_page"), {"first": 20})
    except ProductHuntDBError as exc:
        status["estimate_error"] = str(exc)
        return status
    status["estimated_posts"] = posts
    status["estimated_points"] = math.ceil(posts / 20) * page_price
    return status


def _sweep(settings: Settings, info: dict[str, Any]) -> str:
    """How often the sweep re-reads every post's counts (``source/sweep.py``), from the history's size."""
    from producthuntdb.source.sweep import describe

    posts = (info.get("tables") or {}).get(settings.dataset_name, {}).get("posts")
    return describe(posts, settings.sweep_share, settings.budget_share, (info.get("backfill") or {}).get("sweep"))


def collect_status(settings: Settings, *, estimate: bool = True) -> dict[str, Any]:
    """Everything ``status`` shows, as a JSON-friendly dict (``--json`` prints exactly this).

    ``estimate=False`` never touches the network (the points still needed stay unknown).
    """
    db = settings.db_path
    info: dict[str, Any] = {
        "db_path": str(db),
        "exists": db.is_file(),
        "size_bytes": _file_size(db),
        "wal_bytes": _file_size(db.with_name(db.name + ".wal")),
        "locked_by": None,
        "tables": {},
        "views": {},
        "posts": None,
        "last_runs": [],
        "backfill": {},
        "quarantined": 0,
        "open_gaps": [],
        "budget": {},
        "export_dir": str(settings.export_path),
        "export_files": sorted(p.name for p in settings.export_path.glob("*"))
        if settings.export_path.is_dir()
        else [],
        "served": served_status(settings.served_path),
    }
    where = warehouse.open(settings)
    info.update(destination=where.name, exists=where.exists())
    if not info["exists"]:
        return info
    if not where.readable:
        info["error"] = f"status reads only postgres among the warehouses ({where.name} is untested)"
        return info
    problem = where.problem()
    if problem is not None:
        info["error"] = problem
        return info
    try:
        info["db_path"] = where.describe()
        with where.reader() as reader:
            tables, views = _table_counts(reader)
            runs = _last_runs(reader, settings.dataset_name)
            info["quarantined"] = _quarantined(reader, settings.dataset_name)
            info["open_gaps"] = _open_gaps(reader, settings.dataset_name)
    except DatabaseUnavailable as exc:
        if exc.holder is None:
            info["error"] = str(exc)
        info["locked_by"] = exc.holder
        return info
    except ProductHuntDBError as exc:  # an unreachable server
        info["error"] = str(exc)
        return info
    info["tables"] = tables
    info["views"] = views
    # a file without a single table holds nothing yet (a bare `dbt build` before any sync opens and so
    # creates it): it must not read as an empty harvest
    info["empty"] = not tables and not views
    info["posts"] = tables.get("marts", {}).get("posts")
    info["last_runs"] = runs
    info["budget"] = _budget(runs)
    info["backfill"] = _backfill(settings, runs, estimate)
    info["sweep"] = _sweep(settings, info)
    info["gaps"] = known_gaps(info)
    return info


def known_gaps(info: dict[str, Any]) -> list[str]:
    """What is known to be missing until a sync fills it: rows fetched but not stored, a failed
    last run, a date window harvested only in part."""
    gaps = []
    backfill = info.get("backfill") or {}
    pending = backfill.get("pending_packages") or 0
    if pending:
        gaps.append(f"{pending} load package(s) fetched but not stored yet: the next sync stores them first")
    runs = info.get("last_runs") or []
    if runs and runs[0].get("status") == "failed":
        gaps.append(f"the last sync failed ({runs[0].get('stop_reason')}): the next sync resumes where it stopped")
    if runs and runs[0].get("status") == "partial":
        gaps.append(f"the last sync was partial ({runs[0].get('stop_reason')}): the next sync tries that part again")
    quarantined = info.get("quarantined") or 0
    if quarantined:
        gaps.append(
            f"{quarantined} post(s) quarantined: the API fails to return them (raw._quarantine lists each with "
            "its error); later syncs retry each a few times"
        )
    for gap in info.get("open_gaps") or []:
        gaps.append(
            f"posts from {gap['window_after']} to {gap['window_before'] or 'the newest post'}: {gap['held']} stored of the "
            f"{gap['expected']} the API listed ({gap['quarantined']} quarantined; {gap['reason']}); recorded by run "
            f"{gap['run_id']} in raw._gaps — the quality gate fails until they are loaded (sync --full-refresh)"
        )
    window = backfill.get("window")
    if isinstance(window, dict) and window.get("resume_before"):
        gaps.append(
            f"posts from {window.get('after')} to {window.get('resume_before')} not harvested yet (a window in progress)"
        )
    return gaps


def served_status(path: Path) -> dict[str, Any]:
    """The served file: when its marts were published, their rows, the storage version clients need."""
    from producthuntdb.serve import read_publication

    info: dict[str, Any] = {"path": str(path), "exists": path.is_file(), "size_bytes": _file_size(path)}
    if not info["exists"]:
        return info
    info["storage_version_number"] = warehouse.storage_version_number(path)
    try:
        with warehouse.opened(path) as con:
            info["publication"] = read_publication(con)
            info["marts"] = warehouse.mart_counts(con)
    except StageError as exc:
        info["error"] = str(exc)
    return info


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


def describe_backfill(backfill: dict[str, Any]) -> str:
    """The backfill position and what is left, as a sentence (``--json`` keeps the raw keys)."""
    if backfill.get("error"):
        return f"backfill: unknown ({backfill['error']})"
    if not backfill.get("floor") and not backfill.get("high_water"):
        position = backfill.get("position")
        return f"backfill: harvested up to {position}" if position else "backfill: not started"
    text = f"backfill: posts from {backfill.get('floor')} to {backfill.get('high_water') or '(none yet)'} harvested"
    window = backfill.get("window")
    if isinstance(window, dict):
        text += f"; in progress: {window.get('after')} to {window.get('resume_before') or window.get('before')}"
    posts, points = backfill.get("estimated_posts"), backfill.get("estimated_points")
    if posts is not None:
        text += (
            "; nothing left to harvest"
            if not posts
            else f"; about {posts:,} posts (≈{points or 0:,} points) still to harvest"
        )
    elif backfill.get("estimate_error"):
        text += f"; what is left is unknown ({backfill['estimate_error']})"
    return text


def render_served(served: dict[str, Any], console: Console) -> None:
    """One line on the served file: what readers open, and how fresh it is."""
    if not served:
        return
    head = f"[bold]served file[/bold] {served['path']}"
    if not served.get("exists"):
        console.print(f"{head}: not published yet (a run whose gate passes publishes it)")
        return
    if served.get("error"):
        console.print(f"{head}: [red]cannot read[/red]: {served['error']}")
        return
    publication = served.get("publication") or {}
    marts = served.get("marts") or {}
    when = publication.get("published_at") or "unknown (not written by serve)"
    console.print(
        f"{head}  ({_human_size(served['size_bytes'])}) — what readers open: {len(marts)} marts, "
        f"{marts.get('posts', 0):,} posts, published {when}, storage version "
        f"{warehouse.describe_storage_version(served.get('storage_version_number'))}",
        highlight=False,
    )


def render_status(info: dict[str, Any], console: Console) -> None:
    """Rich tables for a terminal; the same facts as ``--json``."""
    if info.get("error"):  # a damaged working file: one line, nothing that could read as "empty"
        console.print(f"[red]cannot read[/red]: {info['error']}", soft_wrap=True, highlight=False)
        return
    render_served(info.get("served") or {}, console)
    console.print(
        f"[bold]working file[/bold] {info['db_path']}  ({_human_size(info['size_bytes'] + info['wal_bytes'])})"
        " — the pipeline's own (sync, build, check); readers never open it"
    )
    if not info["exists"] or info.get("empty"):
        console.print(
            "no database yet — run [cyan]producthuntdb sync[/cyan] (or [cyan]producthuntdb pull --resume[/cyan], "
            "or [cyan]producthuntdb demo[/cyan])" + (": this file holds no table" if info.get("empty") else "")
        )
        return
    if info.get("locked_by"):
        console.print(
            f"[red]locked[/red] by {describe_holder(info['locked_by'])}: another process holds DuckDB's write "
            "lock; status can read once it finishes (or close that tool)."
        )
        return
    table = Table(title="tables", title_justify="left")
    table.add_column("schema", style="cyan")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for schema, counts in info["tables"].items():
        for name, rows in counts.items():
            table.add_row(schema, name, f"{rows:,}")
    for schema, names in info["views"].items():
        table.add_row(schema, f"{len(names)} views", "")
    console.print(table)
    if info["last_runs"]:
        runs = Table(title="last sync runs", title_justify="left")
        for column in RUN_COLUMNS:
            runs.add_column(column)
        for run in info["last_runs"]:
            runs.add_row(*("" if run.get(c) is None else str(run[c]) for c in RUN_COLUMNS))
        console.print(runs)
    else:
        console.print("no sync runs recorded yet")
    budget = info.get("budget") or {}
    if budget and info["last_runs"]:
        foreign = budget.get("foreign_points_last_run")
        console.print(
            f"budget: last run {budget.get('points_last_run')} points, last 24 h {budget.get('points_last_24h')} "
            f"points (the API allows {budget.get('window_budget')} per 15 minutes)"
            + (f"; other tools of this application spent {foreign} points meanwhile" if foreign else "")
        )
    backfill = info.get("backfill") or {}
    if backfill:
        console.print(describe_backfill(backfill), highlight=False, markup=False)
    if info.get("sweep"):
        console.print(info["sweep"], highlight=False, markup=False)
    for gap in info.get("gaps") or []:
        console.print(f"gap: {gap}", highlight=False, markup=False, soft_wrap=True)
    if info.get("export_files"):
        console.print(f"export: {info['export_dir']} ({len(info['export_files'])} files)")
