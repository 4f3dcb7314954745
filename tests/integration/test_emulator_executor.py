"""The compiled executor answers exactly as graphql-core does, on random queries and at the edges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from graphql import execute_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producthuntdb.emulator import EmulatorConfig
from producthuntdb.emulator.engine import Engine
from producthuntdb.emulator.fastexec import CompiledQuery, Fallback
from producthuntdb.emulator.resolvers import Ctx
from producthuntdb.emulator.root import Root
from producthuntdb.emulator.world import World
from tests.plugins.emulator import shared_world
from tests.property.test_complexity_property import Builder


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    yield Engine(shared_world(EmulatorConfig(scale="tiny")))


def ctx_for(world: World, redaction: bool = True) -> Ctx:
    return Ctx(world, world.initial_now, world.moment(world.initial_now), redaction)


def both(
    engine: Engine, query: str, variables: dict[str, Any] | None, redaction: bool = True
) -> tuple[Any, Any]:
    document = engine.document(query)
    assert not isinstance(document, list), document
    ctx = ctx_for(engine.world, redaction)
    fast = CompiledQuery(engine.schema, document, None).execute(Root(ctx), variables)
    slow = execute_sync(engine.schema, document, root_value=Root(ctx), variable_values=variables)
    assert not slow.errors, slow.errors
    return fast, {"data": slow.data}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data(), redaction=st.booleans())
def test_compiled_equals_graphql_core(engine: Engine, data: Any, redaction: bool) -> None:
    builder = Builder(data)
    query, _ = builder.query(engine.world.post_static(0).id)
    fast, slow = both(engine, query, builder.variables or None, redaction)
    assert fast == slow
    assert list(fast["data"]) == list(slow["data"])  # same key order: same bytes


def test_skip_include_mutations_and_errors_fall_back(engine: Engine) -> None:
    schema = engine.schema
    for query in (
        "query($s: Boolean!) { viewer @skip(if: $s) { user { id } } }",
        'mutation { userFollow(input: {userId: "1001"}) { node { id } } }',
        "{ __schema { queryType { name } } }",
    ):
        document = engine.document(query)
        assert not isinstance(document, list)
        with pytest.raises(Fallback):
            CompiledQuery(schema, document, None)
    document = engine.document('{ posts(after: "%%%") { nodes { id } } }')
    assert not isinstance(document, list)
    with pytest.raises(Fallback):
        CompiledQuery(schema, document, None).execute(Root(ctx_for(engine.world)), None)


def test_engine_answers_errors_through_graphql_core(engine: Engine) -> None:
    body: dict[str, Any] = {"query": '{ posts(after: "%%%") { nodes { id } } }'}
    prepared = engine.prepare(body)
    response, ran = engine.execute(prepared, body, ctx_for(engine.world))
    assert ran is False and "Invalid cursor" in response["errors"][0]["message"]
    body = {
        "query": "query($s: Boolean!) { viewer @include(if: $s) { user { id } } }",
        "variables": {"s": True},
    }
    response, ran = engine.execute(engine.prepare(body), body, ctx_for(engine.world))
    assert ran and response == {"data": {"viewer": {"user": {"id": "1000"}}}}
