with

source as (
    {{ raw_table('comments') }}
),

latest as (
    {{ latest_per_key('source', 'id') }}
),

renamed as (
    select
        trim(id) as comment_id,
        trim(post_id) as post_id,
        nullif(nullif(trim(parent_id), ''), '0') as parent_id,
        {{ clean_text('body') }} as body,
        {{ clean_text('url') }} as url,
        {{ clean_user_id('user_id') }} as user_id,
        {{ is_redacted_user_id('user_id') }} as is_user_redacted,
        votes_count,
        {{ to_utc('created_at') }} as created_at,
        _dlt_load_id
    from latest
    where nullif(trim(id), '') is not null
)

select * from renamed
