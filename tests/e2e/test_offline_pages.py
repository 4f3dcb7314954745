"""The report and the docs open in a real headless Chromium with the network blocked.

Each page is loaded from disk after the demo wrote it; every request that is not ``file:``
is aborted and recorded. A page passes when nothing tried to leave the machine, it is styled
(its CSS applied), and — for the report — every chart drew a non-empty SVG.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_demo import DEMO_TIMEOUT, DemoRun, demo_run
from tests.plugins.browser import OfflineBrowser

pytestmark = [pytest.mark.e2e, pytest.mark.slow, DEMO_TIMEOUT]

MIN_SCREENSHOT_BYTES = 10_000
"""A blank 1280x900 PNG is a few kB; a rendered page is tens of kB."""


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run: DemoRun = demo_run(tmp_path_factory.mktemp("e2e"))
    assert run.exit_code == 0, f"{run.stdout}\n{run.stderr}"
    return run.out


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def _screenshot_ok(path: Path) -> None:
    assert path.is_file() and path.stat().st_size > MIN_SCREENSHOT_BYTES, f"{path}: blank screenshot?"


def test_report_charts_render_offline(demo_dir: Path, offline_browser: OfflineBrowser, shots: Path) -> None:
    report = demo_dir / "report" / "report.html"
    visit = offline_browser.open(report, shots / "report.png")
    assert visit.remote_requests == []
    panels = visit.page.evaluate("document.querySelectorAll('section.chart').length")
    drawn = visit.page.evaluate(
        """Array.from(document.querySelectorAll('section.chart .plotly-graph-div')).map(div => ({
            id: div.id,
            traces: div.querySelectorAll('svg.main-svg .trace').length,
            marks: div.querySelectorAll('svg.main-svg .point, svg.main-svg .scatterlayer path.js-line').length,
        }))"""
    )
    assert panels >= 10, "launches, weekday, leaderboard, topics x2, trajectories x2, makers, hunters, comments"
    assert len(drawn) == panels, drawn
    empty = [chart["id"] for chart in drawn if chart["traces"] == 0 or chart["marks"] == 0]
    assert empty == [], f"charts without anything drawn: {empty}"
    assert visit.console_errors == [], visit.console_errors
    assert visit.page.evaluate("document.querySelectorAll('p.empty').length") == 0, "every chart has data"
    assert visit.page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") != (
        "rgba(0, 0, 0, 0)"
    ), "the inlined stylesheet was not applied"
    _screenshot_ok(shots / "report.png")


def test_docs_index_links_every_part(demo_dir: Path, offline_browser: OfflineBrowser, shots: Path) -> None:
    visit = offline_browser.open(demo_dir / "docs" / "index.html", shots / "docs-index.png")
    assert visit.remote_requests == []
    links = visit.page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))")
    assert links == ["report.html", "dbt/index.html", "quality/index.html"]
    for link in links:
        assert (demo_dir / "docs" / link).is_file(), link
    _screenshot_ok(shots / "docs-index.png")


def test_dbt_docs_render_offline(demo_dir: Path, offline_browser: OfflineBrowser, shots: Path) -> None:
    page = demo_dir / "docs" / "dbt" / "index.html"
    # the posts model's page: its columns and their descriptions come from the inlined catalog
    visit = offline_browser.open(page, shots / "dbt-docs.png", settle_ms=3000, fragment="#!/model/model.producthuntdb.posts")
    assert visit.remote_requests == []
    text = visit.page.evaluate("document.body.innerText")
    assert "votes_count" in text and "launch_date" in text, text[:500]
    assert visit.page.evaluate("document.styleSheets.length") > 0
    assert visit.page.evaluate("getComputedStyle(document.body).margin") == "0px", "dbt's CSS was not applied"
    _screenshot_ok(shots / "dbt-docs.png")


def test_data_docs_render_styled_offline(demo_dir: Path, offline_browser: OfflineBrowser, shots: Path) -> None:
    site = demo_dir / "docs" / "quality"
    validations = sorted(site.glob("validations/**/*.html"))
    suites = sorted(site.glob("expectations/**/*.html"))
    assert validations and suites
    for name, page in (("data-docs-index", site / "index.html"), ("data-docs-validation", validations[0])):
        visit = offline_browser.open(page, shots / f"{name}.png")
        assert visit.remote_requests == [], page
        # Bootstrap 4 sets body margin 0 and its system font stack: both absent without its CSS.
        margin = visit.page.evaluate("getComputedStyle(document.body).margin")
        font = visit.page.evaluate("getComputedStyle(document.body).fontFamily")
        assert margin == "0px" and "apple-system" in font, (page, margin, font)
        assert visit.page.evaluate("typeof window.jQuery") == "function", "local scripts did not load"
        _screenshot_ok(shots / f"{name}.png")


def test_data_docs_cover_every_mart_with_a_named_run(demo_dir: Path) -> None:
    site = demo_dir / "gx" / "data_docs"
    suites = {p.stem for p in (site / "expectations").glob("*.html")}
    expected = {"posts", "users", "topics", "post_topics", "post_makers", "post_links", "comments", "votes",
                "collections", "collection_posts", "post_metrics_history", "daily_launches", "leaderboard_daily",
                "topic_trends", "topic_trends_weekly", "post_trajectory"}
    assert suites == expected
    runs = {p.parent.parent.name for p in (site / "validations").glob("*/*/*/*.html")}
    assert runs and "__none__" not in runs, runs
