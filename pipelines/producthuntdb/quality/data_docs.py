"""Make Great Expectations' Data Docs self-contained: its CDN links become local files.

GX's page templates load Bootstrap, jQuery, bootstrap-table and Font Awesome from public CDNs,
so the pages render blank on a machine without internet (and every view of them tells those
CDNs who is reading). The package ships the same files (``assets/vendor``, see its NOTICE);
this module copies them into the site's ``static/vendor`` and rewrites every page to use them.
Links the package has no copy of (a dark-mode override, vega for profiling pages the gate never
renders) are removed, so a page never reaches the network.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from loguru import logger

VENDOR_DIR = Path(__file__).resolve().parent.parent / "assets" / "vendor"
SITE_VENDOR = Path("static") / "vendor"

LOCAL_COPIES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "js/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "js/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "css/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "js/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "css/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "css/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "js/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/all.min.css",
}
"""CDN URL in GX 1.24's templates → the shipped copy (relative to ``assets/vendor``)."""

# A <script src=…></script> or a <link … href=…> whose URL is remote; GX writes one per line.
_REMOTE_TAG = re.compile(
    r"""<script\b[^>]*\bsrc=["'](?P<src>https?://[^"']+)["'][^>]*>\s*</script>"""
    r"""|<link\b[^>]*\bhref=["'](?P<href>https?://[^"']+)["'][^>]*>""",
    re.IGNORECASE,
)
_REMOTE_IMG = re.compile(r"""<img\b[^>]*\bsrc=["']https?://[^"']+["'][^>]*>""", re.IGNORECASE)


def _local_tag(url: str, is_script: bool, prefix: str) -> str:
    local = f"{prefix}/{LOCAL_COPIES[url]}"
    if is_script:
        return f'<script src="{local}"></script>'
    return f'<link rel="stylesheet" href="{local}">'


def localize_page(text: str, prefix: str) -> tuple[str, set[str]]:
    """One page with local asset links (``prefix`` leads from the page to ``static/vendor``).

    Returns the new text and the remote URLs that were dropped because no copy is shipped.
    ``integrity``/``crossorigin`` go with the CDN tag: a file:// page cannot do CORS checks.
    """
    dropped: set[str] = set()

    def swap(match: re.Match[str]) -> str:
        url = match.group("src") or match.group("href")
        tag = match.group(0)
        if url in LOCAL_COPIES:
            return _local_tag(url, match.group("src") is not None, prefix)
        if tag.lower().startswith("<link") and "stylesheet" not in tag.lower() and "icon" not in tag.lower():
            return tag  # a plain hyperlink-like <link> (canonical, alternate) fetches nothing
        dropped.add(url)
        return ""

    def drop(match: re.Match[str]) -> str:
        dropped.add(match.group(0))
        return ""

    text = _REMOTE_TAG.sub(swap, text)
    text = _REMOTE_IMG.sub(drop, text)
    return text, dropped


def localize_site(site_dir: Path) -> int:
    """Copy the vendored assets into ``site_dir`` and rewrite its pages; returns the pages changed."""
    if not site_dir.is_dir():
        return 0
    target = site_dir / SITE_VENDOR
    shutil.copytree(VENDOR_DIR, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.md"))
    changed = 0
    dropped: set[str] = set()
    for page in site_dir.rglob("*.html"):
        text = page.read_text("utf-8")
        prefix = Path(os.path.relpath(target, page.parent)).as_posix()
        new, gone = localize_page(text, prefix)
        dropped |= gone
        if new != text:
            page.write_text(new, "utf-8")
            changed += 1
    if dropped:
        logger.debug("Data Docs: removed {} remote asset link(s) with no local copy", len(dropped), urls=sorted(dropped))
    return changed
