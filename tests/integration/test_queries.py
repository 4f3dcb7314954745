"""Every query the harvester sends is valid against the bundled schema and costs what the design says."""

from __future__ import annotations

import pytest
from graphql import FieldNode, IntValueNode, parse, validate, visit
from graphql.language import Visitor

from producthuntdb.api.complexity import query_cost
from producthuntdb.api.queries import (
    QUERY_NAMES,
    batched_topic_posts_query,
    batched_topic_totals_query,
    batched_users_query,
    load_query,
    query_files,
)
from producthuntdb.api.schema import load_schema

EXPECTED_COST = {
    "posts_page": 325,  # the lean page of 20 (membership comes by topic)
    "posts_page_media": 425,  # with thumbnail and product links (sync --with media): 5 points a post
    "topic_posts": 25,  # membership: 25 points per 20 links
    "topic_total": 2,
    "topics_total": 2,
    "post": 39,
    "post_media": 44,
    "post_counts": 85,  # the look-back refresh: 85 points per 20 posts (counts and featuredAt)
    "posts_total": 2,
    "newest_post": 3,
    "topics_page": 165,
    "viewer": 12,
    "user": 11,
}


def test_every_query_file_is_known_and_every_known_query_exists() -> None:
    assert set(query_files()) == set(QUERY_NAMES)


@pytest.mark.parametrize("name", query_files())
def test_query_validates_against_the_bundled_schema(name: str) -> None:
    errors = validate(load_schema(), parse(load_query(name)))
    assert errors == [], f"{name}.graphql: {[e.message for e in errors]}"


@pytest.mark.parametrize("name", sorted(EXPECTED_COST))
def test_query_costs_what_the_design_says(name: str) -> None:
    assert query_cost(load_query(name)) == EXPECTED_COST[name]


@pytest.mark.parametrize("name", query_files())
def test_page_sizes_never_exceed_the_cap(name: str) -> None:
    """``first`` is charged as requested but at most 20 come back: asking more wastes points."""
    sizes: list[int] = []

    class Sizes(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            for argument in node.arguments or ():
                if argument.name.value == "first" and isinstance(argument.value, IntValueNode):
                    sizes.append(int(argument.value.value))

    visit(parse(load_query(name)), Sizes())
    assert all(size <= 20 for size in sizes)


def test_batched_user_query_is_valid_and_costs_the_sum_of_its_parts() -> None:
    text = batched_users_query(20)
    assert validate(load_schema(), parse(text)) == []
    assert query_cost(text) == 20 * 11


def test_batched_topic_totals_are_valid_and_cost_the_sum_of_their_parts() -> None:
    text = batched_topic_totals_query(20)
    assert validate(load_schema(), parse(text)) == []
    assert query_cost(text) == 20 * query_cost(load_query("topic_total")) == 40


def test_batched_topic_pages_are_valid_and_cost_the_sum_of_their_parts() -> None:
    text = batched_topic_posts_query(3)
    assert validate(load_schema(), parse(text)) == []
    sizes = {"first0": 20, "first1": 7, "first2": 1}
    one = load_query("topic_posts")
    assert query_cost(text, sizes) == sum(query_cost(one, {"first": n}) for n in sizes.values()) == 25 + 12 + 6


def test_the_single_post_query_asks_what_a_posts_page_node_asks() -> None:
    """A quarantined post retried with ``post(id:)`` must yield the same row as a page would,
    and its topics (the membership scan of its range passed it by while it could not be read)."""
    from graphql import OperationDefinitionNode, print_ast

    def selection(name: str, path: tuple[str, ...]) -> str:
        operation = parse(load_query(name)).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        node = operation.selection_set
        for field_name in path:
            node = next(f for f in node.selections if isinstance(f, FieldNode) and f.name.value == field_name).selection_set
            assert node is not None
        return print_ast(node)

    page = selection("posts_page", ("posts", "nodes"))
    assert selection("post", ("post",)) == page[: page.rindex("}")] + "  topics(first: 20) {\n    nodes {\n      id\n    }\n  }\n}"
