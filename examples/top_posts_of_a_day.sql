-- The top 10 posts of a launch day (Pacific time, as Product Hunt counts days).
-- Here: the newest day in the data; put a date instead, e.g. date '2026-09-30'.
select daily_rank, name, votes_count, comments_count, is_featured
from marts.leaderboard_daily
where launch_date = (select max(launch_date) from marts.leaderboard_daily)
order by daily_rank
limit 10;
