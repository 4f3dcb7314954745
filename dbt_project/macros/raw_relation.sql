{#-
  Reading the dlt dataset safely.

  dlt creates a table only once a resource yields rows, and a column only once a value
  for it is not null; comments/votes/users/collections exist only after an opt-in sync.
  `raw_table(table)` therefore renders a SELECT of exactly the table's contract columns
  (`raw_contract`, generated from the source's contract.py): present columns are cast, absent
  ones are typed NULLs, and an
  absent table yields an empty typed relation, so `dbt build` passes on any sync. A
  `required` table (posts) that is absent is an error: the file was never synced.

  Only rows of completed loads are read: a row whose `_dlt_load_id` is not in
  `_dlt_loads` with status 0 belongs to a load that failed or is still running.
-#}
{% macro raw_table(table_name, required=false) -%}
    {%- set columns = raw_contract(table_name) -%}
    {%- set src = source('producthunt', table_name) -%}
    {%- set present = {} -%}
    {%- set exists = true -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set relation = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
        {%- if relation is none and required -%}
            {{ exceptions.raise_compiler_error(src ~ ' does not exist: run `producthuntdb sync` first') }}
        {%- elif relation is none -%}
            {%- set exists = false -%}
        {%- else -%}
            {%- for col in adapter.get_columns_in_relation(relation) -%}
                {%- do present.update({col.name | lower: true}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- else -%}
        {#- parse time and unit tests: the fixture provides every column -#}
        {%- for name in columns -%}{%- do present.update({name: true}) -%}{%- endfor -%}
        {%- do present.update({'_dlt_load_id': true, '_dlt_id': true}) -%}
    {%- endif -%}
    {%- if exists %}
    select
        {%- for name, type in columns.items() %}
        {% if name in present %}cast({{ adapter.quote(name) }} as {{ type }}){% else %}cast(null as {{ type }}){% endif %} as {{ adapter.quote(name) }},
        {%- endfor %}
        cast(_dlt_load_id as varchar) as _dlt_load_id,
        cast(_dlt_id as varchar) as _dlt_id
    from {{ src }}
    where _dlt_load_id in (
        select load_id from {{ source('producthunt', '_dlt_loads') }} where status = 0
    )
    {%- else %}
    -- {{ src }} does not exist (not synced yet): an empty relation with the same columns
    select
        {%- for name, type in columns.items() %}
        cast(null as {{ type }}) as {{ adapter.quote(name) }},
        {%- endfor %}
        cast(null as varchar) as _dlt_load_id,
        cast(null as varchar) as _dlt_id
    where false
    {%- endif %}
{%- endmacro %}
