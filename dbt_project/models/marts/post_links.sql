{{
    config(
        materialized=bridge_materialization(),
        unique_key='post_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['post_id']}, {'columns': ['domain']}],
    )
}}

-- a post's links arrive with the post and replace its earlier ones (raw merge key post_id)

with

post_links as (
    select * from {{ ref('stg_producthunt__post_links') }}
),

changed as (
    select distinct post_id from post_links where {{ new_loads_only() }}
),

final as (
    select
        post_id,
        position,
        link_type,
        url,
        domain,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from post_links
    where post_id in (select post_id from changed)
)

select * from final
