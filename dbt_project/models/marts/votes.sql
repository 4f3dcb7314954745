{{
    config(
        materialized='incremental',
        unique_key='vote_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['post_id']}, {'columns': ['user_id']}, {'columns': ['created_at']}],
    )
}}

with

votes as (
    select * from {{ ref('stg_producthunt__votes') }}
),

final as (
    select
        vote_id,
        post_id,
        user_id,
        is_user_redacted,
        created_at,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from votes
    where {{ new_loads_only() }}
)

select * from final
