{{ config(indexes=[{'columns': ['username']}]) }}

with

-- the token's owner (the operator) is not published: the served file and the export are
-- built from the marts, and raw.users in the working file keeps the row, flagged is_viewer
users as (
    select * from {{ ref('stg_producthunt__users') }}
    where not is_viewer
),

posts as (
    select post_id, hunter_id as user_id from {{ ref('posts') }}
),

makers as (
    select post_id, maker_id from {{ ref('post_makers') }}
),

posted as (
    select user_id, count(*) as posts_count from posts where user_id is not null group by user_id
),

made as (
    select maker_id as user_id, count(distinct post_id) as made_posts_count
    from makers where maker_id is not null group by maker_id
),

final as (
    select
        users.user_id,
        users.name,
        users.username,
        users.headline,
        users.url,
        users.profile_image,
        users.twitter_username,
        users.website_url,
        users.is_maker,
        users.is_redacted,
        users.created_at,
        coalesce(posted.posts_count, 0) as posts_count,
        coalesce(made.made_posts_count, 0) as made_posts_count
    from users
    left join posted on posted.user_id = users.user_id
    left join made on made.user_id = users.user_id
)

select * from final
