{{ config(indexes=[{'columns': ['launch_date', 'daily_rank']}]) }}

-- Product Hunt's daily leaderboard: each day's posts ranked by votes (ties share a rank,
-- as on the site), with comments as the first tie-breaker

with

posts as (
    select * from {{ ref('posts') }}
),

final as (
    select
        launch_date,
        post_id,
        rank() over (
            partition by launch_date order by votes_count desc nulls last, comments_count desc nulls last
        ) as daily_rank,
        name,
        votes_count,
        comments_count,
        is_featured
    from posts
)

select * from final
