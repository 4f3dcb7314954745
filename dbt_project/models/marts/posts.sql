{{
    config(
        materialized='incremental',
        unique_key='post_id',
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['created_at']},
            {'columns': ['featured_at']},
            {'columns': ['hunter_id']},
            {'columns': ['launch_date']},
        ],
    )
}}

with

posts as (
    select * from {{ ref('stg_producthunt__posts') }}
),

metrics as (
    select * from {{ ref('stg_producthunt__post_metrics') }}
),

post_topics as (
    select * from {{ ref('stg_producthunt__post_topics') }}
),

post_makers as (
    select * from {{ ref('stg_producthunt__post_makers') }}
),

post_links as (
    select * from {{ ref('stg_producthunt__post_links') }}
),

-- posts touched by a load this model has not processed yet: a new fetch of the post, a
-- new count observation, or new topics/makers/links
changed as (
    select post_id from posts where {{ new_loads_only() }}
    union
    select post_id from metrics where {{ new_loads_only() }}
    union
    select post_id from post_topics where {{ new_loads_only() }}
    union
    select post_id from post_makers where {{ new_loads_only() }}
    union
    select post_id from post_links where {{ new_loads_only() }}
),

changed_metrics as (
    select * from metrics
    where post_id in (select post_id from changed)
),

latest_metrics as (
    {{ latest_per_key('changed_metrics', 'post_id', 'observed_at desc, _dlt_load_id desc') }}
),

topic_counts as (
    select post_id, count(*) as topic_count, max(_dlt_load_id) as _dlt_load_id
    from post_topics
    where post_id in (select post_id from changed)
    group by post_id
),

maker_counts as (
    select
        post_id,
        count(*) as maker_count,
        count(*) filter (where is_maker_redacted) as redacted_maker_count,
        max(_dlt_load_id) as _dlt_load_id
    from post_makers
    where post_id in (select post_id from changed)
    group by post_id
),

-- the product's own domain: its Website link first, else its first link (the API's website
-- is a producthunt.com redirect)
product_domain as (
    {{ latest_per_key(
        "(select post_id, position, link_type, domain, _dlt_load_id from post_links"
        ~ " where domain is not null and post_id in (select post_id from changed)) as links",
        'post_id',
        "case when lower(link_type) = 'website' then 0 else 1 end, position",
    ) }}
),

final as (
    select
        posts.post_id,
        posts.name,
        posts.tagline,
        posts.description,
        posts.slug,
        posts.url,
        posts.website,
        coalesce(product_domain.domain, posts.website_domain) as website_domain,
        posts.thumbnail_url,
        -- counts keep changing after launch: a count refresh newer than the post row wins
        case when latest_metrics._dlt_load_id >= posts._dlt_load_id
            then latest_metrics.votes_count else posts.votes_count end as votes_count,
        case when latest_metrics._dlt_load_id >= posts._dlt_load_id
            then latest_metrics.comments_count else posts.comments_count end as comments_count,
        case when latest_metrics._dlt_load_id >= posts._dlt_load_id
            then latest_metrics.observed_at end as counts_observed_at,
        posts.reviews_count,
        posts.reviews_rating,
        posts.created_at,
        {{ to_launch_date('posts.created_at') }} as created_date,
        posts.featured_at,
        posts.featured_at is not null as is_featured,
        -- Product Hunt's day: a post counts on the Pacific day it was featured (launches go live
        -- at 12:01 am PT), an unfeatured one on the day it was created
        {{ to_launch_date('coalesce(posts.featured_at, posts.created_at)') }} as launch_date,
        posts.user_id as hunter_id,
        posts.is_user_redacted as is_hunter_redacted,
        coalesce(maker_counts.maker_count, 0) as maker_count,
        coalesce(maker_counts.redacted_maker_count, 0) as redacted_maker_count,
        coalesce(topic_counts.topic_count, 0) as topic_count,
        greatest(
            posts._dlt_load_id,
            coalesce(latest_metrics._dlt_load_id, ''),
            coalesce(topic_counts._dlt_load_id, ''),
            coalesce(maker_counts._dlt_load_id, ''),
            coalesce(product_domain._dlt_load_id, '')
        ) as _dlt_load_id,
        '{{ invocation_id }}' as _loaded_by
    from posts
    left join latest_metrics on latest_metrics.post_id = posts.post_id
    left join topic_counts on topic_counts.post_id = posts.post_id
    left join maker_counts on maker_counts.post_id = posts.post_id
    left join product_domain on product_domain.post_id = posts.post_id
    where posts.post_id in (select post_id from changed)
)

select * from final
