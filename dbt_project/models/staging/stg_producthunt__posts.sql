with

source as (
    {{ raw_table('posts', required=true) }}
),

latest as (
    {{ latest_per_key('source', 'id') }}
),

renamed as (
    select
        trim(id) as post_id,
        {{ clean_text('name') }} as name,
        {{ clean_text('tagline') }} as tagline,
        {{ clean_text('description') }} as description,
        {{ clean_text('slug') }} as slug,
        {{ clean_text('url') }} as url,
        {{ strip_tracking(clean_text('website')) }} as website,
        -- the API's website is a producthunt.com redirect: its host says nothing of the product
        case when {{ url_domain(clean_text('website')) }} not like '%producthunt.com'
            then {{ url_domain(clean_text('website')) }} end as website_domain,
        {{ clean_text('thumbnail_url') }} as thumbnail_url,
        votes_count,
        comments_count,
        reviews_count,
        reviews_rating,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('featured_at') }} as featured_at,
        {{ clean_user_id('user_id') }} as user_id,
        {{ is_redacted_user_id('user_id') }} as is_user_redacted,
        _dlt_load_id
    from latest
    where nullif(trim(id), '') is not null
)

select * from renamed
