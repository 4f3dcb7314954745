{{
    config(
        materialized=bridge_materialization(),
        unique_key='collection_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['collection_id']}, {'columns': ['post_id']}],
    )
}}

-- dlt replaces a collection's posts on every fetch (merge_key collection_id): the
-- incremental unit is the collection

with

collection_posts as (
    select * from {{ ref('stg_producthunt__collection_posts') }}
),

changed as (
    select distinct collection_id from collection_posts where {{ new_loads_only() }}
),

final as (
    select
        collection_id,
        post_id,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from collection_posts
    where collection_id in (select collection_id from changed)
)

select * from final
