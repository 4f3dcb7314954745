{#- Text is either NULL or has visible characters: blanks must have been cleaned to NULL. -#}
{% test not_empty_string(model, column_name) %}
select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null and trim({{ column_name }}) = ''
{% endtest %}
