"""The benchmark baselines are the queries the issue describes, priced by the API's rule.

The benchmarks themselves print rather than assert; what is tested here is that the yardsticks
they compare against are the right ones, and that the harness reads results as intended.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from graphql import parse, validate

from producthuntdb.api.complexity import query_cost
from producthuntdb.api.schema import load_schema

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import baselines  # noqa: E402
import run_all  # noqa: E402


@pytest.mark.parametrize(
    "query", [baselines.NAIVE_QUERY, baselines.ORIGINAL_QUERY], ids=["naive", "original"]
)
def test_baseline_queries_are_valid_against_the_schema(query: str) -> None:
    assert validate(load_schema(), parse(query)) == []


def test_original_query_costs_3805_points_for_its_20_posts() -> None:
    """The figure the design quotes for the original tool: first: 50 is charged, 20 come back."""
    assert query_cost(baselines.ORIGINAL_QUERY, {"after": None}) == 3805


def test_original_query_has_the_described_shape() -> None:
    node = parse(baselines.ORIGINAL_QUERY).definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    post = node.selection_set.selections[1].selection_set.selections[0].selection_set
    leaves = [f.name.value for f in post.selections if f.selection_set is None]
    nested = {f.name.value: f for f in post.selections if f.selection_set is not None}
    assert len(leaves) == 16
    assert len(nested["user"].selection_set.selections) == 7
    assert len(nested["makers"].selection_set.selections) == 5
    assert {a.name.value: a.value.value for a in nested["topics"].arguments} == {"first": "10"}
    assert set(nested) == {"user", "makers", "topics", "productLinks", "thumbnail", "media"}


def test_naive_page_costs_more_than_a_whole_window_of_budget() -> None:
    cost = query_cost(baselines.NAIVE_QUERY, {"after": None})
    assert cost > 6250
    assert "first: 50" in baselines.NAIVE_QUERY and "topics(first: 20)" in baselines.NAIVE_QUERY


def test_headline_takes_points_from_small_and_throughput_from_the_largest_size() -> None:
    results = {
        "sizes": {
            "small": {
                "points_per_post": 20.0,
                "naive_points_per_post": 600.0,
                "rows_per_s": 1.0,
                "gate_s": 3.0,
            },
            "medium": {
                "points_per_post": 21.0,
                "rows_per_s": 900.0,
                "dlt_floor_rows_per_s": 1000.0,
                "gate_s": 9.0,
            },
        },
        "budget": {"budget_use": 0.95, "n_429": 0, "harvest_time_over_ideal": 1.02, "peak_rss_mb": 200.0},
    }
    top = run_all.headline(results)
    assert top["points_per_post"] == 20.0 and top["naive_points_per_post"] == 600.0
    assert top["rows_per_s"] == 900.0 and top["dlt_floor_rows_per_s"] == 1000.0
    assert top["gate_s"] == {"small": 3.0, "medium": 9.0}
    assert top["n_429"] == 0 and top["peak_rss_mb"]["throttled_backfill"] == 200.0
    required = {
        "points_per_post", "naive_points_per_post", "original_points_per_post", "budget_use", "n_429",
        "harvest_time_over_ideal", "rows_per_s", "dlt_floor_rows_per_s", "dbt_build_s", "gate_s",
        "noop_sync_points", "peak_rss_mb", "posts_pages_points_per_post", "posts_pages_lean_points_per_post",
        "one_day_sync_points_no_sweep", "sweep_points_per_post",
    }  # fmt: skip
    assert required <= set(top)


def test_a_failing_stage_is_reported_not_raised(tmp_path: Path) -> None:
    import common

    result = common.run_stage("gate", data_dir=tmp_path / "nothing-here")
    assert result["ok"] is False and result["stage"] == "gate"
    assert result["error"] and isinstance(result["peak_rss_mb"], float)
