"""The duckdb_engine fix that lets GX 1.24 validate DuckDB (GX issues #10738, #11579).

Each test runs the same thing through the stock ``duckdb://`` dialect and through ours: the stock
run shows the upstream bug still exists (when it stops failing, the workaround can go), ours
shows the fix works.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from producthuntdb.warehouse.gx_duckdb import connection_url


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"  # not marts.duckdb: the catalog would shadow the schema
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.posts as select range::varchar as post_id, range * 2 as votes from range(10)"
    )
    con.execute("update marts.posts set votes = -1 where post_id = '3'")
    con.close()
    return path


def _fetch_after_close(url: str) -> list[tuple[object, ...]]:
    """GX's execute_query pattern: the connection is closed before the rows are fetched."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            result = connection.execute(sa.text("select post_id from marts.posts order by votes limit 2"))
        return [tuple(row) for row in result.fetchall()]
    finally:
        engine.dispose()


def test_rows_survive_the_connection_being_closed(db: Path) -> None:
    assert _fetch_after_close(f"duckdb:///{db}") == []  # the upstream bug: DuckDB dropped the result
    assert _fetch_after_close(connection_url(db)) == [("3",), ("0",)]


def test_columns_of_a_non_main_schema_are_reflected(db: Path) -> None:
    stock, ours = sa.create_engine(f"duckdb:///{db}"), sa.create_engine(connection_url(db))
    try:
        with pytest.raises(sa.exc.ProgrammingError, match="pg_collation"):
            sa.inspect(stock).get_columns("posts", schema="marts")
        columns = sa.inspect(ours).get_columns("posts", schema="marts")
        assert [c["name"] for c in columns] == ["post_id", "votes"]
        assert isinstance(columns[0]["type"], sa.String) and isinstance(columns[1]["type"], sa.BigInteger)
        with pytest.raises(sa.exc.NoSuchTableError):
            sa.inspect(ours).get_columns("nope", schema="marts")
        assert ours.dialect.name == "duckdb"  # GX keys its SQL flavour on the name
    finally:
        stock.dispose()
        ours.dispose()


def _validate(url: str) -> tuple[bool, list[dict[str, object]]]:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(
        name="d",
        connection_string=url,
        kwargs={"connect_args": {"read_only": True}},  # type: ignore[call-arg]  # the stub lags the API
    )
    batch = source.add_table_asset(
        name="posts", table_name="posts", schema_name="marts"
    ).add_batch_definition_whole_table("all")
    suite = context.suites.add(gx.ExpectationSuite(name="posts"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column="post_id"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column="votes", min_value=0))
    suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=10, max_value=10))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch, suite=suite)
    )
    try:
        result = definition.run()
    finally:
        source.get_engine().dispose()
        source.get_execution_engine().engine.dispose()
    return bool(result.success), [dict(r.result) | {"error": str(r.exception_info)} for r in result.results]


@pytest.mark.slow
def test_gx_validation_runs_through_the_fixed_dialect(db: Path) -> None:
    stock_success, stock = _validate(f"duckdb:///{db}")
    assert not stock_success
    assert not any("unexpected_count" in r or "observed_value" in r for r in stock)  # nothing measured
    assert any("list index out of range" in str(r["error"]) for r in stock)  # GX issue #11579

    _, ours = _validate(connection_url(db))
    unique, between, rows = ours
    assert unique["unexpected_count"] == 0
    assert between["unexpected_count"] == 1 and between["partial_unexpected_list"] == [-1]
    assert rows["observed_value"] == 10
