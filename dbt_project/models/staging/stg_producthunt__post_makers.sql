with

source as (
    {{ raw_table('post_makers') }}
),

latest as (
    {{ latest_per_key('source', 'post_id, position') }}
),

renamed as (
    select
        trim(post_id) as post_id,
        position,
        {{ clean_user_id('maker_id') }} as maker_id,
        {{ is_redacted_user_id('maker_id') }} as is_maker_redacted,
        _dlt_load_id
    from latest
    where nullif(trim(post_id), '') is not null and position is not null
)

select * from renamed
