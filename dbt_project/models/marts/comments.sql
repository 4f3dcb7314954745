{{
    config(
        materialized='incremental',
        unique_key='comment_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['post_id']}, {'columns': ['user_id']}, {'columns': ['created_at']}],
    )
}}

with

comments as (
    select * from {{ ref('stg_producthunt__comments') }}
),

final as (
    select
        comment_id,
        post_id,
        parent_id,
        body,
        url,
        user_id,
        is_user_redacted,
        votes_count,
        created_at,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from comments
    where {{ new_loads_only() }}
)

select * from final
