with

source as (
    {{ raw_table('post_links') }}
),

latest as (
    {{ latest_per_key('source', 'post_id, position') }}
),

cleaned as (
    select
        trim(post_id) as post_id,
        position,
        {{ clean_text('type') }} as link_type,
        {{ strip_tracking(clean_text('url')) }} as url,
        _dlt_load_id
    from latest
    where nullif(trim(post_id), '') is not null and position is not null and {{ clean_text('url') }} is not null
),

final as (
    select
        post_id,
        position,
        link_type,
        url,
        {{ url_domain('url') }} as domain,
        _dlt_load_id
    from cleaned
)

select * from final
