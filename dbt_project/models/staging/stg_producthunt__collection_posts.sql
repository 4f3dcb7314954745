with

source as (
    {{ raw_table('collection_posts') }}
),

latest as (
    {{ latest_per_key('source', 'collection_id, post_id') }}
),

renamed as (
    select
        trim(collection_id) as collection_id,
        trim(post_id) as post_id,
        _dlt_load_id
    from latest
    where nullif(trim(collection_id), '') is not null and nullif(trim(post_id), '') is not null
)

select * from renamed
