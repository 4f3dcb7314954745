-- A post's votes and comments by hours since its launch (marts.post_trajectory: counted from
-- the loaded votes and comments where they were synced, else one point per sync that observed
-- the post; the *_source columns say which). Here: the most voted post of the last 3 launch
-- days with at least 4 points; put a post_id instead to follow another one.
with chosen as (
    select p.post_id
    from marts.posts as p
    join marts.post_trajectory as t using (post_id)
    where p.launch_date > (select max(launch_date) from marts.posts) - 3 and t.metric = 'votes'
    group by p.post_id, p.votes_count
    having count(*) >= 4
    order by p.votes_count desc, p.post_id
    limit 1
)
select
    p.name,
    t.hours_since_launch,
    max(case when t.metric = 'votes' then t.cumulative_count end) as votes_count,
    max(case when t.metric = 'comments' then t.cumulative_count end) as comments_count,
    max(case when t.metric = 'votes' then t.source end) as votes_source,
    max(case when t.metric = 'comments' then t.source end) as comments_source
from marts.post_trajectory as t
join marts.posts as p using (post_id)
where t.post_id in (select post_id from chosen)
group by p.name, t.hours_since_launch
order by t.hours_since_launch;
