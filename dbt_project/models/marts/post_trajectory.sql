{{ config(indexes=[{'columns': ['post_id']}]) }}

-- A post's votes and comments by hours since its launch: counted from the loaded votes and
-- comments where a post has them (every vote has its time), from the observations of
-- post_metrics_history otherwise (one point per sync that saw the post)

with

posts as (
    select post_id, coalesce(featured_at, created_at) as launched_at from {{ ref('posts') }}
),

events as (
    select 'votes' as metric, post_id, created_at from {{ ref('votes') }} where created_at is not null
    union all
    select 'comments' as metric, post_id, created_at from {{ ref('comments') }} where created_at is not null
),

event_hours as (
    select
        events.metric,
        events.post_id,
        {{ hours_between('posts.launched_at', 'events.created_at') }} as hours_since_launch,
        count(*) as arrived
    from events
    inner join posts on posts.post_id = events.post_id
    group by events.metric, events.post_id, {{ hours_between('posts.launched_at', 'events.created_at') }}
),

from_rows as (
    select
        post_id,
        metric,
        hours_since_launch,
        sum(arrived) over (
            partition by metric, post_id order by hours_since_launch rows between unbounded preceding and current row
        ) as cumulative_count,
        metric as source
    from event_hours
),

loaded as (
    select distinct metric, post_id from event_hours
),

observations as (
    select 'votes' as metric, post_id, observed_at, votes_count as observed_count
    from {{ ref('post_metrics_history') }}
    union all
    select 'comments' as metric, post_id, observed_at, comments_count as observed_count
    from {{ ref('post_metrics_history') }}
),

observed_hours as (
    select
        observations.metric,
        observations.post_id,
        {{ hours_between('posts.launched_at', 'observations.observed_at') }} as hours_since_launch,
        observations.observed_count,
        observations.observed_at
    from observations
    inner join posts on posts.post_id = observations.post_id
    left join loaded on loaded.metric = observations.metric and loaded.post_id = observations.post_id
    where loaded.post_id is null
),

-- the latest observation of each hour
from_history as (
    {{ latest_per_key('observed_hours', 'metric, post_id, hours_since_launch', 'observed_at desc') }}
),

final as (
    select post_id, metric, hours_since_launch, cast(cumulative_count as bigint) as cumulative_count, source
    from from_rows
    union all
    select post_id, metric, hours_since_launch, cast(observed_count as bigint) as cumulative_count, 'history' as source
    from from_history
)

select * from final
