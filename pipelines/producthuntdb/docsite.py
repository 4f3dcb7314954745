"""``producthuntdb docs``: one folder of documentation that opens from disk, with no network.

``DATA_DIR/docs/`` gets dbt's static docs (lineage and every column, manifest and catalog
inlined), a copy of the gate's Data Docs with their CDN assets made local, and an index page
linking those and the launch report. Copies, not links: the folder can be zipped, attached to
a CI run or served as is.
"""

from __future__ import annotations

import html
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from loguru import logger

from producthuntdb.errors import StageError
from producthuntdb.settings import Settings

INDEX = "index.html"


@dataclass
class DocsResult:
    index: Path
    dbt_docs: Path
    data_docs: Path | None
    report: Path | None
    elapsed: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": str(self.index),
            "dbt docs": str(self.dbt_docs),
            "data docs": str(self.data_docs) if self.data_docs else "none yet: run check",
            "report": str(self.report) if self.report else "none yet: run report",
            "elapsed_seconds": round(self.elapsed, 1),
        }


def docs_dir(settings: Settings) -> Path:
    return settings.data_dir / "docs"


def _copy_tree(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)


def _index_page(links: list[tuple[str, str, str]]) -> str:
    items = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(title)}</a><p>{html.escape(what)}</p></li>'
        for title, href, what in links
    )
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ProductHuntDB docs</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;color:#1f2937}"
        "h1{color:#da552f}li{margin:1rem 0}li a{font-size:1.2rem;font-weight:600;color:#da552f}"
        "li p{margin:.2rem 0;color:#4b5563}</style></head><body><h1>ProductHuntDB documentation</h1>"
        f"<p>Generated {generated}. Everything here opens from disk, without network.</p>"
        f"<ul>{items}</ul></body></html>"
    )


BACK_LINK = (
    "<div style='font:14px system-ui,sans-serif;padding:6px 12px;background:#fff4f0'>"
    "<a href='{href}' style='color:#da552f'>&larr; ProductHuntDB documentation</a> "
    "(launch report, data model, quality gate)</div>"
)


def link_back(site: Path, index: Path) -> None:
    """A line at the top of every page of ``site`` leading back to the docs index."""
    import os
    import re

    for page in site.rglob("*.html"):
        text = page.read_text("utf-8")
        if "ProductHuntDB documentation</a>" in text:
            continue
        banner = BACK_LINK.format(href=html.escape(os.path.relpath(index, page.parent)))
        body = re.search(r"<body[^>]*>", text)
        if body:
            page.write_text(text[: body.end()] + banner + text[body.end() :], "utf-8")


def run_docs_site(settings: Settings) -> DocsResult:
    """dbt static docs + local Data Docs + report link, under ``DATA_DIR/docs``."""
    from producthuntdb.quality.data_docs import localize_site
    from producthuntdb.report import REPORT_FILE
    from producthuntdb.transform import run_docs

    started = time.monotonic()
    out = docs_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    target = run_docs(settings)
    dbt_dir = out / "dbt"
    dbt_dir.mkdir(exist_ok=True)
    shutil.copyfile(target / "static_index.html", dbt_dir / INDEX)
    links = [
        (
            "Data model (dbt docs)",
            "dbt/index.html",
            "Every model and column with its description, tests and lineage graph.",
        )
    ]
    gx_site = settings.data_dir / "gx" / "data_docs"
    data_docs: Path | None = None
    if (gx_site / INDEX).is_file():
        _copy_tree(gx_site, out / "quality")
        localize_site(out / "quality")  # already local when the gate wrote it; older sites get fixed here
        link_back(out / "quality", out / INDEX)
        data_docs = out / "quality" / INDEX
        links.append(
            (
                "Quality gate (Great Expectations Data Docs)",
                "quality/index.html",
                "The expectations each mart was checked against and the last validation results.",
            )
        )
    report_file = settings.data_dir / "report" / REPORT_FILE
    report: Path | None = None
    if report_file.is_file():
        shutil.copyfile(report_file, out / REPORT_FILE)
        report = out / REPORT_FILE
        links.insert(
            0,
            (
                "Launch report",
                REPORT_FILE,
                "Launches per day, leaderboards, topic trends, launch trajectories, makers, comments.",
            ),
        )
    if not links:
        raise StageError("nothing to document")
    index = out / INDEX
    index.write_text(_index_page(links), "utf-8")
    logger.info("docs written to {}", index)
    return DocsResult(index, dbt_dir / INDEX, data_docs, report, time.monotonic() - started)
