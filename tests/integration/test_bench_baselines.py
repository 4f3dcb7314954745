"""The benchmark's baseline harvester over real HTTP: it pages the whole world and is charged as priced."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import baselines
import common


def test_original_harvest_gets_every_post_at_3805_points_a_page(emulator_factory: Callable[..., Any]) -> None:
    server = emulator_factory(scale="tiny", budget=10**9)
    posts = common.admin_get(server, "truth")["posts"]
    before = common.points_spent(server)
    result = baselines.harvest(server.url, "original", baselines.ORIGINAL_QUERY)
    charged = common.points_spent(server) - before
    assert result.posts == posts
    assert result.pages == -(-posts // 20)  # 20 per page, whatever first: 50 asks
    assert charged == result.points == 3805 * result.pages
    assert result.statuses == {"200": result.pages}


def test_naive_harvest_cannot_run_under_the_real_budget(emulator_factory: Callable[..., Any]) -> None:
    """One naive page costs more than a whole window: the first request is refused with a 429."""
    server = emulator_factory(scale="tiny", budget=6250)
    with pytest.raises(RuntimeError, match="HTTP 429"):
        baselines.harvest(server.url, "naive", baselines.NAIVE_QUERY, max_pages=1)
    assert common.status_count(server, 429) == 1
