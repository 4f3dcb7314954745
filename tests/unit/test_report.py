"""The report's people charts count users by id, never by display name; its leaderboard copes with no complete day."""

from __future__ import annotations

import duckdb

from producthuntdb.reportdata import _leaderboard, people_charts


def test_two_makers_of_one_name_are_two_bars() -> None:
    con = duckdb.connect()
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.users as select * from (values ('1', 'Amara Martin', 'amara1'),"
            " ('2', 'Amara Martin', 'amara2'), ('3', 'Chen Hussain', 'chen')) t(user_id, name, username)"
        )
        con.execute(
            "create table marts.post_makers as select * from (values ('p1', 0, '1'), ('p2', 0, '1'),"
            " ('p3', 0, '2'), ('p4', 0, '2'), ('p5', 0, '2'), ('p5', 1, '3'), ('p6', 0, null))"
            " t(post_id, position, maker_id)"
        )
        con.execute(
            "create table marts.posts as select * from (values ('p1', '3'), ('p2', '3'), ('p3', null))"
            " t(post_id, hunter_id)"
        )
        makers, hunters = people_charts(con)
    finally:
        con.close()
    bars = dict(zip(makers.series[0].y, makers.series[0].x, strict=True))
    assert bars == {"Amara Martin (#2)": 3, "Amara Martin (#1)": 2, "Chen Hussain": 1}
    assert makers.series[0].y[-1] == "Amara Martin (#2)", "the longest bar is drawn last (on top)"
    assert dict(zip(hunters.series[0].y, hunters.series[0].x, strict=True)) == {"Chen Hussain": 2}


def test_a_leaderboard_without_a_complete_day_is_empty_not_an_error() -> None:
    """Found by `make chaos`: a harvest of the current day only (every row `is_partial_day`) made the
    report's "top 3 of the week" compare a date with NULL typed as an integer (BinderException)."""
    con = duckdb.connect()
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.leaderboard_daily as select * from (values"
            " (date '2026-10-03', 1, 'p1', 'Today', 10, 2, true)) t(launch_date, vote_rank, post_id, name,"
            " votes_count, comments_count, is_partial_day)"
        )
        chart, table = _leaderboard(con)
    finally:
        con.close()
    assert table == [] and chart.title == "Daily leaderboard"
