{#- No VARCHAR column of the model holds the API's "[REDACTED]" placeholder. -#}
{% test no_redacted_strings(model) %}
{%- set text_columns = [] -%}
{%- if execute -%}
    {%- for col in adapter.get_columns_in_relation(model) -%}
        {%- if col.is_string() -%}{%- do text_columns.append(col.name) -%}{%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- if text_columns %}
select *
from {{ model }}
where {% for name in text_columns %}{{ adapter.quote(name) }} like '%[REDACTED]%'{% if not loop.last %} or {% endif %}{% endfor %}
{%- else %}
select 1 as value where false
{%- endif %}
{% endtest %}
