with

source as (
    {{ raw_table('votes') }}
),

latest as (
    {{ latest_per_key('source', 'id') }}
),

renamed as (
    select
        trim(id) as vote_id,
        trim(post_id) as post_id,
        {{ clean_user_id('user_id') }} as user_id,
        {{ is_redacted_user_id('user_id') }} as is_user_redacted,
        {{ to_utc('created_at') }} as created_at,
        _dlt_load_id
    from latest
    where nullif(trim(id), '') is not null
)

select * from renamed
