"""The report's people charts count users by id, never by display name."""

from __future__ import annotations

import duckdb

from producthuntdb.report import people_charts


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
