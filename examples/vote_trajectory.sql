-- A post's votes and comments over its first days, one row per sync that observed it.
-- Here: the most voted post of the last 3 launch days that was observed at least 4 times;
-- put a post_id instead to follow another one.
with chosen as (
    select p.post_id
    from marts.posts as p
    join marts.post_metrics_history as h using (post_id)
    where p.launch_date > (select max(launch_date) from marts.posts) - 3
    group by p.post_id, p.votes_count
    having count(*) >= 4
    order by p.votes_count desc, p.post_id
    limit 1
)
select
    p.name,
    h.observed_at,
    round(epoch(h.observed_at - p.created_at) / 3600, 1) as hours_since_launch,
    h.votes_count,
    h.comments_count
from marts.post_metrics_history as h
join marts.posts as p using (post_id)
where h.post_id in (select post_id from chosen)
order by h.observed_at;
