"""The export is safe for spreadsheet users and for the export directory's owner.

User-written text (names, taglines, comments) reaches the CSV: cells a spreadsheet would run as a
formula are neutralised as OWASP recommends and control characters removed, while the Parquet keeps
every value exactly. And the export touches only the files its manifest lists.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from producthuntdb.export import CSV_SAFETY, KAGGLE_METADATA, MANIFEST, run_export
from producthuntdb.settings import Settings

pytestmark = pytest.mark.slow

HOSTILE = {
    "=1+1": "'=1+1",
    "+A1": "'+A1",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tTAB()": "'\tTAB()",
    "\rCR()": "'\rCR()",
    "nul\x00byte": "nulbyte",
    "=HYPER\x00LINK()": "'=HYPERLINK()",
    "plain name": "plain name",
}
"""Served value → what the CSV cell must hold."""


@pytest.fixture(scope="module")
def hostile(small_served: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str]]:
    """A served file whose posts carry hostile names (no gate rule forbids them): settings, post_id → name."""
    data_dir = tmp_path_factory.mktemp("hostile")
    served = data_dir / "producthunt.duckdb"
    shutil.copyfile(small_served.served_path, served)
    con = duckdb.connect(str(served))
    try:
        ids = [r[0] for r in con.execute(f"select post_id from marts.posts order by post_id limit {len(HOSTILE)}").fetchall()]
        names = dict(zip(ids, HOSTILE, strict=True))
        for post_id, name in names.items():
            con.execute("update marts.posts set name = ? where post_id = ?", [name, post_id])
    finally:
        con.close()
    settings = small_served.model_copy(
        update={"data_dir": data_dir, "duckdb_path": served, "export_dir": data_dir / "export"}
    )
    return settings, names


def test_csv_neutralises_formulas_and_control_characters_parquet_keeps_them(
    hostile: tuple[Settings, dict[str, str]],
) -> None:
    settings, names = hostile
    report = run_export(settings)

    with (report.out_dir / "posts.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["post_id"]: row for row in csv.DictReader(handle)}
    assert {post_id: rows[post_id]["name"] for post_id in names} == {p: HOSTILE[n] for p, n in names.items()}
    raw_csv = (report.out_dir / "posts.csv").read_bytes()
    assert b"\x00" not in raw_csv
    # no cell anywhere in any CSV starts a formula
    for path in report.out_dir.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")], path.name

    con = duckdb.connect()
    try:
        parquet = con.execute(
            "select post_id, name from read_parquet(?)", [str(report.out_dir / "posts.parquet")]
        ).fetchall()
    finally:
        con.close()
    assert {p: n for p, n in parquet if p in names} == names  # exactly as served, NUL included

    metadata = json.loads((report.out_dir / KAGGLE_METADATA).read_text("utf-8"))
    manifest = json.loads((report.out_dir / MANIFEST).read_text("utf-8"))
    assert CSV_SAFETY in metadata["description"] and manifest["csv_safety"] == CSV_SAFETY
    assert "OWASP" in CSV_SAFETY and "Parquet" in CSV_SAFETY


def test_a_maintainers_files_survive_two_exports(hostile: tuple[Settings, dict[str, str]], tmp_path: Path) -> None:
    settings = hostile[0].model_copy(update={"export_dir": tmp_path / "export"})
    first = run_export(settings)
    notes = first.out_dir / "NOTES.md"
    notes.write_text("# why this dataset\n", "utf-8")
    (first.out_dir / "notebooks").mkdir()
    (first.out_dir / "notebooks" / "explore.ipynb").write_text("{}", "utf-8")

    second = run_export(settings)
    third = run_export(settings)

    for report in (second, third):
        assert report.out_dir == first.out_dir
    assert notes.read_text("utf-8") == "# why this dataset\n"
    assert (first.out_dir / "notebooks" / "explore.ipynb").read_text("utf-8") == "{}"
    manifest = json.loads((first.out_dir / MANIFEST).read_text("utf-8"))
    listed = {e["path"] for t in manifest["tables"].values() for e in t["files"].values()}
    on_disk = {p.name for p in first.out_dir.iterdir()}
    assert on_disk == listed | {MANIFEST, KAGGLE_METADATA, "NOTES.md", "notebooks"}
