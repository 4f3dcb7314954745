with

posts as (
    select * from {{ ref('posts') }}
),

final as (
    select
        launch_date,
        count(*) as launches,
        count(*) filter (where is_featured) as featured,
        cast(sum(votes_count) as bigint) as votes,
        cast(sum(comments_count) as bigint) as comments,
        cast(sum(maker_count) as bigint) as makers,
        max(votes_count) as top_votes
    from posts
    group by launch_date
)

select * from final
