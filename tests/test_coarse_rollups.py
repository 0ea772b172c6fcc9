"""The coarse rollups (daily_theme_sums, daily_sums, feed_sums) stay equal to the fine rollups
summed, whatever ``db.rollups.apply`` adds, moves or removes, on both backends."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from jkwatch.db import rollups
from jkwatch.db.models import DailySum, DailyThemeCount, DailyThemeSum, DailyTotal, FeedSum

D1, D2 = date(2025, 1, 6), date(2025, 1, 7)


def _fine_theme_sums(session) -> dict:  # type: ignore[no-untyped-def]
    rows = session.execute(
        select(
            DailyThemeCount.day,
            DailyThemeCount.theme_id,
            DailyThemeCount.rel_bucket,
            func.sum(DailyThemeCount.items),
            func.sum(DailyThemeCount.stories),
        ).group_by(DailyThemeCount.day, DailyThemeCount.theme_id, DailyThemeCount.rel_bucket)
    )
    return {(d, t, b): (int(i), int(s)) for d, t, b, i, s in rows}


def _coarse_theme_sums(session) -> dict:  # type: ignore[no-untyped-def]
    rows = session.execute(select(DailyThemeSum))
    return {(r.day, r.theme_id, r.rel_bucket): (r.items, r.stories) for (r,) in rows}


def _fine_totals(session) -> dict:  # type: ignore[no-untyped-def]
    rows = session.execute(
        select(
            DailyTotal.day,
            DailyTotal.language,
            DailyTotal.rel_bucket,
            func.sum(DailyTotal.items),
            func.sum(DailyTotal.stories),
        ).group_by(DailyTotal.day, DailyTotal.language, DailyTotal.rel_bucket)
    )
    return {(d, lang, b): (int(i), int(s)) for d, lang, b, i, s in rows}


def _feed_sums(session) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    fine = session.execute(
        select(
            DailyTotal.feed_id,
            DailyTotal.rel_bucket,
            func.sum(DailyTotal.items),
            func.sum(DailyTotal.stories),
        ).group_by(DailyTotal.feed_id, DailyTotal.rel_bucket)
    )
    coarse = session.execute(select(FeedSum))
    return (
        {(f, b): (int(i), int(s)) for f, b, i, s in fine},
        {(r.feed_id, r.rel_bucket): (r.items, r.stories) for (r,) in coarse},
    )


def _coarse_totals(session) -> dict:  # type: ignore[no-untyped-def]
    rows = session.execute(select(DailySum))
    return {(r.day, r.language, r.rel_bucket): (r.items, r.stories) for (r,) in rows}


def _change(cells: list[dict], sign: int = 1) -> rollups.RollupDelta:
    """A delta adding (``sign=1``) or removing the items and story leads of ``cells``."""
    delta = rollups.RollupDelta()
    for c in cells:
        total = (c["day"], c["feed_id"], c["language"], c["rel_bucket"])
        for n in range(c["items"]):
            lead = n < c["stories"]
            delta.item(total, lead, sign)
            delta.theme((*total, c["theme_id"]), lead, sign)
    return delta


def _assert_coarse_equal_fine(session) -> None:  # type: ignore[no-untyped-def]
    assert _coarse_theme_sums(session) == _fine_theme_sums(session)
    assert _coarse_totals(session) == _fine_totals(session)
    fine, coarse = _feed_sums(session)
    assert coarse == fine


def test_coarse_rollups_follow_what_apply_adds_moves_and_removes(sessions):
    cells = [
        dict(day=D1, feed_id=1, language="en", rel_bucket=6, theme_id="a", items=3, stories=2),
        dict(day=D1, feed_id=2, language="ja", rel_bucket=6, theme_id="a", items=4, stories=4),
        dict(day=D1, feed_id=2, language="ja", rel_bucket=7, theme_id="b", items=1, stories=1),
        dict(day=D2, feed_id=1, language="en", rel_bucket=6, theme_id="a", items=2, stories=1),
    ]
    with sessions.begin() as session:
        rollups.apply(session, _change(cells))
    with sessions.begin() as session:
        assert _coarse_theme_sums(session)[(D1, "a", 6)] == (7, 6)
        assert _coarse_totals(session)[(D1, "ja", 6)] == (4, 4)
        assert _feed_sums(session)[1][(2, 6)] == (4, 4)
        _assert_coarse_equal_fine(session)
    moved = [dict(c, rel_bucket=8) for c in cells if c["feed_id"] == 2]
    with sessions.begin() as session:  # feed 2 moves to bucket 8; day 2 loses its items
        delta = _change([c for c in cells if c["feed_id"] == 2 or c["day"] == D2], -1)
        delta.merge(_change(moved))
        rollups.apply(session, delta)
    with sessions.begin() as session:
        _assert_coarse_equal_fine(session)
        assert (D2, "a", 6) not in _coarse_theme_sums(session)  # no rows left at zero
        assert _coarse_totals(session)[(D1, "ja", 8)] == (5, 5)
    with sessions.begin() as session:
        rollups.apply(
            session, _change([c for c in cells if c["day"] == D1 and c["feed_id"] == 1] + moved, -1)
        )
    with sessions.begin() as session:
        assert _coarse_theme_sums(session) == {}
        assert _coarse_totals(session) == {}
        assert _feed_sums(session) == ({}, {})
