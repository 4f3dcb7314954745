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
    cast(timezone('UTC', cast({{ column }} as timestamptz)) as timestamp)
{%- endmacro %}

{#- Keep the latest version of each key: the row from the newest completed load wins. -#}
{% macro latest_per_key(relation, key) -%}
    select * from {{ relation }}
    qualify row_number() over (partition by {{ key }} order by _dlt_load_id desc, _dlt_id desc) = 1
{%- endmacro %}

{#- The highest dlt load id already in an incremental model: rows of later loads are new. -#}
{% macro max_load_id() -%}
    (select coalesce(max(_dlt_load_id), '') from {{ this }})
{%- endmacro %}

{#- The Product Hunt day of a UTC timestamp: launches reset at midnight Pacific time. -#}
{% macro to_launch_date(column) -%}
    cast(timezone('{{ var("launch_timezone", "America/Los_Angeles") }}', timezone('UTC', {{ column }})) as date)
{%- endmacro %}

{#- Filter an incremental model to rows of loads it has not processed yet. -#}
{% macro new_loads_only(load_id_column='_dlt_load_id') -%}
    {%- if is_incremental() -%}
    {{ load_id_column }} > {{ max_load_id() }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
