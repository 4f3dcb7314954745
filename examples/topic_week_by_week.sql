-- A topic's launches, votes and comments week by week (weeks start on Monday, Pacific time).
-- Here: the topic with the most launches; put a slug instead, e.g. where t.slug = 'developer-tools'.
with chosen as (
    select topic_id from marts.topic_trends_weekly
    group by topic_id order by sum(posts) desc, topic_id limit 1
)
select w.week, w.topic_name, w.posts, w.featured_posts, w.votes, w.comments
from marts.topic_trends_weekly as w
where w.topic_id in (select topic_id from chosen)
order by w.week;
