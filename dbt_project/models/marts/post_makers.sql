{{
    config(
        materialized=bridge_materialization(),
        unique_key='post_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['post_id']}, {'columns': ['maker_id']}],
    )
}}

-- one row per maker position, even when the API redacted the maker: maker counts survive
-- redaction while a redacted id ("0") never becomes a user

with

post_makers as (
    select * from {{ ref('stg_producthunt__post_makers') }}
),

changed as (
    select distinct post_id from post_makers where {{ new_loads_only() }}
),

final as (
    select
        post_id,
        position,
        maker_id,
        is_maker_redacted,
        _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from post_makers
    where post_id in (select post_id from changed)
)

select * from final
