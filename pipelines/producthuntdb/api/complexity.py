"""The complexity rule the API charges, computed before a request is sent.

The emulator charges with this function and the client's budget governor estimates with
it, so a harvester can know a query's price without spending it. The rule models
graphql-ruby's default (see ``shared/reference/API_FACTS.md``):

* a leaf field costs 1, ``__typename`` costs 0, an object field costs 1 + its selection;
* a connection field costs ``1 + M + N + P * I`` where ``P`` is ``first``/``last`` as
  requested (the larger if both, 20 if neither), ``I`` the cost of one item (selection
  under ``nodes`` plus selection under ``edges``), ``N`` 1 per ``nodes``/``edges`` selected
  and ``M`` the cost of the other selections (``totalCount``, ``pageInfo``);
* fragments are expanded, variables resolved, and a request costs the sum of its
  top-level fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    parse,
    value_from_ast_untyped,
)

from producthuntdb.api.schema import load_schema

DEFAULT_PAGE_SIZE = 20
"""What the server assumes a connection asks for when neither ``first`` nor ``last`` is given."""

CONNECTION_ITEM_FIELDS = frozenset({"nodes", "edges"})

_Composite = GraphQLObjectType | GraphQLInterfaceType


class ComplexityError(ValueError):
    """The document cannot be priced (no such operation, unknown field)."""


def query_cost(
    query: str | DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    schema: GraphQLSchema | None = None,
) -> int:
    """Points the API charges for one request carrying ``query``.

    Assumes the document is valid against the schema; unknown fields cost as leaves so
    an invalid document still gets a number (the server refuses it before charging).
    """
    document = parse(query) if isinstance(query, str) else query
    pricer = _Pricer(schema or load_schema(), document, dict(variables or {}))
    operation = pricer.operation(operation_name)
    pricer.apply_variable_defaults(operation)
    root = pricer.root_type(operation)
    return pricer.selection_cost(operation.selection_set, root)


class _Pricer:
    """Walks one document; holds what every level of the walk needs."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.document = document
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def operation(self, name: str | None) -> OperationDefinitionNode:
        operations = [d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]
        if name is not None:
            operations = [op for op in operations if op.name is not None and op.name.value == name]
            if not operations:
                raise ComplexityError(f"unknown operation named {name!r}")
        if len(operations) != 1:
            raise ComplexityError("the document must hold exactly one operation, or name one")
        return operations[0]

    def apply_variable_defaults(self, operation: OperationDefinitionNode) -> None:
        """Variables the request omits take the defaults the operation declares, as on the server."""
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)

    def root_type(self, operation: OperationDefinitionNode) -> GraphQLObjectType:
        root = (
            self.schema.mutation_type
            if operation.operation == OperationType.MUTATION
            else self.schema.query_type
        )
        if root is None:
            raise ComplexityError(f"the schema has no {operation.operation.value} type")
        return root

    def fields(self, selection_set: SelectionSetNode | None, parent: _Composite) -> Iterator[tuple[FieldNode, _Composite]]:
        """Field nodes of a selection set with fragments expanded, each with its parent type."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                yield from self.fields(selection.selection_set, self._narrow(selection.type_condition, parent))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise ComplexityError(f"unknown fragment {selection.name.value!r}")
                yield from self.fields(fragment.selection_set, self._narrow(fragment.type_condition, parent))

    def _narrow(self, condition: Any, parent: _Composite) -> _Composite:
        if condition is None:
            return parent
        narrowed = self.schema.get_type(condition.name.value)
        return narrowed if isinstance(narrowed, GraphQLObjectType | GraphQLInterfaceType) else parent

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: _Composite) -> int:
        return sum(self.field_cost(node, owner) for node, owner in self.fields(selection_set, parent))

    def field_cost(self, node: FieldNode, parent: _Composite) -> int:
        if node.name.value == "__typename":
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 1
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        if named.name.endswith("Connection") and "pageInfo" in named.fields:
            return self.connection_cost(node, named)
        return 1 + self.selection_cost(node.selection_set, named)

    def connection_cost(self, node: FieldNode, connection: _Composite) -> int:
        metadata = item = containers = 0
        for child, owner in self.fields(node.selection_set, connection):
            name = child.name.value
            if name in CONNECTION_ITEM_FIELDS:
                containers += 1
                definition = owner.fields[name]
                item_type = get_named_type(definition.type)
                assert isinstance(item_type, GraphQLObjectType | GraphQLInterfaceType)
                item += self.selection_cost(child.selection_set, item_type)
            else:
                metadata += self.field_cost(child, owner)
        return 1 + metadata + containers + self.page_size(node) * item

    def page_size(self, node: FieldNode) -> int:
        """``first``/``last`` as requested (the larger if both), else the server default."""
        sizes = []
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                value = value_from_ast_untyped(argument.value, self.variables)
                if isinstance(value, int) and not isinstance(value, bool):
                    sizes.append(value)
        return max(sizes) if sizes else DEFAULT_PAGE_SIZE
