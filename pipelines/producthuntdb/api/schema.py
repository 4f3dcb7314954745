"""The bundled Product Hunt API v2 schema, shared by the emulator, the client and the tests.

One copy of the schema serves both sides so that the emulator and the harvester can never
disagree about what a valid query is or what it costs.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from graphql import GraphQLSchema, build_schema

SCHEMA_FILE = "producthunt-api-v2.graphql"


def schema_sdl() -> str:
    """The schema's SDL text as shipped in the package."""
    return resources.files("producthuntdb.api").joinpath("schema", SCHEMA_FILE).read_text("utf-8")


@lru_cache(maxsize=1)
def load_schema() -> GraphQLSchema:
    """The parsed schema; built once per process because parsing 1,400 lines is not free."""
    return build_schema(schema_sdl())
