"""Databases from before a contract change. Membership by topic: dlt's stored merge key on ``post_topics.post_id``
must go, or every topic's links would delete the post's other links (issue 13)."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb

from producthuntdb.loader import add_contract_columns, drop_retired_merge_keys
from producthuntdb.source.contract import TABLES


def _pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        "upgrade", destination=dlt.destinations.duckdb(str(tmp_path / "upgrade.duckdb")), dataset_name="raw",
        pipelines_dir=str(tmp_path / "dlt"),
    )


def test_an_older_database_forgets_the_post_id_merge_key_and_keeps_every_link(tmp_path: Path) -> None:
    @dlt.resource(name="post_topics", write_disposition="merge", primary_key=["post_id", "topic_id"], merge_key="post_id")
    def before() -> object:  # how post_topics was written while a post's topics came in one piece
        yield [{"post_id": "1", "topic_id": "10"}, {"post_id": "1", "topic_id": "11"}]

    old = _pipeline(tmp_path)
    old.run(before())
    old.drop()  # a new run starts from what the database holds, as sync does

    pipeline = _pipeline(tmp_path)
    pipeline.sync_destination()
    assert pipeline.default_schema.tables["post_topics"]["columns"]["post_id"].get("merge_key")
    drop_retired_merge_keys(pipeline)
    assert not pipeline.default_schema.tables["post_topics"]["columns"]["post_id"].get("merge_key")

    @dlt.resource(name="post_topics", **TABLES["post_topics"].hints())
    def by_topic() -> object:  # one more topic of the same post, found by the topic scan
        yield [{"post_id": "1", "topic_id": "12"}]

    pipeline.run(by_topic())
    with duckdb.connect(str(tmp_path / "upgrade.duckdb"), read_only=True) as con:
        links = con.execute("select post_id, topic_id from raw.post_topics order by all").fetchall()
    assert links == [("1", "10"), ("1", "11"), ("1", "12")]


def test_an_older_database_gets_the_contract_s_new_columns_before_a_run_reads_them(tmp_path: Path) -> None:
    """``raw.posts`` from before thumbnails: the look-back reads loaded rows back by the contract's
    columns before the run's first load, so the column must exist first (``add_contract_columns``)."""
    old_columns = {name: column for name, column in TABLES["posts"].columns.items() if name != "thumbnail_url"}

    @dlt.resource(name="posts", write_disposition="merge", primary_key="id", columns=old_columns)
    def before() -> object:
        yield [{"id": "1", "name": "Alpha", "votes_count": 3}]

    old = _pipeline(tmp_path)
    old.run(before())
    old.drop()

    pipeline = _pipeline(tmp_path)
    pipeline.sync_destination()
    add_contract_columns(pipeline)
    with duckdb.connect(str(tmp_path / "upgrade.duckdb"), read_only=True) as con:
        select = ", ".join(TABLES["posts"].types)
        assert con.execute(f"select {select} from raw.posts").fetchall()[0][:2] == ("1", "Alpha")
    add_contract_columns(pipeline)  # nothing left to add: a no-op

    @dlt.resource(name="posts", **TABLES["posts"].hints())
    def after() -> object:
        yield [{"id": "2", "name": "Beta", "votes_count": 1, "thumbnail_url": "https://img.example/2.png"}]

    pipeline.run(after())
    with duckdb.connect(str(tmp_path / "upgrade.duckdb"), read_only=True) as con:
        rows = con.execute("select id, thumbnail_url from raw.posts order by id").fetchall()
    assert rows == [("1", None), ("2", "https://img.example/2.png")]
