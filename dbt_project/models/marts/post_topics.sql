{{
    config(
        materialized=bridge_materialization(),
        unique_key='post_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['post_id']}, {'columns': ['topic_id']}],
    )
}}

-- dlt replaces a post's topics on every fetch of the post (merge_key post_id), so the
-- incremental unit is the post: all its rows are deleted and re-inserted together

with

post_topics as (
    select * from {{ ref('stg_producthunt__post_topics') }}
),

changed as (
    select distinct post_id from post_topics where {{ new_loads_only() }}
),

final as (
    select
        post_id,
        topic_id,
        position,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from post_topics
    where post_id in (select post_id from changed)
)

select * from final
