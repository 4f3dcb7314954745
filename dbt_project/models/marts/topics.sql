{{ config(indexes=[{'columns': ['slug']}]) }}

with

topics as (
    select * from {{ ref('stg_producthunt__topics') }}
),

post_topics as (
    select * from {{ ref('post_topics') }}
),

synced as (
    select topic_id, count(distinct post_id) as synced_posts_count
    from post_topics group by topic_id
),

final as (
    select
        topics.topic_id,
        topics.name,
        topics.slug,
        topics.description,
        topics.url,
        topics.followers_count,
        topics.posts_count,
        coalesce(synced.synced_posts_count, 0) as synced_posts_count,
        topics.created_at
    from topics
    left join synced on synced.topic_id = topics.topic_id
)

select * from final
