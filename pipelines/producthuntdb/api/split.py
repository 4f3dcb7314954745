"""Smaller requests for a server with a per-query complexity cap.

The real API refuses a query over its cap ("Query has complexity of 963202, which exceeds max
complexity of 500000", HTTP 200, no data, nothing charged). Asking the same again is refused
again; the request must ask for less. Two ways, both invisible to the caller:

* *fewer aliases*: a request of many top-level fields (``t0: posts(...) t1: posts(...)``, the
  membership batches, the users lookups) is cut into parts of fewer fields, each sent on its
  own, and the answers are merged back into one ``data`` — the caller sees one answer;
* *smaller pages*: the page sizes a request sets by variable (``first``, an alias's ``first3``,
  a nested connection's ``postsFirst``) are scaled down until the complexity fits. Every caller
  pages with ``pageInfo``, so a smaller page only means more pages (a collection's first page of
  posts holds fewer and ``collection_posts`` fetches the rest).

Complexity grows with the product of nested page sizes, so each nesting level (a distinct
variable name once the alias digits are dropped) is scaled by the same root of ``limit ÷ complexity``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    print_ast,
    visit,
)
from graphql.language import Visitor

from producthuntdb.api.prices import SIZE_VARIABLE, size_base


def operation_of(document: DocumentNode) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operations[0] if len(operations) == 1 else None


def operation_name(document: DocumentNode) -> str:
    operation = operation_of(document)
    return operation.name.value if operation is not None and operation.name is not None else "anonymous"


def top_fields(document: DocumentNode) -> list[FieldNode]:
    """The operation's top-level fields, or nothing when they are not all plain fields."""
    operation = operation_of(document)
    if operation is None:
        return []
    selections = list(operation.selection_set.selections)
    return [s for s in selections if isinstance(s, FieldNode)] if all(isinstance(s, FieldNode) for s in selections) else []


def size_variables(document: DocumentNode, variables: Mapping[str, Any]) -> dict[str, int]:
    """The page sizes the request sets by variable (given, or the operation's default)."""
    operation = operation_of(document)
    sizes: dict[str, int] = {}
    for definition in (operation.variable_definitions or ()) if operation is not None else ():
        name = definition.variable.name.value
        if not SIZE_VARIABLE.match(name):
            continue
        value = variables.get(name)
        if value is None and isinstance(definition.default_value, IntValueNode):
            value = int(definition.default_value.value)
        if isinstance(value, int) and not isinstance(value, bool):
            sizes[name] = value
    return sizes


def smaller_sizes(sizes: Mapping[str, int], complexity: int, limit: int) -> dict[str, int] | None:
    """Page sizes scaled so ``complexity`` falls to ``limit``; None when none can shrink."""
    if not any(value > 1 for value in sizes.values()) or complexity <= 0:
        return None
    levels = len({size_base(name) for name in sizes})
    factor = (limit / complexity) ** (1 / levels)
    return {
        name: value if value <= 1 else max(1, min(value - 1, math.floor(value * factor)))
        for name, value in sizes.items()
    }


def parts(count: int, complexity: int, limit: int) -> int:
    """How many top-level fields a part may carry so ``complexity`` (of ``count`` fields) fits ``limit``."""
    return max(1, min(count - 1, math.floor(count * limit / max(complexity, 1))))


def subset(document: DocumentNode, indices: Sequence[int], variables: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The request of only the top-level fields at ``indices``: its text and its variables
    (the variables and fragments no kept field uses are dropped: GraphQL refuses unused ones)."""
    operation = operation_of(document)
    assert operation is not None
    fields = top_fields(document)
    kept = tuple(fields[i] for i in indices)
    used, spreads = _uses(kept)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    pending = list(spreads)
    while pending:
        fragment = fragments.get(pending.pop())
        if fragment is None:
            continue
        inner_used, inner_spreads = _uses((fragment,))
        used |= inner_used
        pending += [name for name in inner_spreads if name not in spreads]
        spreads |= inner_spreads
    part = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(d for d in operation.variable_definitions or () if d.variable.name.value in used),
        directives=operation.directives,
        selection_set=SelectionSetNode(selections=kept),
    )
    definitions = [part, *(fragments[name] for name in sorted(spreads) if name in fragments)]
    return print_ast(DocumentNode(definitions=tuple(definitions))), {k: v for k, v in variables.items() if k in used}


class _Uses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.variables: set[str] = set()
        self.spreads: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.variables.add(node.name.value)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.spreads.add(node.name.value)


def _uses(nodes: Sequence[Any]) -> tuple[set[str], set[str]]:
    """Variables and fragment spreads used under ``nodes``."""
    found = _Uses()
    for node in nodes:
        visit(node, found)
    return found.variables, found.spreads
