-- No user key of any mart is the API's redacted id "0": a redacted user never becomes a user.
{%- set marts = [] %}
{%- for name in mart_names() %}{% do marts.append(ref(name)) %}{% endfor %}

{{ unlisted_marts_sql() }}
{%- if execute %}
{%- for relation in marts %}
{%- for col in adapter.get_columns_in_relation(relation) %}
{%- if col.name in ('user_id', 'maker_id', 'hunter_id') %}
union all
select '{{ relation.identifier }}.{{ col.name }} is "0"' as problem
from {{ relation }}
where trim(cast({{ adapter.quote(col.name) }} as varchar)) = '0'
{%- endif %}
{%- endfor %}
{%- endfor %}
{%- endif %}
