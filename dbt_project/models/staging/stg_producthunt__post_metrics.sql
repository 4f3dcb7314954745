with

source as (
    {{ raw_table('post_metrics') }}
),

latest as (
    {{ latest_per_key('source', 'post_id, observed_at') }}
),

renamed as (
    select
        trim(post_id) as post_id,
        {{ to_utc('observed_at') }} as observed_at,
        votes_count,
        comments_count,
        trim(run_id) as run_id,
        _dlt_load_id
    from latest
    where nullif(trim(post_id), '') is not null and observed_at is not null
)

select * from renamed
