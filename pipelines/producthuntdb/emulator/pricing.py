"""The emulator's own price list: graphql-ruby's complexity rules, written apart from the client's.

The client estimates a query's price with ``api/complexity.py``; if the emulator charged with
that same function, no test could ever catch a pricing error. This module is a separate
implementation of the server side, with the two rules graphql-ruby has shipped for
connections (``--cost-model``):

``current``
    a connection costs ``1 + metadata + containers + page * item``: the ``nodes``/``edges``
    field itself counts once, its selection ``page`` times.
``legacy-nodes``
    the older rule: the ``nodes``/``edges`` field *and* its selection are multiplied by the
    page size, ``1 + metadata + page * (1 + item)`` per container. ``PostsPage`` costs 344
    instead of 325, ``TopicPosts`` 44 instead of 25 and ``CollectionsPage`` 1,104 instead of 705.
``nested``
    the connection's whole selection is multiplied by its page size, metadata included:
    ``1 + page * (metadata + containers + item)``, so a connection nested in another multiplies
    with it (the real API's ``20 posts × 30 comments`` query cost 963,202). ``PostsPage`` costs
    401, ``TopicPosts`` 101, ``CollectionsPage`` 2,301 (20 collections × 20 posts × 5).

Everything else is graphql-ruby's default: a scalar or enum field costs 1, ``__typename``
0, an object field 1 plus its selection, fragments are merged in place, and the page size
is ``first``/``last`` as requested (the larger if both) or 20. ``--cost-factor`` multiplies
the result (rounded up), to model a server that charges more than any rule we know.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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
    IntValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from producthuntdb.emulator.config import COST_MODELS

SERVER_DEFAULT_PAGE = 20


class PricingError(ValueError):
    """The request names no single operation (the server refuses it before pricing)."""


class Pricer:
    """Prices validated documents against one schema under one rule."""

    def __init__(self, schema: GraphQLSchema, model: str = "current", factor: float = 1.0) -> None:
        if model not in COST_MODELS:
            raise ValueError(f"cost model must be one of {', '.join(COST_MODELS)}, not {model!r}")
        if factor <= 0:
            raise ValueError(f"cost factor must be positive, not {factor}")
        self.schema = schema
        self.model = model
        self.factor = factor

    def price(
        self, document: DocumentNode, variables: Mapping[str, Any] | None, operation_name: str | None
    ) -> int:
        """Points one request is charged: the rule's complexity times the factor, rounded up."""
        return self.charge(self.complexity(document, variables, operation_name))

    def charge(self, complexity: int) -> int:
        """Points charged for a request of ``complexity``: the factor applied, rounded up."""
        return complexity if self.factor == 1.0 else math.ceil(complexity * self.factor - 1e-9)

    def complexity(
        self, document: DocumentNode, variables: Mapping[str, Any] | None, operation_name: str | None
    ) -> int:
        fragments: dict[str, FragmentDefinitionNode] = {}
        operations: list[OperationDefinitionNode] = []
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
            elif isinstance(definition, OperationDefinitionNode) and (
                operation_name is None or (definition.name and definition.name.value == operation_name)
            ):
                operations.append(definition)
        if len(operations) != 1:
            raise PricingError("Must provide exactly one operation, or an operationName")
        operation = operations[0]
        values = dict(variables or {})
        for declared in operation.variable_definitions or ():
            name = declared.variable.name.value
            if name not in values and isinstance(declared.default_value, IntValueNode):
                values[name] = int(declared.default_value.value)
        root = self.schema.mutation_type if operation.operation == OperationType.MUTATION else self.schema.query_type
        if root is None:
            raise PricingError("the schema has no root type for this operation")
        walk = _Walk(self.schema, fragments, values, self.model)
        return walk.selections(operation.selection_set, root)


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        model: str,
    ) -> None:
        self.schema, self.fragments, self.variables, self.model = schema, fragments, variables, model

    def flatten(
        self, selection_set: SelectionSetNode | None, owner: Any
    ) -> list[tuple[FieldNode, Any]]:
        out: list[tuple[FieldNode, Any]] = []
        pending = [(selection_set, owner)]
        while pending:
            current, parent = pending.pop()
            if current is None:
                continue
            for selection in reversed(current.selections):
                if isinstance(selection, FieldNode):
                    out.append((selection, parent))
                    continue
                condition: NamedTypeNode | None
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is None:
                        raise PricingError(f"Fragment {selection.name.value} was used, but not defined")
                    condition, inner = fragment.type_condition, fragment.selection_set
                elif isinstance(selection, InlineFragmentNode):
                    condition, inner = selection.type_condition, selection.selection_set
                else:
                    continue
                typed = self.schema.get_type(condition.name.value) if condition is not None else None
                pending.append((inner, typed if isinstance(typed, GraphQLObjectType | GraphQLInterfaceType) else parent))
        return out

    def selections(self, selection_set: SelectionSetNode | None, owner: Any) -> int:
        return sum(self.field(node, parent) for node, parent in self.flatten(selection_set, owner))

    def field(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        definition = parent.fields.get(name) if hasattr(parent, "fields") else None
        if definition is None:
            return 1
        target = get_named_type(definition.type)
        if not isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        if _is_connection(target):
            return self.connection(node, target)
        return 1 + self.selections(node.selection_set, target)

    def connection(self, node: FieldNode, connection: Any) -> int:
        page = self.page_size(node)
        metadata = containers = per_page = 0
        for child, parent in self.flatten(node.selection_set, connection):
            if child.name.value not in ("nodes", "edges"):
                metadata += self.field(child, parent)
                continue
            item_type = get_named_type(parent.fields[child.name.value].type)
            item = self.selections(child.selection_set, item_type)
            if self.model == "legacy-nodes":
                per_page += 1 + item
            else:
                containers, per_page = containers + 1, per_page + item
        if self.model == "nested":
            return 1 + page * (metadata + containers + per_page)
        return 1 + metadata + containers + page * per_page

    def page_size(self, node: FieldNode) -> int:
        found: list[int] = []
        for argument in node.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value: Any = argument.value
            if isinstance(value, VariableNode):
                resolved = self.variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                resolved = int(value.value)
            else:
                resolved = None
            if isinstance(resolved, int) and not isinstance(resolved, bool):
                found.append(resolved)
        return max(found) if found else SERVER_DEFAULT_PAGE


def _is_connection(named: Any) -> bool:
    return str(named.name).endswith("Connection") and "pageInfo" in named.fields
