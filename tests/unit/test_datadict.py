"""The data dictionary is generated from the dbt YAML (one source) and kept current."""

from __future__ import annotations

import re
from pathlib import Path

from producthuntdb.datadict import definitions, document, marts, render

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "dbt_project"


def test_docs_data_dictionary_is_current() -> None:
    assert (ROOT / "docs" / "DATA_DICTIONARY.md").read_text("utf-8") == document(PROJECT), (
        "regenerate: python -m producthuntdb.datadict > docs/DATA_DICTIONARY.md"
    )


def test_every_mart_and_the_calendar_and_rank_are_defined() -> None:
    macro = (PROJECT / "macros" / "marts.sql").read_text("utf-8")
    listed = re.findall(r"'(\w+)'", macro.split("return([")[1].split("])")[0])
    documented = marts(PROJECT)
    assert set(listed) == set(documented)
    assert all(mart.description and all(mart.columns.values()) for mart in documented.values())
    assert {"launch_date", "created_date", "vote_rank", "launch_day_votes", "is_partial_day", "run_id"} <= set(
        definitions(PROJECT)
    )
    text = render(PROJECT)
    assert "{{" not in text and "doc(" not in text, "every docs block is resolved"
    assert "featured at 00:24 PST on Mar 5 launched on Mar 5" in text
    assert documented["leaderboard_daily"].columns["vote_rank"] == definitions(PROJECT)["vote_rank"]


def test_a_mart_built_by_an_older_version_is_stale(tmp_path: Path) -> None:
    """``build`` rebuilds a mart whose columns are not its YAML's (``--full-refresh``): an incremental
    run would keep the old rows (``user_id`` where the model now says ``hunter_id``)."""
    import duckdb

    from producthuntdb.settings import Settings
    from producthuntdb.transform import stale_marts

    documented = marts(PROJECT)
    db = tmp_path / "work.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        for name in ("posts", "daily_launches"):
            columns = ", ".join(f'"{column}" varchar' for column in documented[name].columns)
            con.execute(f"create table marts.{name} ({columns})")
        con.execute("alter table marts.posts rename column hunter_id to user_id")  # as built before issue 22
    settings = Settings(environment="testing", data_dir=tmp_path, work_duckdb_path=db, dbt_project_dir=PROJECT)
    assert stale_marts(settings) == ["posts"]
    with duckdb.connect(str(db)) as con:
        con.execute("alter table marts.posts rename column user_id to hunter_id")
    assert stale_marts(settings) == []
    assert stale_marts(settings.model_copy(update={"work_duckdb_path": tmp_path / "none.duckdb"})) == []
    assert not (tmp_path / "none.duckdb").exists(), "never creates a file"
