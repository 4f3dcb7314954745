-- No VARCHAR column of any mart holds the API's "[REDACTED]" placeholder: redacted values
-- must be NULL with an is_*_redacted flag.
{%- set marts = [] %}
{%- for name in mart_names() %}{% do marts.append(ref(name)) %}{% endfor %}

{{ unlisted_marts_sql() }}
{%- if execute %}
{%- for relation in marts %}
{%- for column in columns_of_kind(relation, 'string') %}
union all
select '{{ relation.identifier }}.{{ column }} holds [REDACTED]' as problem
from {{ relation }}
where {{ adapter.quote(column) }} like '%[REDACTED]%'
{%- endfor %}
{%- endfor %}
{%- endif %}
