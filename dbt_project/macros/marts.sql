{#- Every model of the marts layer. Singular tests that scan all marts ref() them from this
    list, so dbt runs those tests after the marts are built; the tests also report any mart
    missing from this list, so it cannot silently fall behind. -#}
{% macro mart_names() -%}
    {{ return([
        'posts', 'users', 'topics', 'post_topics', 'post_makers', 'post_links', 'collections',
        'collection_posts', 'comments', 'votes', 'post_metrics_history',
        'daily_launches', 'topic_trends', 'topic_trends_weekly', 'leaderboard_daily', 'post_trajectory',
    ]) }}
{%- endmacro %}

{#- Marts present in the manifest but missing from mart_names(), as SQL rows for a test. -#}
{% macro unlisted_marts_sql() -%}
    {%- set missing = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.config.schema == 'marts'
                and node.name not in mart_names() -%}
                {%- do missing.append(node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for name in missing %}
    select 'mart not listed in mart_names(): {{ name }}' as problem
    union all
    {%- endfor %}
    select null as problem where false
{%- endmacro %}

{#- Columns of a relation whose data type satisfies `predicate` ('string' or 'timestamp'). -#}
{% macro columns_of_kind(relation, kind) -%}
    {%- set names = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- set dtype = col.dtype | lower -%}
        {%- if (kind == 'string' and col.is_string())
            or (kind == 'timestamp' and dtype.startswith('timestamp')) -%}
            {%- do names.append(col.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
