with

source as (
    {{ raw_table('users') }}
),

latest as (
    {{ latest_per_key('source', 'id') }}
),

renamed as (
    select
        trim(id) as user_id,
        {{ clean_text('name') }} as name,
        {{ clean_text('username') }} as username,
        {{ clean_text('headline') }} as headline,
        {{ clean_text('url') }} as url,
        {{ clean_text('profile_image') }} as profile_image,
        {{ clean_text('twitter_username') }} as twitter_username,
        {{ clean_text('website_url') }} as website_url,
        -- the API answers false for every redacted user: only trust it when not redacted
        case when {{ is_redacted_text('username') }} or {{ is_redacted_text('name') }} then null else is_maker end
            as is_maker,
        {{ is_redacted_text('username') }} or {{ is_redacted_text('name') }} or {{ is_redacted_text('url') }}
            as is_redacted,
        {{ to_utc('created_at') }} as created_at,
        coalesce(is_viewer, false) as is_viewer,
        _dlt_load_id
    from latest
    -- a redacted id ("0") never becomes a user
    where {{ clean_user_id('id') }} is not null
)

select * from renamed
