"""``producthuntdb pull``: an export of the emulator's world becomes the served file, checked file by
file; with ``--resume`` a new working file continues the harvest from the export's position.

One harvest ("origin") of a ``tiny`` world at time T is built, gated, served and exported once per
module. The tests pull that export from a directory, over HTTP and from the Kaggle stand-in, tamper
with it, and resume from it: after the emulator's clock moves a day, the resumed file's sync costs
at most twice the origin's own incremental day, and its marts equal the origin's (whose harvest
from scratch equals the emulator's truth).
"""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pytest
from loguru import logger
from pydantic import SecretStr
from typer.testing import CliRunner

from producthuntdb import pipeline
from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorServer
from producthuntdb.pull import run_pull
from producthuntdb.settings import Settings
from producthuntdb.sync import run_sync
from producthuntdb.syncmodel import SyncOptions
from tests.plugins.cli import WIDE
from tests.plugins.emulator import admin
from tests.plugins.pipeline import TEST_TOKEN, UNTHROTTLED, emulator_truth, test_settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
ROOT = Path(__file__).resolve().parents[2]
DAY = 24 * 3600
COMPARED = {
    # mart: columns that may differ between two harvests of the same world at different moments
    "posts": {"counts_observed_at"},
    "post_topics": set(),
    "post_makers": set(),
    "topics": set(),
    "users": set(),
    "collections": set(),
    "collection_posts": set(),
    "comments": set(),
    "votes": set(),
}


@dataclass
class Origin:
    server: EmulatorServer
    settings: Settings
    export: Path


def _options(**flags: Any) -> SyncOptions:
    return SyncOptions(progress=False, **flags)


def _publish_stages(settings: Settings) -> None:
    """build → check → serve → export, the gate once, as ``run`` does after its sync."""
    pipeline.build(settings)
    gate = pipeline.check(settings)
    pipeline.require_passed(gate)
    pipeline.serve(settings, gate)
    pipeline.export(settings, gate)


@pytest.fixture(scope="module")
def pull_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origin]:
    from producthuntdb.emulator import EmulatorConfig
    from tests.plugins.emulator import shared_world

    config = EmulatorConfig(scale="tiny", budget=UNTHROTTLED, redaction=False)
    server = EmulatorServer(config, world=shared_world(config)).start()
    try:
        settings = test_settings(tmp_path_factory.mktemp("origin"), server.url)
        run_sync(settings, _options(with_=frozenset({"comments", "votes"})))
        _publish_stages(settings)
        yield Origin(server, settings, settings.export_path)
    finally:
        server.stop()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mart_rows(db: Path, mart: str, skip: set[str]) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = [
            r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
                "order by ordinal_position", [mart],
            ).fetchall()
            if not r[0].startswith("_") and r[0] not in skip
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f"select {listed} from marts.{mart} order by all").fetchall()
    finally:
        con.close()


def _assert_served_equals_export(settings: Settings, export: Path, tmp: Path) -> None:
    """Exporting the served file gives back every file of ``export``, byte for byte."""
    import json

    again = pipeline.export(settings, out_dir=tmp / "again")
    manifest = json.loads((export / "manifest.json").read_text("utf-8"))
    for table, info in manifest["tables"].items():
        for fmt, entry in info["files"].items():
            assert _sha(again.out_dir / entry["path"]) == entry["sha256"], f"{table} {fmt}"


def test_pull_from_a_directory_builds_the_served_file_of_the_export(pull_origin: Origin, tmp_path: Path) -> None:
    settings = test_settings(tmp_path / "data", pull_origin.server.url)
    killed = settings.data_dir / ".pull-0123abcd"  # a download a killed pull left: marked as ours
    killed.mkdir(parents=True)
    (killed / ".producthuntdb-pull").write_text("")
    notes = settings.data_dir / ".pull-notes"  # not ours: kept
    notes.mkdir()
    report = run_pull(settings, str(pull_origin.export))
    assert report.working_path is None and not settings.db_path.exists(), "no working file without --resume"
    assert not killed.exists() and notes.is_dir()
    assert not list(settings.data_dir.glob(".pull-[0-9a-f]*")), "the download directory is removed"
    assert report.tables == _counts(pull_origin.settings.served_path)
    _assert_served_equals_export(settings, pull_origin.export, tmp_path)
    con = duckdb.connect(str(settings.served_path), read_only=True)
    try:
        comment = con.execute(
            "select comment from duckdb_columns() where table_name = 'posts' and column_name = 'votes_count'"
        ).fetchone()
        published = con.execute("select gate_passed, published_at from meta.publication").fetchone()
    finally:
        con.close()
    assert comment and comment[0], "column docs are comments, as serve writes them"
    assert published is not None and published[0] is True and published[1] == report.published_at


def _counts(db: Path) -> dict[str, int]:
    from producthuntdb.warehouse import mart_counts_of

    return mart_counts_of(db)


def test_a_tampered_file_is_one_line_exit_1_and_the_served_file_is_unchanged(
    pull_origin: Origin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "export"
    shutil.copytree(pull_origin.export, export)
    data = tmp_path / "data"
    data.mkdir()
    served = data / "producthunt.duckdb"
    shutil.copyfile(pull_origin.settings.served_path, served)
    before = _sha(served)
    csv = export / "posts.csv"
    csv.write_bytes(csv.read_bytes().replace(b",", b";", 1))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["pull", "--from", str(export), "--data-dir", str(data)], env=WIDE)
    logger.remove()
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "posts.csv does not match manifest.json" in lines[0], lines
    assert _sha(served) == before
    left = [p.name for p in data.rglob("*") if p.is_file() and not p.is_relative_to(data / "logs")]
    assert left == ["producthunt.duckdb"], "no download, temporary or working file is left behind"


def test_pull_over_http_verifies_every_file(pull_origin: Origin, tmp_path: Path) -> None:
    handler = partial(_QuietHandler, directory=str(pull_origin.export))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = test_settings(tmp_path / "data", pull_origin.server.url)
        run_pull(settings, f"http://127.0.0.1:{server.server_port}/")
    finally:
        server.shutdown()
        server.server_close()
    _assert_served_equals_export(settings, pull_origin.export, tmp_path)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_pull_from_the_kaggle_standin_works_the_same_way(pull_origin: Origin, tmp_path: Path, kaggle_standin: Any) -> None:
    from producthuntdb.publish import run_publish

    credentials = {"kaggle_username": kaggle_standin.username, "kaggle_key": SecretStr(kaggle_standin.key)}
    publisher = pull_origin.settings.model_copy(update=credentials)
    run_publish(publisher, export_dir=pull_origin.export)
    settings = test_settings(tmp_path / "data", pull_origin.server.url, **credentials)
    report = run_pull(settings)
    assert report.source == f"kaggle:{settings.kaggle_dataset}"
    assert "DownloadDataset" in kaggle_standin.names()
    _assert_served_equals_export(settings, pull_origin.export, tmp_path)


def test_pull_from_kaggle_without_credentials_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "pull"], env=WIDE)
    logger.remove()
    assert result.exit_code == 2
    assert "Kaggle credentials are not set" in result.stderr and "--from DIR|URL" in result.stderr


def test_resume_refuses_an_existing_working_file(pull_origin: Origin, tmp_path: Path) -> None:
    from producthuntdb.errors import StageError

    settings = test_settings(tmp_path / "data", pull_origin.server.url)
    settings.db_path.parent.mkdir(parents=True)
    settings.db_path.write_bytes(b"mine")
    with pytest.raises(StageError, match="seeds only a new working file"):
        run_pull(settings, str(pull_origin.export), resume=True)
    assert settings.db_path.read_bytes() == b"mine"


def test_resume_continues_the_harvest_for_the_price_of_an_incremental_day(
    pull_origin: Origin, tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    resumed = test_settings(tmp_path / "resumed", pull_origin.server.url)
    report = run_pull(resumed, str(pull_origin.export), resume=True)
    assert report.working_path == resumed.db_path and report.high_water
    # a day later (the same world, its clock moved): the origin's own incremental day, and the resumed file's
    later = emulator_factory(scale="tiny", budget=UNTHROTTLED, redaction=False)
    admin(later, "clock", {"advance_seconds": DAY})
    shutil.copytree(pull_origin.settings.data_dir, tmp_path / "origin")
    scratch = test_settings(tmp_path / "origin", later.url)
    resumed = test_settings(tmp_path / "resumed", later.url)
    # (the marts built from the seeded raw rows are compared below, after the day: every mart of the
    # published dataset is rebuilt whole from them, then merged with what the day brought)
    incremental = run_sync(scratch, _options())
    first = run_sync(resumed, _options())
    assert incremental.status == first.status == "ok"
    assert incremental.points > 0 and incremental.rows.get("posts", 0) > 0, "the day brought new posts"
    print(f"points of the day: from scratch {incremental.points}, resumed {first.points}")
    assert first.points <= 2 * incremental.points, (first.points, incremental.points)

    pipeline.build(scratch)
    pipeline.build(resumed)
    gate = pipeline.check(resumed)
    pipeline.require_passed(gate)
    truth = emulator_truth(later.base_url)
    assert _counts(resumed.db_path)["posts"] == truth["posts"]
    for mart, skip in {**COMPARED, "post_metrics_history": {"run_id", "observed_at"}}.items():
        assert _mart_rows(resumed.db_path, mart, skip) == _mart_rows(scratch.db_path, mart, skip), mart


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODUCTHUNT_TOKEN", TEST_TOKEN)
