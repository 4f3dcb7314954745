"""``producthuntdb doctor``: is this machine ready to sync? Each check is ✓ or ✗ with the fix.

The checks talk to the real things — the API (a ``viewer`` query, the cheapest authenticated
request), the working DuckDB file (opened for writing, the way a sync will), the served file
(what readers open: can DuckDB 1.x clients read it?) and the disk — so a green doctor means a
sync will not fail for a reason it could have told you first.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx
from rich.console import Console
from rich.markup import escape

from producthuntdb import warehouse
from producthuntdb.settings import Settings, file_in_the_way, mask_secrets
from producthuntdb.warehouse import DatabaseUnavailable, database_problem, describe_holder

VIEWER_QUERY = "query Doctor { viewer { user { id } } }"
MIN_FREE_BYTES = 1 << 30
DB_CHECK = "working file"
SERVED_CHECK = "served file"
TOKEN_HELP = "https://www.producthunt.com/v2/oauth/applications"
PACKAGES = {
    # distribution: (required prefix or None, why it matters)
    "dlt": (None, "extraction"),
    "dbt-core": ("1.11.", "transformations (1.12 cannot install offline)"),
    "dbt-duckdb": (None, "dbt's DuckDB adapter"),
    "duckdb": (None, "the database"),
    "great-expectations": ("1.24.", "the quality gate"),
    "pydantic-settings": (None, "configuration"),
    "httpx": (None, "the API client"),
}


@dataclass
class Check:
    """One doctor line: ✓/✗, what was found, and (when ✗) what to do about it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_config(settings: Settings) -> list[Check]:
    checks = []
    token_problems = settings.token_problems()
    if token_problems:
        checks.append(
            Check(
                "token", False, token_problems[0], f"create a developer token at {TOKEN_HELP}, then export it"
            )
        )
    else:
        checks.append(Check("token", True, "PRODUCTHUNT_TOKEN is set and well-formed"))
    kaggle = settings.kaggle_problems()
    if kaggle:
        checks.append(
            Check("kaggle", False, kaggle[0], "set both PRODUCTHUNT_KAGGLE_USERNAME and _KAGGLE_KEY")
        )
    elif settings.kaggle_username:
        checks.append(Check("kaggle", True, f"credentials set for {settings.kaggle_username}"))
    else:
        checks.append(Check("kaggle", True, "not set (only `publish` needs them)"))
    return checks


def check_api(settings: Settings) -> list[Check]:
    """Reachability, token validity and remaining budget from one ``viewer`` request."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    has_token = not settings.token_problems()
    if has_token:
        headers["Authorization"] = f"Bearer {settings.token_value()}"
    timeout = httpx.Timeout(min(settings.read_timeout, 15.0), connect=min(settings.connect_timeout, 10.0))
    try:
        with httpx.Client(timeout=timeout) as client:
            response = client.post(settings.api_url, json={"query": VIEWER_QUERY}, headers=headers)
    except httpx.HTTPError as exc:
        return [
            Check(
                "api",
                False,
                f"{settings.api_url} unreachable ({type(exc).__name__})",
                "check the network, or PRODUCTHUNT_API_URL (e.g. the emulator: producthuntdb api serve)",
            )
        ]
    checks = [Check("api", True, f"{settings.api_url} answered HTTP {response.status_code}")]
    if not has_token:
        return checks
    if response.status_code == 401:
        checks.append(
            Check(
                "token valid",
                False,
                "the API rejected the token (HTTP 401)",
                f"create a new token at {TOKEN_HELP}",
            )
        )
    elif response.status_code == 200:
        try:
            body = response.json()
        except ValueError:
            body = {}
        viewer = (body.get("data") or {}).get("viewer") if isinstance(body, dict) else None
        if viewer is not None:
            checks.append(Check("token valid", True, "a viewer query succeeded"))
        else:
            errors = body.get("errors") if isinstance(body, dict) else None
            checks.append(
                Check(
                    "token valid",
                    False,
                    f"viewer query failed: {errors or 'no data'}",
                    "check the token's scope",
                )
            )
    elif response.status_code != 429:
        checks.append(
            Check(
                "token valid",
                False,
                f"unexpected HTTP {response.status_code}",
                "retry later; see the API status",
            )
        )
    checks.append(_budget_check(response))
    return checks


def _budget_check(response: httpx.Response) -> Check:
    limit = response.headers.get("X-Rate-Limit-Limit")
    remaining = response.headers.get("X-Rate-Limit-Remaining")
    reset = response.headers.get("X-Rate-Limit-Reset")
    if response.status_code == 429:
        return Check(
            "budget", False, f"spent (HTTP 429), resets in {reset or '?'} s", "wait for the window to reset"
        )
    if remaining is None:
        return Check(
            "budget", False, "no X-Rate-Limit headers in the answer", "is PRODUCTHUNT_API_URL the API?"
        )
    return Check("budget", True, f"{remaining} of {limit} points left, window resets in {reset} s")


def check_duckdb(settings: Settings) -> Check:
    """Open the DB for writing like a sync would; a held lock names its holder."""
    db = settings.db_path
    if not db.exists():
        blocker = file_in_the_way(db.parent)
        if blocker is not None:
            return Check(
                DB_CHECK,
                False,
                f"{db.parent} cannot be created: {blocker} is a file, not a directory",
                "choose a PRODUCTHUNT_DATA_DIR (or PRODUCTHUNT_DUCKDB_PATH) under a directory",
            )
        parent = _existing_parent(db.parent)
        if parent is None or not _writable(parent):
            return Check(
                DB_CHECK, False, f"{db.parent} cannot be created", "choose PRODUCTHUNT_DATA_DIR you can write"
            )
        return Check(DB_CHECK, True, f"{db} will be created on the first sync")
    problem = database_problem(db)
    if problem is not None:
        return Check(DB_CHECK, False, problem, "restore the file from a backup, or move it away and sync again")
    try:
        warehouse.connect(db, read_only=False).close()
    except DatabaseUnavailable as exc:
        holder = exc.holder
        if holder is not None:
            return Check(
                DB_CHECK,
                False,
                f"{db} is locked by {describe_holder(holder)}",
                f"only the pipeline opens the working file (readers use {settings.served_path}): wait for the "
                f"running sync or build, or stop it: kill {holder['pid']}",
            )
        return Check(DB_CHECK, False, f"{db} cannot be opened: {exc.reason}", "check the file")
    return Check(DB_CHECK, True, f"{db} is writable and not locked (only the pipeline opens it)")


def check_served(settings: Settings) -> Check:
    """The served file readers open, checked as they would meet it.

    In a storage version DuckDB 1.4/1.5 clients read; no client holding it read-write (readers
    could not open it); no stray WAL beside it (every reader would fail to replay it); every
    table's blocks inside the file (a truncated copy opens, then fails mid-query); and its marts'
    row counts those its ``meta.publication`` records (what ``export`` ships).
    """
    served = settings.served_path
    if not served.is_file():
        return Check(SERVED_CHECK, True, f"{served} will be published by the first run whose gate passes")
    republish = "run `producthuntdb serve` to republish it from the working file (or `producthuntdb run`)"
    version = warehouse.storage_version_number(served)
    if version not in warehouse.READABLE_BY_CLIENTS:
        return Check(
            SERVED_CHECK,
            False,
            f"{served} has storage version {warehouse.describe_storage_version(version)}: the DuckDB 1.4/1.5 "
            "clients people have (CLI, Node, BI tools) cannot open it",
            f"run `producthuntdb serve` to republish it as {settings.storage_version}",
        )
    problem = _served_problem(served)
    if problem is not None:
        detail, fix = problem
        return Check(SERVED_CHECK, False, detail, fix or republish)
    return Check(
        SERVED_CHECK,
        True,
        f"{served} is what readers open (storage version {warehouse.describe_storage_version(version)});"
        " its marts are those its publication records; the pipeline replaces it atomically and never waits for them",
    )


def _served_problem(served: Path) -> tuple[str, str] | None:
    """What a reader would meet opening ``served``: (problem, fix; empty means republish), or None."""
    from producthuntdb.serve import STRAY_WAL, read_publication

    try:
        con = warehouse.connect(served, read_only=True)
    except DatabaseUnavailable as exc:
        if exc.holder is not None or "Could not set lock" in exc.reason:
            who = describe_holder(exc.holder) if exc.holder else "another process"
            return (
                f"{served} is open read-write in {who}: readers cannot open it, and serve will not replace it",
                "close that connection: BI tools and notebooks open the served file read-only "
                "(`duckdb -readonly`, `read_only=True`, a read-only DBeaver connection)",
            )
        if STRAY_WAL in exc.reason:
            return f"{served}.wal does not belong to {served} (a stray WAL): every reader fails to open the file", ""
        return f"{served} cannot be opened: {exc.reason}", ""
    con.close()
    damaged = database_problem(served, advice="")
    if damaged is not None:
        return damaged, ""
    try:
        with warehouse.opened(served) as con:
            publication = read_publication(con)
            counts = warehouse.mart_counts(con) if publication is not None else {}
    except Exception as exc:  # damage that the block check cannot see fails at the first query reaching it
        return f"{served} is damaged ({(str(exc).strip().splitlines() or [type(exc).__name__])[0]})", ""
    if publication is None:
        return f"{served} holds no meta.publication: it was not published by `producthuntdb serve`", ""
    if counts != publication["row_counts"]:
        recorded = publication["row_counts"]
        changed = sorted(t for t in set(counts) | set(recorded) if counts.get(t) != recorded.get(t))
        return f"{served}: the rows of {', '.join(changed[:3])} are not those its publication records", ""
    return None


MIN_POSTGRES = 120000
"""PostgreSQL 12: the oldest release dlt and dbt-postgres 1.11 support."""


def check_warehouse(settings: Settings) -> Check:
    """Reach a server destination the way a sync would: connectivity, version, create rights."""
    from producthuntdb.errors import ProductHuntDBError
    from producthuntdb.warehouse.server import postgres_facts
    from producthuntdb.warehouse.targets import problems as destination_problems

    server = warehouse.open(settings)
    name = f"{server.name} destination"
    problems = destination_problems(settings)
    if problems:
        return Check(name, False, problems[0], "see README, 'Running on a warehouse'")
    where = server.describe()
    if not server.readable:
        return Check(
            name, True, f"{where} configured (untested recipe: the first sync proves the connection)"
        )
    schemas = (settings.dataset_name, f"{settings.dataset_name}_staging", "staging", "marts")
    try:
        facts = postgres_facts(settings, schemas)
    except ProductHuntDBError as exc:
        return Check(name, False, str(exc), "start the server, or fix PRODUCTHUNT_POSTGRES_URL")
    if facts.version_num < MIN_POSTGRES:
        return Check(name, False, f"PostgreSQL {facts.version} at {where} is older than 12", "upgrade the server")
    if not facts.can_create:
        return Check(
            name,
            False,
            f"user {facts.user} may not create schemas in database {facts.database} at {where}",
            f'GRANT CREATE ON DATABASE "{facts.database}" TO "{facts.user}" (or create schemas'
            f" {', '.join(schemas)} owned by that user)",
        )
    return Check(name, True, f"PostgreSQL {facts.version} at {where}; {facts.user} may create schemas")


def _existing_parent(path: Path) -> Path | None:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return None


def _writable(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK)


def check_disk(settings: Settings) -> Check:
    where = _existing_parent(settings.data_dir.resolve()) or Path("/")
    free = shutil.disk_usage(where).free
    gib = free / (1 << 30)
    if free < MIN_FREE_BYTES:
        return Check(
            "disk", False, f"{gib:.2f} GiB free at {where}", "free space or move PRODUCTHUNT_DATA_DIR"
        )
    return Check("disk", True, f"{gib:.1f} GiB free at {where}")


def check_packages() -> list[Check]:
    checks = [
        Check(
            "python",
            sys.version_info >= (3, 11),
            f"Python {sys.version.split()[0]}",
            "use Python 3.11 or newer",
        )
    ]
    for dist, (prefix, why) in PACKAGES.items():
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            checks.append(Check(dist, False, f"not installed ({why})", "make install"))
            continue
        ok = prefix is None or version.startswith(prefix)
        checks.append(
            Check(dist, ok, f"{version} ({why})", f"pip install '{dist}=={prefix}*'" if not ok else "")
        )
    return checks


def check_dbt_project(settings: Settings) -> Check:
    project = settings.dbt_project_dir / "dbt_project.yml"
    if project.is_file():
        return Check("dbt project", True, str(project))
    return Check(
        "dbt project",
        False,
        f"{project} not found",
        "run from the repository root or set PRODUCTHUNT_DBT_PROJECT_DIR",
    )


def run_doctor(settings: Settings) -> list[Check]:
    """Every check, in the order an operator would fix them."""
    checks = check_config(settings)
    checks += check_api(settings)
    if not warehouse.open(settings).has_served_file:
        checks.append(check_warehouse(settings))  # no DuckDB files: the server is both
    else:
        checks.append(check_duckdb(settings))
        checks.append(check_served(settings))
    checks.append(check_disk(settings))
    checks.append(check_dbt_project(settings))
    checks += check_packages()
    return checks


def render_checks(checks: list[Check], console: Console, secrets: list[str]) -> None:
    for check in checks:
        mark = "[green]✓[/green]" if check.ok else "[red]✗[/red]"
        console.print(
            f"{mark} " + escape(mask_secrets(f"{check.name}: {check.detail}", secrets)),
            highlight=False,
            soft_wrap=True,  # one line per check, whatever the width: easy to grep in CI logs
        )
        if not check.ok and check.fix:
            console.print(
                f"    fix: {mask_secrets(check.fix, secrets)}", highlight=False, markup=False, soft_wrap=True
            )
    failed = sum(not c.ok for c in checks)
    console.print(f"{len(checks) - failed} ok, {failed} to fix" if failed else f"all {len(checks)} checks ok")
