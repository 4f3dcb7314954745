{#- Cleaning rules shared by every staging model (see docs/ARCHITECTURE.md, "Marts"). -#}

{#- Trimmed text; empty strings and the API's "[REDACTED]" placeholder become NULL. -#}
{% macro clean_text(column) -%}
    nullif(nullif(trim({{ column }}), ''), '[REDACTED]')
{%- endmacro %}

{#- True when the API redacted this text value (it never carries real data then). -#}
{% macro is_redacted_text(column) -%}
    coalesce(trim({{ column }}) = '[REDACTED]', false)
{%- endmacro %}

{#- A user id; the API's redacted id "0" (and blanks) become NULL, never a user. -#}
{% macro clean_user_id(column) -%}
    nullif(nullif(trim({{ column }}), ''), '0')
{%- endmacro %}

{#- True when the API sent the redacted user id "0". -#}
{% macro is_redacted_user_id(column) -%}
    coalesce(trim({{ column }}) = '0', false)
{%- endmacro %}

{#- A naive TIMESTAMP holding UTC, whatever zone or offset the raw value carried. -#}
{% macro to_utc(column) -%}
    {{ return(adapter.dispatch('to_utc')(column)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL share `timezone(zone, timestamptz) -> timestamp`. -#}
{% macro default__to_utc(column) -%}
    cast(timezone('UTC', cast({{ column }} as timestamptz)) as timestamp)
{%- endmacro %}

{% macro bigquery__to_utc(column) -%}
    datetime(cast({{ column }} as timestamp), 'UTC')
{%- endmacro %}

{#- Keep the latest version of each key: the row from the newest completed load wins.
    Portable SQL (no DuckDB `qualify`, no PostgreSQL `distinct on`): the rank column `_rank`
    rides along, and callers select their columns by name. -#}
{% macro latest_per_key(relation, key, order_by='_dlt_load_id desc, _dlt_id desc') -%}
    select * from (
        select *, row_number() over (partition by {{ key }} order by {{ order_by }}) as _rank
        from {{ relation }}
    ) as ranked
    where _rank = 1
{%- endmacro %}

{#- The highest dlt load id already in an incremental model: rows of later loads are new. -#}
{% macro max_load_id() -%}
    (select coalesce(max(_dlt_load_id), '') from {{ this }})
{%- endmacro %}

{#- The Product Hunt day of a UTC timestamp: launches reset at midnight Pacific time. -#}
{% macro to_launch_date(column) -%}
    {{ return(adapter.dispatch('to_launch_date')(column)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL: read the naive UTC value as UTC, then see it on Pacific clocks. -#}
{% macro default__to_launch_date(column) -%}
    cast(timezone('{{ var("launch_timezone", "America/Los_Angeles") }}', timezone('UTC', {{ column }})) as date)
{%- endmacro %}

{% macro bigquery__to_launch_date(column) -%}
    date(timestamp({{ column }}, 'UTC'), '{{ var("launch_timezone", "America/Los_Angeles") }}')
{%- endmacro %}

{#- A DOUBLE column type: `float` is 4 bytes in DuckDB but 8 in PostgreSQL, so neither
    `float` nor dbt.type_float() means the same thing on both. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro bigquery__type_double() -%}float64{%- endmacro %}

{#- Filter an incremental model to rows of loads it has not processed yet. -#}
{% macro new_loads_only(load_id_column='_dlt_load_id') -%}
    {%- if is_incremental() -%}
    {{ load_id_column }} > {{ max_load_id() }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
