-- Average launches and votes per weekday.
select
    dayname(launch_date) as weekday,
    round(avg(launches), 1) as avg_launches,
    round(avg(votes), 0) as avg_votes
from marts.daily_launches
group by weekday, isodow(launch_date)
order by isodow(launch_date);
