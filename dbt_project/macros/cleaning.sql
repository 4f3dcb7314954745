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

{#- A URL without its tracking parameters: the API's `website` redirect carries `utm_*`
    parameters naming the harvesting application and its id, and links often carry `ref=`.
    Other parameters, the fragment and everything else stay as they were. -#}
{% macro strip_tracking(column) -%}
    {%- set dropped = regexp_replace_all(column, "'([?&])(utm_[^=&#]*|ref)=[^&#]*'", "'\\1'") -%}
    {%- set squeezed = regexp_replace_all(dropped, "'([?&])&+'", "'\\1'") -%}
    {{ regexp_replace_all(squeezed, "'[?&]+(#|$)'", "'\\1'") }}
{%- endmacro %}

{#- The host of a URL, lower case, without `www.`; NULL for text that is not an http(s) URL. -#}
{% macro url_domain(column) -%}
    case when lower({{ column }}) like 'http%://%' then
        {{ regexp_replace_all('lower(' ~ column ~ ')', "'^[a-z]+://([^/?#@]*@)?(www[.])?([^/?#:]+).*$'", "'\\3'") }}
    end
{%- endmacro %}

{#- Every match of `pattern` replaced (both arguments are SQL string literals). -#}
{% macro regexp_replace_all(column, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all')(column, pattern, replacement)) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL: the `g` flag; `\1` names a group in both. -#}
{% macro default__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro bigquery__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, r{{ pattern }}, r{{ replacement }})
{%- endmacro %}

{#- Hours from `start` to `moment` (both naive UTC timestamps), rounded down; negative before `start`. -#}
{% macro hours_between(start, moment) -%}
    {{ return(adapter.dispatch('hours_between')(start, moment)) }}
{%- endmacro %}

{% macro default__hours_between(start, moment) -%}
    cast(floor(extract(epoch from ({{ moment }} - {{ start }})) / 3600) as bigint)
{%- endmacro %}

{% macro bigquery__hours_between(start, moment) -%}
    div(datetime_diff({{ moment }}, {{ start }}, second) - if(datetime_diff({{ moment }}, {{ start }}, second) < 0, 3599, 0), 3600)
{%- endmacro %}
