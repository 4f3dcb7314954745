-- Makers with the most launches, counted by user id (display names are not unique). Needs
-- unredacted makers: the API has redacted users since 2023 (maker_id is NULL then); the demo
-- shows the pre-2023 shape.
select
    m.maker_id,
    max(u.name) as maker,
    max(u.username) as username,
    count(distinct m.post_id) as launches,
    max(p.launch_date) as last_launch
from marts.post_makers as m
join marts.posts as p using (post_id)
left join marts.users as u on u.user_id = m.maker_id
where m.maker_id is not null
group by m.maker_id
order by launches desc, m.maker_id
limit 20;
