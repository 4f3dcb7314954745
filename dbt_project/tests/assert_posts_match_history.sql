-- A post's counts equal its newest observation in post_metrics_history whenever that
-- observation is the source of the counts (counts_observed_at is set).
with history as (
    select post_id, observed_at, votes_count, comments_count from {{ ref('post_metrics_history') }}
),

latest as (
    {{ latest_per_key('history', 'post_id', 'observed_at desc') }}
)
select posts.post_id
from {{ ref('posts') }} as posts
inner join latest on latest.post_id = posts.post_id
where posts.counts_observed_at is not null
  and (posts.counts_observed_at <> latest.observed_at
       or posts.votes_count <> latest.votes_count
       or posts.comments_count <> latest.comments_count)
