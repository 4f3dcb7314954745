with

source as (
    {{ raw_table('topics') }}
),

latest as (
    {{ latest_per_key('source', 'id') }}
),

renamed as (
    select
        trim(id) as topic_id,
        {{ clean_text('name') }} as name,
        {{ clean_text('slug') }} as slug,
        {{ clean_text('description') }} as description,
        followers_count,
        posts_count,
        {{ to_utc('created_at') }} as created_at,
        {{ clean_text('url') }} as url,
        _dlt_load_id
    from latest
    where nullif(trim(id), '') is not null
)

select * from renamed
