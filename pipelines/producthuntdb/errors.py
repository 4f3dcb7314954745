"""Error types that carry their own exit code, so the CLI can print one line and exit."""

from __future__ import annotations

from typing import Any


class ProductHuntDBError(Exception):
    """A failure the operator can act on: printed as one line, never as a traceback."""

    exit_code = 1


class ConfigError(ProductHuntDBError):
    """Bad usage or configuration (exit 2). ``problems`` holds one message per problem."""

    exit_code = 2

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class ApiError(ProductHuntDBError):
    """The API could not be used (network gone, retries exhausted, bad answers)."""


class TokenRejectedError(ApiError):
    """HTTP 401: retrying cannot help, the token must change."""


class GraphQLQueryError(ApiError):
    """The server refused the query, or could not resolve it: ``errors`` holds what it said."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])


class QueryTooComplexError(GraphQLQueryError):
    """The server's complexity limit refused the query: ask for fewer items (``cost`` > ``limit``)."""

    def __init__(self, message: str, cost: int, limit: int) -> None:
        super().__init__(message)
        self.cost, self.limit = cost, limit


class StageError(ProductHuntDBError):
    """A pipeline stage (build, check, export, publish) failed."""
