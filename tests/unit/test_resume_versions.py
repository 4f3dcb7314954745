"""A dataset published before issue 22 (schema version 1: ``posts.user_id``, no ``post_links``)
still seeds a working file; the current version reads its own marts."""

from __future__ import annotations

import pytest

from producthuntdb.datadict import marts
from producthuntdb.errors import StageError
from producthuntdb.resume import SCHEMA_VERSION, raw_statements, resumable_problem
from tests.unit.test_datadict import PROJECT


def _columns(version: int) -> dict[str, dict[str, str]]:
    tables = {name: dict.fromkeys(mart.columns, "VARCHAR") for name, mart in marts(PROJECT).items()}
    if version == 1:  # as published then
        posts = tables["posts"]
        for gone in ("hunter_id", "is_hunter_redacted", "thumbnail_url", "website_domain", "created_date"):
            posts.pop(gone)
        posts.update(user_id="VARCHAR", is_user_redacted="BOOLEAN")
        del tables["post_links"]
    return tables


def test_the_current_marts_seed_every_raw_table_they_came_from() -> None:
    statements = raw_statements(_columns(SCHEMA_VERSION))
    assert "hunter_id" in statements["posts"] and "thumbnail_url" in statements["posts"]
    assert "link_type" in statements["post_links"]
    assert "false as boolean" in statements["users"].lower(), "the marts never hold the token's owner"
    assert resumable_problem({"position": {}, "schema_version": SCHEMA_VERSION}) is None


def test_a_version_1_dataset_is_read_as_it_was_published() -> None:
    statements = raw_statements(_columns(1), version=1)
    assert "else user_id end" in statements["posts"] and "hunter_id" not in statements["posts"]
    assert "post_links" not in statements
    assert resumable_problem({"position": {}, "schema_version": 1}) is None
    with pytest.raises(StageError, match="posts table has no thumbnail_url column"):
        raw_statements(_columns(1))  # read as the current version, it cannot
    assert "update ProductHuntDB" in (resumable_problem({"position": {}, "schema_version": 99}) or "")
