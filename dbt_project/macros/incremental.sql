{#- How incremental marts are written, chosen per adapter.

    DuckDB and PostgreSQL: `delete+insert` — every row of a changed key is deleted, then the
    rebuilt rows inserted. The bridge marts (post_topics, post_makers, collection_posts) need
    exactly that: a post's whole set of topics is replaced, including topics it lost.
    BigQuery (a recipe, untested live): dbt-bigquery has no delete+insert, so marts keyed by one
    row use `merge`, and the bridge marts are rebuilt whole as tables. -#}
{% macro incremental_strategy() -%}
    {{ return(adapter.dispatch('incremental_strategy')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro bigquery__incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{#- The materialization of a bridge mart (several rows per unique_key). -#}
{% macro bridge_materialization() -%}
    {{ return(adapter.dispatch('bridge_materialization')()) }}
{%- endmacro %}

{% macro default__bridge_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro bigquery__bridge_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
