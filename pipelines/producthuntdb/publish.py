"""Publish an export to Kaggle: the dataset the first time, a new version after that.

Nothing is sent unless the export is intact (every file's sha256 matches its manifest), its
manifest records a passing gate whose row counts are the rows it ships (and, inside a run, the
report this run's gate handed on), Kaggle's own metadata rules hold, and both credentials are
set. The gate itself does not run again. ``dry_run`` does all of that and sends nothing. Only the
files the manifest lists are uploaded (a maintainer's notes in the export directory stay local).

Credentials go to the ``kaggle`` package through its API object (``config_values``), never
through ``os.environ``: a subprocess started later cannot inherit them, and nothing prints them.
The kaggle package is imported lazily and quietly (its ``__init__`` tries to authenticate and
prints help when it cannot).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb.dataset import verified_manifest
from producthuntdb.errors import ConfigError, StageError
from producthuntdb.export import KAGGLE_METADATA, MANIFEST, owned_files
from producthuntdb.quality import GateReport
from producthuntdb.settings import Settings
from producthuntdb.tracing import span


@dataclass
class PublishReport:
    dataset: str
    action: str
    """``create`` (first version) or ``version``; prefixed ``would `` on a dry run."""
    dry_run: bool
    files: list[str]
    bytes: int
    version_notes: str
    url: str | None = None
    status: str | None = None
    elapsed: float = 0.0
    previous: dict[str, int] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "action": self.action,
            "files": f"{len(self.files)} files, {self.bytes} bytes: {', '.join(self.files)}",
            "version_notes": self.version_notes,
            "url": self.url,
            "status": self.status,
            "elapsed_seconds": round(self.elapsed, 2),
        }


def run_publish(
    settings: Settings, export_dir: Path | None = None, dry_run: bool = False, gate: GateReport | None = None
) -> PublishReport:
    """Publish the export; ``gate`` (this run's report), when given, must be the one the export recorded."""
    started = time.monotonic()
    problems = settings.kaggle_problems(required=True)
    if problems:
        raise ConfigError(problems)
    folder = (export_dir or settings.export_path).resolve()
    with span("publish", dataset=settings.kaggle_dataset, dry_run=dry_run):
        manifest, metadata = verify_export(folder, settings.kaggle_dataset)
        recorded = manifest["gate"].get("row_counts")
        if gate is not None and (not gate.passed or gate.row_counts != recorded):
            raise StageError(f"{folder} is not the export of this run's gated data; nothing was published")
        record = _record_path(settings)
        previous = _read_record(record)
        notes = version_notes(manifest, previous.get("tables"), previous.get("sync_window"))
        files = sorted(owned_files(folder) - {KAGGLE_METADATA})
        size = sum((folder / name).stat().st_size for name in files)
        if dry_run:
            for name in files:
                logger.bind(stage="publish").info(
                    "would upload {} ({} bytes)", name, (folder / name).stat().st_size
                )
            action = "would version" if previous else "would create or version"
            report = PublishReport(settings.kaggle_dataset, action, True, files, size, notes)
        else:
            api = kaggle_api(settings)
            exists = _dataset_exists(api, settings.kaggle_dataset)
            with _upload_folder(folder) as upload:
                url, status = _upload(api, upload, settings.kaggle_dataset, notes, exists)
            _write_record(record, manifest)
            action = "version" if exists else "create"
            report = PublishReport(settings.kaggle_dataset, action, False, files, size, notes, url, status)
    report.elapsed = time.monotonic() - started
    report.previous = {k: int(v) for k, v in (previous.get("tables") or {}).items()}
    logger.bind(stage="publish").info(
        "{} {} ({} files, {} bytes){}",
        report.action,
        metadata["id"],
        len(files),
        size,
        " [dry run]" if dry_run else "",
    )
    return report


def verify_export(folder: Path, dataset: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The export is complete, unmodified, gated, and acceptable to Kaggle; else one clear error."""
    metadata_path = folder / KAGGLE_METADATA
    if not (folder / MANIFEST).is_file() or not metadata_path.is_file():
        raise StageError(
            f"{folder} is not an export ({MANIFEST} or {KAGGLE_METADATA} missing): run export first"
        )
    manifest = verified_manifest(folder)
    try:
        metadata = json.loads(metadata_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise StageError(f"{folder}: unreadable manifest or metadata ({exc.__class__.__name__})") from None
    problems = kaggle_metadata_problems(metadata, dataset, folder)
    if problems:
        raise StageError(f"{metadata_path.name}: " + "; ".join(problems))
    return manifest, metadata


def kaggle_metadata_problems(metadata: dict[str, Any], dataset: str, folder: Path) -> list[str]:
    """Kaggle's own checks (kaggle_api_extended.dataset_create_new), made before any upload."""
    problems = []
    ref = str(metadata.get("id", ""))
    if ref != dataset:
        problems.append(f"id is {ref!r}, settings say {dataset!r} (re-run export)")
    slug = ref.split("/", 1)[-1]
    if not 6 <= len(slug) <= 50:
        problems.append("the dataset slug must be 6-50 characters")
    if not 6 <= len(str(metadata.get("title", ""))) <= 50:
        problems.append("the title must be 6-50 characters")
    subtitle = metadata.get("subtitle")
    if subtitle and not 20 <= len(subtitle) <= 80:
        problems.append("the subtitle must be 20-80 characters")
    if len(metadata.get("licenses") or []) != 1:
        problems.append("exactly one licence is required")
    paths = [str(r.get("path")) for r in metadata.get("resources") or []]
    missing = [p for p in paths if not (folder / p).is_file()]
    if missing:
        problems.append(f"resources missing from the export: {', '.join(missing[:3])}")
    if len(set(paths)) != len(paths):
        problems.append("duplicate resource paths")
    return problems


def version_notes(
    manifest: dict[str, Any], previous: dict[str, int] | None, previous_window: dict[str, Any] | None = None
) -> str:
    """Counts, window and what changed since the last published version, in one paragraph."""
    window = manifest.get("sync_window") or {}
    parts = []
    for table, info in manifest["tables"].items():
        rows = int(info["rows"])
        if previous is None:
            parts.append(f"{table} {rows}")
        elif table not in previous:
            parts.append(f"{table} {rows} (new)")
        else:
            delta = rows - int(previous[table])
            parts.append(f"{table} {rows} ({delta:+d})" if delta else f"{table} {rows}")
    dropped = sorted(set(previous or {}) - set(manifest["tables"]))
    head = "First version." if previous is None else "Changes since the last version."
    text = f"{head} Rows: {', '.join(parts)}."
    if dropped:
        text += f" Dropped: {', '.join(dropped)}."
    text += f" Posts created {window.get('min_created_at')} to {window.get('max_created_at')}"
    if previous_window and previous_window.get("max_created_at") != window.get("max_created_at"):
        text += f" (was to {previous_window.get('max_created_at')})"
    return text + f". Generated {manifest.get('generated_at')}."


def _record_path(settings: Settings) -> Path:
    return settings.data_dir / "publish" / (settings.kaggle_dataset.replace("/", "__") + ".json")


def _read_record(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_record(path: Path, manifest: dict[str, Any]) -> None:
    """What was published last, so the next version's notes can say what changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "generated_at": manifest.get("generated_at"),
        "sync_window": manifest.get("sync_window"),
        "tables": {name: int(info["rows"]) for name, info in manifest["tables"].items()},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    tmp.replace(path)


@contextlib.contextmanager
def _upload_folder(folder: Path) -> Any:
    """A temporary folder holding only the export's own files (hard links; copies across filesystems).

    Kaggle uploads every file of the folder it is given: a maintainer's ``NOTES.md`` must not ship.
    """
    with tempfile.TemporaryDirectory(prefix=".publish-", dir=folder.parent) as tmp:
        for name in sorted(owned_files(folder)):
            try:
                os.link(folder / name, Path(tmp) / name)
            except OSError:
                shutil.copy2(folder / name, Path(tmp) / name)
        yield Path(tmp)


def kaggle_api(settings: Settings) -> Any:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    assert settings.kaggle_key is not None
    api.config_values = {
        api.CONFIG_NAME_USER: settings.kaggle_username,
        api.CONFIG_NAME_KEY: settings.kaggle_key.get_secret_value(),
    }
    api._authenticated = True
    return api


@contextlib.contextmanager
def kaggle_errors(what: str) -> Any:
    """Any failure of the kaggle client becomes one line (status code, never a credential)."""
    import requests

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            yield
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        hint = ": check PRODUCTHUNT_KAGGLE_USERNAME/KEY" if code in (401, 403) else ""
        raise StageError(f"Kaggle refused {what} (HTTP {code}){hint}") from None
    except requests.RequestException as exc:
        raise StageError(f"cannot reach Kaggle for {what} ({exc.__class__.__name__})") from None
    except ValueError as exc:
        raise StageError(f"Kaggle {what} failed: {str(exc).splitlines()[0]}") from None
    finally:
        if out.getvalue().strip():
            logger.bind(stage="publish").debug("kaggle: {}", out.getvalue().strip()[:2000])


def _dataset_exists(api: Any, dataset: str) -> bool:
    """Kaggle answers 404 for a dataset that does not exist (yet): then it is created, not versioned."""
    import requests

    with kaggle_errors("the status check"):
        try:
            api.dataset_status(dataset)
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code == 404:
                return False
            raise
    return True


def _upload(api: Any, folder: Path, dataset: str, notes: str, exists: bool) -> tuple[str | None, str | None]:
    what = "the new version" if exists else "the new dataset"
    with kaggle_errors(what):
        if exists:
            result = api.dataset_create_version(str(folder), notes, quiet=True, dir_mode="skip")
        else:
            result = api.dataset_create_new(str(folder), public=False, quiet=True, dir_mode="skip")
    error = getattr(result, "error", None)
    if error:
        raise StageError(f"Kaggle refused {what}: {str(error).splitlines()[0]}")
    with kaggle_errors("the status check"):
        status = api.dataset_status(dataset)
    return getattr(result, "url", None) or None, str(status)
