with

source as (
    {{ raw_table('post_topics') }}
),

latest as (
    {{ latest_per_key('source', 'post_id, topic_id') }}
),

renamed as (
    select
        trim(post_id) as post_id,
        trim(topic_id) as topic_id,
        _dlt_load_id
    from latest
    where nullif(trim(post_id), '') is not null and nullif(trim(topic_id), '') is not null
)

select * from renamed
