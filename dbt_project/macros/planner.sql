{#- Statistics for a server's query planner right after a model is built. PostgreSQL does not
    analyze a table created by CREATE TABLE AS until autovacuum comes round, and without stats it
    estimates a handful of rows for the staging dedup filter (`_rank = 1`) and picks nested loops
    that are quadratic on real volumes. DuckDB keeps its own statistics: nothing to do (an empty
    hook is skipped). -#}
{% macro analyze_relation() -%}
    {{ return(adapter.dispatch('analyze_relation')()) }}
{%- endmacro %}

{% macro default__analyze_relation() -%}{%- endmacro %}

{% macro postgres__analyze_relation() -%}
    analyze {{ this }}
{%- endmacro %}
