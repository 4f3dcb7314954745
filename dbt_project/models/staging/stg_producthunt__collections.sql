with

source as (
    {{ raw_table('collections') }}
),

latest as (
    {{ latest_per_key('source', 'id') }}
),

renamed as (
    select
        trim(id) as collection_id,
        {{ clean_text('name') }} as name,
        {{ clean_text('tagline') }} as tagline,
        {{ clean_text('description') }} as description,
        {{ clean_text('url') }} as url,
        {{ clean_text('cover_image') }} as cover_image,
        followers_count,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('featured_at') }} as featured_at,
        {{ clean_user_id('user_id') }} as user_id,
        {{ is_redacted_user_id('user_id') }} as is_user_redacted,
        _dlt_load_id
    from latest
    where nullif(trim(id), '') is not null
)

select * from renamed
