{{
    config(
        materialized=bridge_materialization(),
        unique_key=['post_id', 'topic_id'],
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['post_id']}, {'columns': ['topic_id']}],
    )
}}

-- membership arrives a topic at a time (raw.post_topics merges per link), so the incremental
-- unit is the link: a load brings new links and never stands for a post's whole set

with

post_topics as (
    select * from {{ ref('stg_producthunt__post_topics') }}
),

final as (
    select
        post_id,
        topic_id,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from post_topics
    where {{ new_loads_only() }}
)

select * from final
