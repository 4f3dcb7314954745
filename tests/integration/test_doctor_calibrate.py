"""``doctor --calibrate`` against the emulator: a line per query shape, never more points than it
announced, and the prices stored for the next sync (issue 20)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from producthuntdb.api.queries import QUERY_NAMES
from producthuntdb.cli import app
from producthuntdb.emulator import EmulatorServer
from producthuntdb.savedstate import stored_prices
from tests.plugins.cli import api_env
from tests.plugins.emulator import admin
from tests.plugins.pipeline import TEST_TOKEN, run_sync_into, test_settings

pytestmark = pytest.mark.usefixtures("isolated_cli")


@pytest.mark.parametrize(("cost_factor", "foreign_spend"), [(1.0, 0.0), (3.0, 50.0)], ids=["current", "x3-shared"])
def test_calibrate_prints_each_shape_and_spends_no_more_than_it_announced(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer], cost_factor: float, foreign_spend: float
) -> None:
    server = emulator_factory(scale="tiny", cost_factor=cost_factor, foreign_spend=foreign_spend)
    result = CliRunner().invoke(app, ["doctor", "--calibrate"], env=api_env(tmp_path, server.url, TEST_TOKEN))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    announced = int(re.fullmatch(r"calibrating (\d+) query shapes: at most (\d+) points", lines[0]).group(2))  # type: ignore[union-attr]
    shapes = [line.strip() for line in lines if line.startswith("  ")]
    assert sorted(line.split(":")[0] for line in shapes) == sorted(QUERY_NAMES)  # a line per shape
    assert admin(server, "stats")["points_spent"] <= announced
    if cost_factor == 1.0:
        assert "posts_page: estimate 325, charged 325 (×1.00), foreign 0" in shapes
    else:
        page = next(line for line in shapes if line.startswith("posts_page:"))
        # beside a tool spending all the time, our part of a drop is the drop less the others' measured
        # rate over the request's time: exact alone (above), within a few points of 975 here at any speed
        charged = re.search(r"charged (\d+)", page)
        assert "not sent" in page or (charged is not None and abs(int(charged.group(1)) - 975) <= 10), page
    book = stored_prices(test_settings(tmp_path, server.url))
    assert book.recent, "the prices are stored in the working file"


def test_a_sync_after_calibrating_starts_from_its_prices(
    tmp_path: Path, emulator_factory: Callable[..., EmulatorServer]
) -> None:
    server = emulator_factory(scale="tiny", cost_factor=2.0, budget=6250, window_seconds=5)
    result = CliRunner().invoke(app, ["doctor", "--calibrate"], env=api_env(tmp_path, server.url, TEST_TOKEN))
    assert result.exit_code == 0, result.output
    settings = test_settings(tmp_path, server.url)
    assert stored_prices(settings).price("PostsPage", "PostsPage(first=20)", 325) == 650
    _, report = run_sync_into(tmp_path, server.url)
    assert report.status == "ok" and report.n_429 == 0
