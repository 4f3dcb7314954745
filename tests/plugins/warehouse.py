"""Warehouse fixtures: a DuckDB file synced from the emulator and built by dbt once per session.

dbt invocations cost 10-20 s each, so the built file is made once (``small_built``) and
tests that mutate it work on a copy (``built_db_copy``); ``small_served`` gates and serves it once. ``write_fake_raw`` makes a tiny,
hand-written raw dataset shaped like dlt's output, for tests that need a specific defect.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from producthuntdb.settings import Settings
from producthuntdb.transform import BuildReport, run_build

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

LOAD_OLD = "1790000000.000001"
LOAD_NEW = "1790086400.000001"
LOAD_FAILED = "1790090000.000001"
"""A load with rows in the tables but no status-0 row in ``_dlt_loads``: dbt must ignore it."""


def warehouse_settings(data_dir: Path, db_path: Path) -> Settings:
    """Settings for a build of ``db_path`` (the working file), with dbt's target/log dirs under ``data_dir``."""
    return Settings(
        environment="testing", data_dir=data_dir, work_duckdb_path=db_path, dbt_project_dir=DBT_PROJECT_DIR
    )


def copy_settings(settings: Settings, data_dir: Path) -> Settings:
    """A copy of the working file ``settings.db_path`` in ``data_dir``, and Settings pointing at the copy."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "work" / "producthunt.duckdb"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.db_path, db_path)
    return settings.model_copy(
        update={
            "data_dir": data_dir,
            "work_duckdb_path": db_path,
            "duckdb_path": data_dir / "producthunt.duckdb",
            "pipelines_dir": data_dir / "dlt",
            "export_dir": data_dir / "export",
            "dbt_project_dir": DBT_PROJECT_DIR,
        }
    )


@pytest.fixture(scope="session")
def small_build(
    small_synced: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, BuildReport]:
    """The ``small_synced`` file, copied and built once per session: (settings, report)."""
    settings = copy_settings(small_synced, tmp_path_factory.mktemp("small_built"))
    return settings, run_build(settings)


@pytest.fixture(scope="session")
def small_built(small_build: tuple[Settings, BuildReport]) -> Settings:
    """Settings of a ``small`` world synced and built by dbt (read-only: copy before writing)."""
    return small_build[0]


@pytest.fixture(scope="session")
def small_served(small_built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """``small_built`` gated and served once per session: ``.served_path`` holds its marts.

    The working file is ``small_built``'s (read only); the served file, gate summary, Data Docs and
    exports live in a directory of their own. Tests that export take a copy with their own ``export_dir``.
    """
    from producthuntdb.quality import run_gate
    from producthuntdb.serve import run_serve

    data_dir = tmp_path_factory.mktemp("small_served")
    settings = small_built.model_copy(
        update={"data_dir": data_dir, "duckdb_path": data_dir / "producthunt.duckdb", "export_dir": data_dir / "export"}
    )
    gate = run_gate(settings)
    assert gate.passed, gate.failures
    run_serve(settings, gate)
    return settings


@pytest.fixture
def built_db_copy(small_built: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A private copy of the built file for tests that write to it."""
    yield copy_settings(small_built, tmp_path / "built")


def write_fake_raw(path: Path, *, optional: bool = True) -> None:
    """Write a tiny raw dataset with dlt's layout (``_dlt_load_id``, ``_dlt_id``, ``_dlt_loads``).

    Two completed loads and one failed load; a post present in both completed loads (the
    newer wins), redacted users and maker ids, and ``[REDACTED]`` strings. With
    ``optional=False`` the opt-in tables (users, comments, votes, collections) are absent.
    """
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        con.execute(
            "create table raw._dlt_loads (load_id varchar, schema_name varchar, status bigint,"
            " inserted_at timestamptz, schema_version_hash varchar)"
        )
        con.execute(
            "insert into raw._dlt_loads values"
            f" ('{LOAD_OLD}', 'producthunt', 0, now() - interval 1 day, 'h'),"
            f" ('{LOAD_NEW}', 'producthunt', 0, now(), 'h')"
        )
        con.execute(
            "create table raw.posts (id varchar, name varchar, tagline varchar, description varchar,"
            " slug varchar, url varchar, website varchar, votes_count bigint, comments_count bigint,"
            " reviews_count bigint, reviews_rating double, created_at timestamptz, featured_at timestamptz,"
            " user_id varchar, _dlt_load_id varchar not null, _dlt_id varchar not null)"
        )
        con.execute(
            "insert into raw.posts values"
            f" ('1', ' Alpha ', 'first', null, 'alpha', 'https://ph/p/alpha', 'https://ph/r/1', 10, 2, 0, 0,"
            f"  '2026-09-29 08:00:00+00', '2026-09-29 09:00:00+00', '0', '{LOAD_OLD}', 'a1'),"
            f" ('2', 'Beta', 'second', 'd', 'beta', 'https://ph/p/beta', 'https://ph/r/2', 5, 1, 1, 4.5,"
            f"  '2026-09-29 10:00:00+00', null, '77', '{LOAD_OLD}', 'a2'),"
            f" ('2', 'Beta v2', 'second', 'd', 'beta', 'https://ph/p/beta', 'https://ph/r/2', 7, 1, 1, 4.5,"
            f"  '2026-09-29 10:00:00+00', null, '77', '{LOAD_NEW}', 'b2'),"
            f" ('3', 'Gamma', '', null, 'gamma', 'https://ph/p/gamma', null, 3, 0, 0, 0,"
            f"  '2026-09-30 10:00:00+00', '2026-09-30 11:00:00+00', '0', '{LOAD_NEW}', 'b3'),"
            f" ('4', 'Ghost', 'from a failed load', null, 'ghost', null, null, 1, 0, 0, 0,"
            f"  '2026-09-30 12:00:00+00', null, '0', '{LOAD_FAILED}', 'c4')"
        )
        con.execute(
            "create table raw.post_metrics (post_id varchar, votes_count bigint, comments_count bigint,"
            " observed_at timestamptz, run_id varchar, _dlt_load_id varchar not null, _dlt_id varchar not null)"
        )
        con.execute(
            "insert into raw.post_metrics values"
            f" ('1', 10, 2, '2026-09-30 00:00:00+00', 'r1', '{LOAD_OLD}', 'm1'),"
            f" ('2', 5, 1, '2026-09-30 00:00:00+00', 'r1', '{LOAD_OLD}', 'm2'),"
            f" ('1', 12, 3, '2026-10-01 00:00:00+00', 'r2', '{LOAD_NEW}', 'm3'),"
            f" ('2', 7, 1, '2026-10-01 00:00:00+00', 'r2', '{LOAD_NEW}', 'm4'),"
            f" ('3', 3, 0, '2026-10-01 00:00:00+00', 'r2', '{LOAD_NEW}', 'm5')"
        )
        con.execute(
            "create table raw.topics (id varchar, name varchar, slug varchar, description varchar,"
            " followers_count bigint, posts_count bigint, created_at timestamptz, url varchar,"
            " _dlt_load_id varchar not null, _dlt_id varchar not null)"
        )
        con.execute(
            "insert into raw.topics values"
            f" ('10', 'AI', 'ai', 'Artificial intelligence', 100, 2, '2020-01-01 00:00:00+00', 'https://ph/t/ai',"
            f"  '{LOAD_OLD}', 't1'),"
            f" ('11', 'Dev Tools', 'dev-tools', null, 50, 1, '2020-01-01 00:00:00+00', 'https://ph/t/dev',"
            f"  '{LOAD_OLD}', 't2')"
        )
        con.execute(
            "create table raw.post_topics (post_id varchar, topic_id varchar,"
            " _dlt_load_id varchar not null, _dlt_id varchar not null)"
        )
        con.execute(
            "insert into raw.post_topics values"
            f" ('1', '10', '{LOAD_OLD}', 'pt1'), ('1', '11', '{LOAD_OLD}', 'pt2'),"
            f" ('2', '10', '{LOAD_NEW}', 'pt3'), ('3', '11', '{LOAD_NEW}', 'pt4')"
        )
        con.execute(
            "create table raw.post_makers (post_id varchar, position bigint, maker_id varchar,"
            " _dlt_load_id varchar not null, _dlt_id varchar not null)"
        )
        con.execute(
            "insert into raw.post_makers values"
            f" ('1', 0, '0', '{LOAD_OLD}', 'pm1'), ('1', 1, '0', '{LOAD_OLD}', 'pm2'),"
            f" ('2', 0, '77', '{LOAD_NEW}', 'pm3'), ('3', 0, '0', '{LOAD_NEW}', 'pm4')"
        )
        if optional:
            _write_optional(con)
    finally:
        con.close()


def _write_optional(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create table raw.users (id varchar, name varchar, username varchar, headline varchar, url varchar,"
        " profile_image varchar, twitter_username varchar, website_url varchar, is_maker boolean,"
        " created_at timestamptz, _dlt_load_id varchar not null, _dlt_id varchar not null)"
    )
    con.execute(
        "insert into raw.users values"
        f" ('77', 'Viewer', 'viewer', 'I build', 'https://ph/@viewer', null, null, null, true,"
        f"  '2019-01-01 00:00:00+00', '{LOAD_OLD}', 'u1'),"
        f" ('0', '[REDACTED]', '[REDACTED]', null, '[REDACTED]', null, null, null, false,"
        f"  null, '{LOAD_OLD}', 'u0')"
    )
    con.execute(
        "create table raw.collections (id varchar, name varchar, tagline varchar, description varchar,"
        " url varchar, cover_image varchar, followers_count bigint, created_at timestamptz,"
        " featured_at timestamptz, user_id varchar, _dlt_load_id varchar not null, _dlt_id varchar not null)"
    )
    con.execute(
        "insert into raw.collections values"
        f" ('500', 'Best of AI', 'AI picks', null, 'https://ph/c/500', null, 9, '2025-01-01 00:00:00+00',"
        f"  null, '0', '{LOAD_OLD}', 'c1')"
    )
    con.execute(
        "create table raw.collection_posts (collection_id varchar, post_id varchar,"
        " _dlt_load_id varchar not null, _dlt_id varchar not null)"
    )
    con.execute(
        f"insert into raw.collection_posts values ('500', '1', '{LOAD_OLD}', 'cp1'), ('500', '2', '{LOAD_OLD}', 'cp2')"
    )
    con.execute(
        "create table raw.comments (id varchar, post_id varchar, parent_id varchar, body varchar, url varchar,"
        " user_id varchar, votes_count bigint, created_at timestamptz,"
        " _dlt_load_id varchar not null, _dlt_id varchar not null)"
    )
    con.execute(
        "insert into raw.comments values"
        f" ('900', '1', null, ' Great launch! ', 'https://ph/cm/900', '0', 2, '2026-09-29 12:00:00+00',"
        f"  '{LOAD_OLD}', 'cm1'),"
        f" ('901', '1', '900', 'Thanks', 'https://ph/cm/901', '77', 0, '2026-09-29 13:00:00+00',"
        f"  '{LOAD_NEW}', 'cm2')"
    )
    con.execute(
        "create table raw.votes (id varchar, post_id varchar, user_id varchar, created_at timestamptz,"
        " _dlt_load_id varchar not null, _dlt_id varchar not null)"
    )
    con.execute(
        "insert into raw.votes values"
        f" ('7000', '1', '0', '2026-09-29 09:30:00+00', '{LOAD_OLD}', 'v1'),"
        f" ('7001', '2', '77', '2026-09-29 11:00:00+00', '{LOAD_NEW}', 'v2')"
    )
