{{ config(indexes=[{'columns': ['topic_id', 'week']}]) }}

{{ topic_trends_by('week') }}
