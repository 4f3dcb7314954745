-- Posts with the most comments harvested (sync --with comments), next to the API's count.
select
    p.name,
    p.launch_date,
    count(c.comment_id) as comments_loaded,
    p.comments_count as comments_count_from_api,
    count(distinct c.user_id) as commenters
from marts.posts as p
join marts.comments as c using (post_id)
group by p.post_id, p.name, p.launch_date, p.comments_count
order by comments_loaded desc, p.name
limit 20;
