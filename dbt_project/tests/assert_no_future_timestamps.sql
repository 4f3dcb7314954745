-- No timestamp in any mart lies in the future (var future_tolerance_minutes of slack for clock
-- skew, the quality gate's too): a future date means a time zone or parsing mistake.
{%- set marts = [] %}
{%- for name in mart_names() %}{% do marts.append(ref(name)) %}{% endfor %}

{{ unlisted_marts_sql() }}
{%- if execute %}
{%- for relation in marts %}
{%- for column in columns_of_kind(relation, 'timestamp') %}
union all
select '{{ relation.identifier }}.{{ column }} in the future' as problem
from {{ relation }}
where {{ adapter.quote(column) }} > {{ to_utc(dbt.current_timestamp()) }} + interval '{{ var("future_tolerance_minutes") }} minutes'
{%- endfor %}
{%- endfor %}
{%- endif %}
