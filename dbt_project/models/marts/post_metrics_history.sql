{{
    config(
        materialized='incremental',
        unique_key=['post_id', 'observed_at'],
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['post_id', 'observed_at']}, {'columns': ['observed_at']}],
    )
}}

-- the API only shows today's counts; every sync's observation is appended here so the
-- rise of votes and comments over a launch's first days is kept

with

metrics as (
    select * from {{ ref('stg_producthunt__post_metrics') }}
),

final as (
    select
        post_id,
        observed_at,
        votes_count,
        comments_count,
        run_id,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from metrics
    where {{ new_loads_only() }}
)

select * from final
