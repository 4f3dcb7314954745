"""The complexity rule on the issue's three worked examples, and its edge cases."""

from __future__ import annotations

import pytest

from producthuntdb.api.complexity import query_cost

EXAMPLES = [
    ("{ posts(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }", 46),
    ("{ posts(first: 50) { nodes { id user { id name } topics(first: 3) { nodes { slug } } } } }", 452),
    ("{ viewer { user { id name } } }", 4),
]


@pytest.mark.parametrize(("query", "cost"), EXAMPLES)
def test_issue_examples(query: str, cost: int) -> None:
    assert query_cost(query) == cost


def test_page_size_is_charged_as_requested_and_defaults_to_20() -> None:
    assert query_cost("{ posts(first: 100) { nodes { id } } }") == 1 + 1 + 100
    assert query_cost("{ posts { nodes { id } } }") == 1 + 1 + 20
    assert query_cost("{ posts(first: 5, last: 7) { nodes { id } } }") == 1 + 1 + 7


def test_variables_fragments_edges_and_typename() -> None:
    query = """
    query Q($n: Int) { posts(first: $n) { __typename edges { cursor node { ...P } } } }
    fragment P on Post { id name }
    """
    # 1 + N(edges)=1 + n * (cursor 1 + node (1 + 2))
    assert query_cost(query, {"n": 10}) == 1 + 1 + 10 * 4


def test_variable_defaults_declared_by_the_operation_are_priced() -> None:
    query = "query($n: Int = 5) { posts(first: $n) { nodes { id } } }"
    assert query_cost(query) == 1 + 1 + 5
    assert query_cost(query, {"n": 7}) == 1 + 1 + 7
