"""Parse, validate, price and execute one GraphQL request against the world.

The harvester sends the same query text every page, so parsed and validated documents
are cached by text (LRU): after the first page, a request pays only for execution.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, execute_sync, parse, validate

from producthuntdb.api.schema import load_schema
from producthuntdb.emulator.fastexec import CompiledQuery, Fallback
from producthuntdb.emulator.pricing import Pricer, PricingError
from producthuntdb.emulator.resolvers import Ctx
from producthuntdb.emulator.root import Root
from producthuntdb.emulator.world import World

DOCUMENT_CACHE_SIZE = 256


@dataclass
class Prepared:
    """A request ready to run (``document``) or refused before running (``errors``)."""

    document: DocumentNode | None
    errors: list[Any]
    cost: int = 0
    """Points the request is charged (the complexity times the cost factor)."""
    complexity: int = 0
    """The rule's complexity, what a per-query cap (``max_query_complexity``) is compared with."""


def _error(message: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, **extra}


class Engine:
    """Thread-safe: the cache is locked, execution only reads the world."""

    def __init__(
        self, world: World, schema: GraphQLSchema | None = None, cost_model: str = "current", cost_factor: float = 1.0
    ) -> None:
        self.world = world
        self.schema = schema or load_schema()
        self.pricer = Pricer(self.schema, cost_model, cost_factor)
        self._documents: OrderedDict[str, DocumentNode | list[Any]] = OrderedDict()
        self._compiled: OrderedDict[tuple[str, str | None], CompiledQuery | None] = OrderedDict()
        self._lock = threading.Lock()

    def document(self, query: str) -> DocumentNode | list[Any]:
        """The parsed, validated document for ``query``, or its errors (both cached)."""
        with self._lock:
            cached = self._documents.get(query)
            if cached is not None:
                self._documents.move_to_end(query)
                return cached
        result: DocumentNode | list[Any]
        try:
            document = parse(query)
        except GraphQLError as error:
            result = [error.formatted]
        else:
            problems = validate(self.schema, document)
            result = [e.formatted for e in problems] if problems else document
        with self._lock:
            self._documents[query] = result
            while len(self._documents) > DOCUMENT_CACHE_SIZE:
                self._documents.popitem(last=False)
        return result

    def prepare(self, body: Any) -> Prepared:
        """Check the request body and price it; nothing here is charged."""
        if not isinstance(body, Mapping):
            return Prepared(None, [_error("Request body must be a JSON object with a 'query'")])
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return Prepared(None, [_error("No query string was present")])
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, Mapping):
            return Prepared(None, [_error("Variables must be a JSON object")])
        operation = body.get("operationName")
        if operation is not None and not isinstance(operation, str):
            return Prepared(None, [_error("operationName must be a string")])
        document = self.document(query)
        if isinstance(document, list):
            return Prepared(None, document)
        try:
            complexity = self.pricer.complexity(document, variables, operation)
        except PricingError as error:
            return Prepared(None, [_error(str(error))])
        return Prepared(document, [], self.pricer.charge(complexity), complexity)

    def compiled(self, query: str, document: DocumentNode, operation: str | None) -> CompiledQuery | None:
        """The compiled form of a query (cached), or None when only graphql-core can run it."""
        key = (query, operation)
        with self._lock:
            if key in self._compiled:
                self._compiled.move_to_end(key)
                return self._compiled[key]
        try:
            compiled: CompiledQuery | None = CompiledQuery(self.schema, document, operation)
        except Fallback:
            compiled = None
        with self._lock:
            self._compiled[key] = compiled
            while len(self._compiled) > DOCUMENT_CACHE_SIZE:
                self._compiled.popitem(last=False)
        return compiled

    def execute(self, prepared: Prepared, body: Mapping[str, Any], ctx: Ctx) -> tuple[dict[str, Any], bool]:
        """Run a prepared request; returns (response JSON, whether it ran, i.e. is chargeable)."""
        assert prepared.document is not None
        variables = body.get("variables") or None
        operation = body.get("operationName")
        compiled = self.compiled(body["query"], prepared.document, operation)
        if compiled is not None:
            try:
                return compiled.execute(Root(ctx), variables), True
            except Fallback:
                pass  # graphql-core answers with the exact errors and partial data
        result = execute_sync(
            self.schema,
            prepared.document,
            root_value=Root(ctx),
            variable_values=variables,
            operation_name=operation,
        )
        response: dict[str, Any] = {}
        if result.errors:
            response["errors"] = [error.formatted for error in result.errors]
        ran = result.data is not None
        if ran or not result.errors:
            response["data"] = result.data
        return response, ran
