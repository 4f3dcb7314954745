"""Publishing a real export to the local Kaggle stand-in: dry run, first create, then a new version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from producthuntdb.errors import ConfigError, StageError
from producthuntdb.export import MANIFEST, run_export
from producthuntdb.publish import run_publish, version_notes
from producthuntdb.settings import Settings
from tests.plugins.kaggle_standin import KaggleStandin

pytestmark = pytest.mark.slow

DATASET = "tester/producthunt-launches"


@pytest.fixture(scope="module")
def export_dir(small_served: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("publish_export")
    settings = small_served.model_copy(
        update={"data_dir": data_dir, "export_dir": data_dir / "export", "kaggle_dataset": DATASET}
    )
    return run_export(settings).out_dir


def _settings(small_built: Settings, tmp_path: Path, export_dir: Path, standin: KaggleStandin) -> Settings:
    return small_built.model_copy(
        update={
            "data_dir": tmp_path,
            "export_dir": export_dir,
            "kaggle_dataset": DATASET,
            "kaggle_username": standin.username,
            "kaggle_key": SecretStr(standin.key),
        }
    )


def test_dry_run_passes_on_a_good_export_and_sends_nothing(
    small_built: Settings, tmp_path: Path, export_dir: Path, kaggle_standin: KaggleStandin
) -> None:
    settings = _settings(small_built, tmp_path, export_dir, kaggle_standin)

    report = run_publish(settings, dry_run=True)

    assert report.dry_run and report.action.startswith("would")
    assert "posts.parquet" in report.files and "posts.csv" in report.files and MANIFEST in report.files
    assert report.bytes > 0 and "First version" in report.version_notes and "posts" in report.version_notes
    assert kaggle_standin.calls == []


def test_publish_creates_then_versions_the_dataset(
    small_built: Settings, tmp_path: Path, export_dir: Path, kaggle_standin: KaggleStandin
) -> None:
    settings = _settings(small_built, tmp_path, export_dir, kaggle_standin)
    manifest = json.loads((export_dir / MANIFEST).read_text("utf-8"))
    expected = {e["path"]: e["sha256"] for t in manifest["tables"].values() for e in t["files"].values()}

    first = run_publish(settings)
    second = run_publish(settings)

    assert (first.action, second.action) == ("create", "version")
    names = kaggle_standin.names()
    assert names.index("StartBlobUpload") < names.index("PUT") < names.index("CreateDataset")
    assert names.index("CreateDataset") < names.index("CreateDatasetVersion")
    assert names[-1] == "GetDatasetStatus" and first.status == "ready"
    assert {c.user for c in kaggle_standin.calls if c.method == "POST"} == {kaggle_standin.username}
    versions = kaggle_standin.datasets[DATASET].versions
    assert len(versions) == 2
    for version in versions:
        uploaded = {f["name"]: f["sha256"] for f in version["files"]}
        assert {k: v for k, v in uploaded.items() if k in expected} == expected
    posts = next(f for f in versions[0]["files"] if f["name"] == "posts.parquet")
    assert any(c["name"] == "post_id" and c["description"] for c in posts["columns"])
    notes = versions[1]["notes"]
    assert f"posts {manifest['tables']['posts']['rows']}" in notes
    assert manifest["sync_window"]["max_created_at"] in notes


def test_half_set_credentials_are_a_config_error(
    small_built: Settings, tmp_path: Path, export_dir: Path
) -> None:
    settings = small_built.model_copy(
        update={"data_dir": tmp_path, "kaggle_username": "tester", "kaggle_key": None}
    )
    with pytest.raises(ConfigError, match="KAGGLE_KEY"):
        run_publish(settings, export_dir=export_dir, dry_run=True)


def test_a_modified_export_is_refused_before_any_upload(
    small_built: Settings, tmp_path: Path, export_dir: Path, kaggle_standin: KaggleStandin
) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(export_dir, tampered)
    with (tampered / "posts.csv").open("a", encoding="utf-8") as handle:
        handle.write("extra,row\n")
    settings = _settings(small_built, tmp_path, tampered, kaggle_standin)

    with pytest.raises(StageError, match=r"posts\.csv"):
        run_publish(settings)
    assert kaggle_standin.calls == []


def test_wrong_key_is_one_clear_error(
    small_built: Settings, tmp_path: Path, export_dir: Path, kaggle_standin: KaggleStandin
) -> None:
    settings = _settings(small_built, tmp_path, export_dir, kaggle_standin).model_copy(
        update={"kaggle_key": SecretStr("wrong-key-" + "x" * 20)}
    )
    with pytest.raises(StageError, match="HTTP 401") as excinfo:
        run_publish(settings)
    assert "wrong-key" not in str(excinfo.value)
    assert DATASET not in kaggle_standin.datasets


def test_version_notes_say_what_changed() -> None:
    manifest = {
        "generated_at": "2026-10-02T00:00:00+00:00",
        "sync_window": {"min_created_at": "2026-09-01T00:00:00", "max_created_at": "2026-10-01T00:00:00"},
        "tables": {"posts": {"rows": 120}, "topics": {"rows": 10}, "votes": {"rows": 5}},
    }
    previous = {"posts": 100, "topics": 10, "comments": 3}
    window = {"max_created_at": "2026-09-20T00:00:00"}

    notes = version_notes(manifest, previous, window)

    assert "posts 120 (+20)" in notes and "topics 10," in notes and "votes 5 (new)" in notes
    assert "Dropped: comments" in notes and "(was to 2026-09-20T00:00:00)" in notes
    assert version_notes(manifest, None).startswith("First version. Rows: posts 120, topics 10, votes 5.")
