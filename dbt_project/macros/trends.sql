{#- Posts, featured posts, votes and comments per topic per `grain` (month, week) of launch_date:
    topic_trends and topic_trends_weekly, one query. The period column is named after the grain. -#}
{% macro topic_trends_by(grain) -%}
with

posts as (
    select post_id, launch_date, is_featured, votes_count, comments_count from {{ ref('posts') }}
),

post_topics as (
    select post_id, topic_id from {{ ref('post_topics') }}
),

topics as (
    select topic_id, name from {{ ref('topics') }}
),

final as (
    select
        post_topics.topic_id,
        cast({{ dbt.date_trunc(grain, 'posts.launch_date') }} as date) as {{ grain }},
        -- one name per topic_id: max() picks it on every database (PostgreSQL 15 has no any_value)
        max(topics.name) as topic_name,
        count(*) as posts,
        count(*) filter (where posts.is_featured) as featured_posts,
        cast(sum(posts.votes_count) as bigint) as votes,
        cast(sum(posts.comments_count) as bigint) as comments
    from post_topics
    inner join posts on posts.post_id = post_topics.post_id
    left join topics on topics.topic_id = post_topics.topic_id
    group by post_topics.topic_id, cast({{ dbt.date_trunc(grain, 'posts.launch_date') }} as date)
)

select * from final
{%- endmacro %}
