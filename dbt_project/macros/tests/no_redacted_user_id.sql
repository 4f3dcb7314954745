{#- A user key is never the API's redacted id "0" (it must have become NULL). -#}
{% test no_redacted_user_id(model, column_name) %}
select {{ column_name }} as value
from {{ model }}
where trim(cast({{ column_name }} as varchar)) = '0'
{% endtest %}
