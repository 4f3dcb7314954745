-- The leaderboard of a launch day: its featured posts by votes (Pacific time, as Product Hunt
-- counts days; a post counts on the day it was featured). Here: the newest day that is over;
-- put a date instead, e.g. date '2026-09-30' (is_partial_day says whether it was still going).
select vote_rank, name, votes_count, launch_day_votes, comments_count, is_partial_day
from marts.leaderboard_daily
where launch_date = (select max(launch_date) from marts.leaderboard_daily where not is_partial_day)
order by vote_rank, name
limit 10;
