"""Turn a :class:`MartSpec` into GX expectations (imported only once GX is allowed to load).

Every check compiles to SQL that DuckDB and PostgreSQL both run (no ``epoch()``, ``contains()`` or
``unpivot``): column-map expectations become one aggregate query
per table (GX bundles them), and the checks GX has no expectation for (references, future
timestamps, freshness) are ``UnexpectedRowsExpectation`` queries over ``{batch}``.
"""

from __future__ import annotations

from typing import Any

import great_expectations.expectations as gxe

from producthuntdb.quality.dbtproject import future_tolerance_minutes
from producthuntdb.quality.suites import REDACTED, TRACKING_REGEX, MartSpec
from producthuntdb.settings import Settings
from producthuntdb.warehouse import quote_identifier

TEXT_TYPES = ("VARCHAR", "TEXT", "CHARACTER VARYING")
"""Text column types as DuckDB and PostgreSQL name them in information_schema."""


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _rows(condition: str, column: str, check: str, name: str) -> Any:
    """Rows of the batch where ``column`` is set but ``condition`` does not hold must not exist.

    GX has no regex or LIKE support for the ``duckdb`` dialect (its dialect table lacks it), so
    these checks are plain SQL that DuckDB runs, with the column and check kept in ``meta``.
    The query GX runs answers one aggregate row (the count) rather than the offending rows: the
    buffered dialect would otherwise hold every bad row in memory; the gate fetches a sample
    of the rows themselves (``sample_sql``) only when the check fails.
    """
    rows = f"select {quote_identifier(column)} from {{batch}} where {quote_identifier(column)} is not null and not ({condition})"
    count = f"select count(*) as unexpected_rows from ({rows}) as bad having count(*) > 0"
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=count,
        description=f"{column}: {check}",
        meta={"column": column, "check": name, "expected": check, "sample_sql": rows},
    )


def build_expectations(
    spec: MartSpec | None, columns: dict[str, str], min_rows: int | None, settings: Settings, schema: str
) -> list[Any]:
    """The suite of one mart; checks on columns the mart does not have are left out (keys excepted)."""
    out: list[Any] = []
    # No silent data loss: never fewer rows than the last export; a required mart is never empty.
    floor = max(min_rows or 0, 0 if spec is None or spec.optional else 1)
    if floor:
        hint = " (last export; --allow-shrink to accept)" if min_rows else ""
        out.append(gxe.ExpectTableRowCountToBeBetween(min_value=floor, meta={"hint": hint}))
    if spec is None:
        return out
    has = columns.__contains__
    tolerance_seconds = future_tolerance_minutes(settings) * 60
    for key in spec.key:
        out.append(gxe.ExpectColumnToExist(column=key))
        if has(key):
            out.append(gxe.ExpectColumnValuesToNotBeNull(column=key))
    if len(spec.key) == 1 and has(spec.key[0]):
        out.append(gxe.ExpectColumnValuesToBeUnique(column=spec.key[0]))
    elif all(map(has, spec.key)):
        out.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(spec.key)))
    out += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in spec.not_null if has(c)]
    out += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in spec.non_negative if has(c)]
    out += [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=low, max_value=high)
        for c, (low, high) in spec.bounds.items()
        if has(c)
    ]
    out += [
        _rows(f"{quote_identifier(c)} ~ {_literal(rx)}", c, f"matches {rx}", "format")
        for c, rx in spec.regex.items()
        if has(c)
    ]
    out += [
        _rows(f"not ({quote_identifier(c)} ~ {_literal('^.*' + TRACKING_REGEX + '.*$')})", c, "no utm_*/ref parameter", "tracking")
        for c in spec.no_tracking
        if has(c)
    ]
    out += [
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
        )
        for later, earlier in spec.ordered
        if has(later) and has(earlier)
    ]
    out += [
        _rows(
            f"extract(epoch from {quote_identifier(c)}) <= extract(epoch from now()) + {tolerance_seconds}",
            c,
            "<= now",
            "not in the future",
        )
        for c in spec.timestamps
        if has(c)
    ]
    out += [
        _rows(
            f"{quote_identifier(ref.column)} in (select {quote_identifier(ref.target)} from {schema}.{quote_identifier(ref.table)})",
            ref.column,
            f"in {ref.table}.{ref.target}",
            "reference",
        )
        for ref in spec.references
        if has(ref.column)
    ]
    text_columns = [c for c, data_type in columns.items() if data_type.upper() in TEXT_TYPES]
    if text_columns:
        counts = " union all ".join(
            f"select {_literal(c)} as column_name, count(*) filter (where strpos({quote_identifier(c)}, "
            f"{_literal(REDACTED)}) > 0) as hits from {{batch}}"
            for c in text_columns
        )
        query = f"select column_name, hits from ({counts}) as t where hits > 0"
        out.append(
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=query,
                description=f"no {REDACTED} string in any text column of {spec.table}",
                meta={"column": "*", "check": "redacted", "expected": f"no {REDACTED}", "sample_sql": query},
            )
        )
    if spec.table == "posts" and settings.check_freshness and has("created_at"):
        seconds = int(settings.freshness_max_age_hours * 3600)
        stale = (
            "select newest from (select max(created_at) as newest from {batch}) as t "
            f"where newest is null or extract(epoch from newest) < extract(epoch from now()) - {seconds}"
        )
        out.append(
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=stale,
                description=f"newest post younger than {settings.freshness_max_age_hours:g} h",
                meta={
                    "column": "created_at",
                    "check": "freshness",
                    "expected": f"newest < {settings.freshness_max_age_hours:g} h old",
                    "sample_sql": stale,
                },
            )
        )
    return out


def completeness(gaps: str) -> Any:
    """No window a sync recorded short (``gaps``, raw._gaps) may hold fewer posts than the API
    listed minus the quarantined ones: a harvest that lost rows never passes as complete."""
    from producthuntdb.source.ledger import open_gaps_sql

    rows = open_gaps_sql(gaps, "{batch}", "timezone('UTC', p.created_at)")
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=f"select count(*) as unexpected_rows from ({rows}) as bad having count(*) > 0",
        description="every posts window holds the posts the API listed (raw._gaps)",
        meta={
            "column": "created_at", "check": "complete windows",
            "expected": "no window short of the API's totalCount minus the quarantined (raw._gaps)",
            "sample_sql": rows,
        },
    )


def describe_expected(expectation: str, kwargs: dict[str, Any]) -> str:
    """What a passing result would have looked like, for the ``check`` table."""
    if expectation == "expect_table_row_count_to_be_between":
        return f">= {kwargs.get('min_value')} rows"
    if expectation == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        return f"between {low} and {high}" if high is not None else f">= {low}"
    if expectation == "expect_column_values_to_match_regex":
        return f"matches {kwargs.get('regex')}"
    if expectation == "expect_column_values_to_not_match_like_pattern":
        return f"not like {kwargs.get('like_pattern')}"
    if expectation == "expect_column_pair_values_a_to_be_greater_than_b":
        return f"{kwargs.get('column_A')} >= {kwargs.get('column_B')}"
    if expectation == "unexpected_rows_expectation":
        return "0 rows"
    return {
        "expect_column_to_exist": "column exists",
        "expect_column_values_to_not_be_null": "no NULLs",
        "expect_column_values_to_be_unique": "unique",
        "expect_compound_columns_to_be_unique": "unique combination",
    }.get(expectation, "pass")
