"""Export of a real built small world: files equal the marts, manifest and checksums hold."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from producthuntdb import dirswap
from producthuntdb.errors import StageError
from producthuntdb.export import KAGGLE_METADATA, MANIFEST, ExportReport, run_export
from producthuntdb.settings import Settings
from producthuntdb.warehouse import mart_counts_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(small_served: Settings, tmp_path_factory: pytest.TempPathFactory) -> ExportReport:
    data_dir = tmp_path_factory.mktemp("export")
    settings = small_served.model_copy(update={"data_dir": data_dir, "export_dir": data_dir / "export"})
    return run_export(settings)


def test_export_reread_equals_the_marts(exported: ExportReport, small_built: Settings) -> None:
    marts = mart_counts_of(small_built.db_path)
    manifest = json.loads((exported.out_dir / MANIFEST).read_text("utf-8"))

    assert set(manifest["tables"]) == set(marts) and marts["posts"] > 0
    con = duckdb.connect()
    try:
        for table, rows in marts.items():
            parquet = exported.out_dir / f"{table}.parquet"
            read = con.execute("select count(*) from read_parquet(?)", [str(parquet)]).fetchone()[0]  # type: ignore[index]
            with (exported.out_dir / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
                csv_rows = sum(1 for _ in csv.reader(handle)) - 1
            assert read == rows == manifest["tables"][table]["rows"] == exported.tables[table], table
            assert csv_rows == rows, table
        # not only counts: every file holds the very same rows as its mart, with the same types
        # (ids stay text, timestamps stay naive UTC); the CSV read back with the manifest's types
        con.execute(f"attach '{small_built.db_path}' as db (read_only)")
        for table, info in manifest["tables"].items():
            columns = ", ".join(c["name"] for c in info["columns"])
            types = ", ".join(f"'{c['name']}': '{c['type']}'" for c in info["columns"])
            parquet = f"read_parquet('{exported.out_dir / f'{table}.parquet'}')"
            described = con.execute(f"describe select {columns} from {parquet}").fetchall()
            assert [(r[0], r[1]) for r in described] == [(c["name"], c["type"]) for c in info["columns"]], table
            for copy in (parquet, f"read_csv('{exported.out_dir / f'{table}.csv'}', header = true, columns = {{{types}}})"):
                diff = con.execute(
                    f"select count(*) from ((select {columns} from db.marts.{table} except all "
                    f"select {columns} from {copy}) union all "
                    f"(select {columns} from {copy} except all select {columns} from db.marts.{table}))"
                ).fetchone()[0]  # type: ignore[index]
                assert diff == 0, (table, copy)
            with (exported.out_dir / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
                assert next(csv.reader(handle)) == [c["name"] for c in info["columns"]], table
    finally:
        con.close()


def test_manifest_checksums_types_window_and_versions(exported: ExportReport) -> None:
    manifest = json.loads((exported.out_dir / MANIFEST).read_text("utf-8"))

    for table, info in manifest["tables"].items():
        for fmt in ("parquet", "csv"):
            entry = info["files"][fmt]
            data = (exported.out_dir / entry["path"]).read_bytes()
            assert entry["path"] == f"{table}.{fmt}"
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert entry["bytes"] == len(data)
        assert all(c["type"] and not c["name"].startswith("_") for c in info["columns"])
    posts_types = {c["name"]: c["type"] for c in manifest["tables"]["posts"]["columns"]}
    assert posts_types["post_id"] == "VARCHAR" and posts_types["votes_count"] == "BIGINT"
    window = manifest["sync_window"]
    assert (
        window["min_created_at"]
        and window["max_created_at"]
        and window["min_created_at"] <= window["max_created_at"]
    )
    assert window["max_created_at"].endswith("Z"), "the window says it is UTC"
    assert set(manifest["versions"]) >= {"producthuntdb", "dlt", "dbt-core", "duckdb", "great-expectations"}
    assert manifest["gate"]["passed"] is True and manifest["generated_at"]
    files = {p.name for p in exported.out_dir.iterdir()}
    assert files == {MANIFEST, KAGGLE_METADATA} | {
        f"{t}.{x}" for t in manifest["tables"] for x in ("parquet", "csv")
    }


def test_kaggle_metadata_carries_dbt_column_docs(exported: ExportReport, small_built: Settings) -> None:
    metadata = json.loads((exported.out_dir / KAGGLE_METADATA).read_text("utf-8"))

    assert metadata["id"] == small_built.kaggle_dataset
    assert 6 <= len(metadata["title"]) <= 50 and len(metadata["licenses"]) == 1
    resources = {r["path"]: r for r in metadata["resources"]}
    assert set(resources) == {p.name for p in exported.out_dir.iterdir()} - {MANIFEST, KAGGLE_METADATA}
    fields = {f["name"]: f for f in resources["posts.parquet"]["schema"]["fields"]}
    assert "post id" in fields["post_id"]["description"].lower()
    assert fields["votes_count"]["type"] == "integer" and fields["created_at"]["type"] == "datetime"
    assert resources["posts.csv"]["description"]
    undocumented = [
        (path, f["name"]) for path, r in resources.items() for f in r["schema"]["fields"] if not f["description"]
    ]
    assert undocumented == [], "every exported column has a description"
    # the data dictionary, from the same YAML, with the calendar and rank definitions resolved
    assert "## Data dictionary" in metadata["description"] and "### leaderboard_daily" in metadata["description"]
    assert fields["launch_date"]["description"].startswith("Launch day on Product Hunt's calendar: the America/Los_Angeles")
    assert "{{" not in json.dumps(metadata)


def test_export_owns_only_the_files_its_manifest_lists(small_served: Settings, tmp_path: Path) -> None:
    settings = small_served.model_copy(update={"data_dir": tmp_path, "export_dir": tmp_path / "export"})
    out = tmp_path / "export"
    out.mkdir()
    (out / "stale.csv").write_text("old,export\n", "utf-8")
    with pytest.raises(StageError, match="not empty"):  # a first export never goes into someone's folder
        run_export(settings)
    assert (out / "stale.csv").is_file()

    # an (old) export listed stale.csv and a file the new one also writes; a killed export left its
    # (marked) temporary directory, and someone a directory of theirs with a similar name
    old = {"tables": {"gone": {"rows": 1, "files": {"csv": {"path": "stale.csv"}, "parquet": {"path": "posts.csv"}}}}}
    (out / MANIFEST).write_text(json.dumps(old), "utf-8")
    (out / "posts.csv").write_text("old\n", "utf-8")
    dirswap.temp_dir(out.resolve())
    (tmp_path / ".export.tmp-deadbeef").mkdir()
    report = run_export(settings)

    assert report.out_dir == out.resolve()
    assert not (out / "stale.csv").exists()  # listed by the old manifest, not by the new one: removed
    assert (out / MANIFEST).is_file() and json.loads((out / MANIFEST).read_text("utf-8"))["tables"]["posts"]
    assert (out / "posts.csv").read_text("utf-8") != "old\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export.tmp")] == [".export.tmp-deadbeef"]


def test_no_tracking_parameter_nor_the_operators_profile_in_any_exported_file(
    exported: ExportReport, small_built: Settings
) -> None:
    """The API's website links name the harvesting application in utm parameters, and the token's
    owner is the one user the API shows: neither may leave the machine in the dataset."""
    with duckdb.connect(str(small_built.db_path), read_only=True) as con:
        raw_tracked = con.execute("select count(*) from raw.posts where website like '%utm\\_%' escape '\\'").fetchone()
        viewer = con.execute("select id, name, username, url from raw.users where is_viewer").fetchall()
        missing_domain = con.execute(
            "select count(*), count(*) filter (where website_domain is null) from marts.posts where website is not null"
        ).fetchone()
    assert raw_tracked is not None and raw_tracked[0] > 0, "the API's links carry utm parameters: work to do"
    assert len(viewer) == 1, "raw.users keeps the token owner's row, flagged"
    assert missing_domain is not None and missing_domain[0] > 0 and missing_domain[1] == 0, "website_domain for every post with a website"
    viewer_id, *profile = viewer[0]
    files = sorted(p for p in exported.out_dir.iterdir() if p.is_file())
    assert {p.suffix for p in files} == {".csv", ".parquet", ".json"}
    con = duckdb.connect()
    try:
        for path in files:
            if path.suffix == ".parquet":  # compressed: read the values back
                text = "\n".join(str(row) for row in con.execute(f"select * from read_parquet('{path}')").fetchall())
            else:
                text = path.read_text("utf-8")
            assert "utm_" not in text, path.name
            for value in profile:
                assert value not in text, (path.name, value)
        users = con.execute(f"select user_id from read_parquet('{exported.out_dir / 'users.parquet'}')").fetchall()
    finally:
        con.close()
    assert (viewer_id,) not in users
