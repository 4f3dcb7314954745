-- Launches per month of the 5 topics with the most launches overall.
with top_topics as (
    select topic_id from marts.topic_trends
    group by topic_id order by sum(posts) desc, topic_id limit 5
)
select month, topic_name, posts, featured_posts, votes
from marts.topic_trends
where topic_id in (select topic_id from top_topics)
order by month, posts desc;
