{{ config(indexes=[{'columns': ['launch_date', 'vote_rank']}]) }}

-- The daily leaderboard as the site lists it: featured posts on their launch day, ranked by
-- votes (ties share a rank); a day not over when the counts were observed is flagged

with

posts as (
    select * from {{ ref('posts') }}
),

votes as (
    select post_id, created_at from {{ ref('votes') }}
),

-- the dataset's "now": its newest count observation (not this machine's clock)
observed as (
    select max(counts_observed_at) as newest from posts
),

featured as (
    select post_id, launch_date, name, votes_count, comments_count
    from posts
    where is_featured
),

launch_day as (
    select
        featured.post_id,
        count(votes.post_id) as loaded_votes,
        count(votes.post_id) filter (
            where {{ to_launch_date('votes.created_at') }} <= featured.launch_date
        ) as launch_day_votes
    from featured
    left join votes on votes.post_id = featured.post_id
    group by featured.post_id
),

final as (
    select
        featured.launch_date,
        featured.post_id,
        rank() over (partition by featured.launch_date order by featured.votes_count desc nulls last) as vote_rank,
        featured.name,
        featured.votes_count,
        featured.comments_count,
        case when launch_day.loaded_votes > 0 or featured.votes_count = 0
            then launch_day.launch_day_votes end as launch_day_votes,
        coalesce(featured.launch_date >= {{ to_launch_date('observed.newest') }}, true) as is_partial_day
    from featured
    inner join launch_day on launch_day.post_id = featured.post_id
    cross join observed
)

select * from final
