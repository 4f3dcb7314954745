"""A headless Chromium (Debian's ``chromium``) driven by Playwright, with the network blocked.

Every request a page makes goes through one route: ``file:``/``data:``/``blob:`` URLs load,
anything else is aborted *and recorded*, so a test can assert that nothing left the machine.
Playwright's own browser downloads are never used: the system Chromium is launched directly.
``.ci/run`` installs it; where it is absent the browser tests skip, except on CI where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Visit:
    """One page load: the requests that tried to leave the machine, and the page for checks."""

    page: Any
    remote_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


class OfflineBrowser:
    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def open(self, path: Path, screenshot: Path | None = None, settle_ms: int = 1500, fragment: str = "") -> Visit:
        context = self._browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        visit = Visit(page)

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith(LOCAL_SCHEMES):
                route.continue_()
            else:
                visit.remote_requests.append(url)
                route.abort()

        context.route("**/*", route)
        page.on("console", lambda msg: visit.console_errors.append(msg.text) if msg.type == "error" else None)
        page.goto(path.resolve().as_uri() + fragment, wait_until="load")
        page.wait_for_timeout(settle_ms)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=False)
        return visit


@pytest.fixture(scope="session")
def offline_browser() -> Iterator[OfflineBrowser]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield OfflineBrowser(browser)
        finally:
            browser.close()
