"""The coarse rollups (daily_theme_sums, daily_sums) stay equal to the fine rollups summed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, insert, select, update

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


def test_coarse_rollups_follow_inserts_updates_and_deletes_of_the_fine_rollups(sessions):
    cells = [
        dict(day=D1, feed_id=1, language="en", rel_bucket=6, theme_id="a", items=3, stories=2),
        dict(day=D1, feed_id=2, language="ja", rel_bucket=6, theme_id="a", items=4, stories=4),
        dict(day=D1, feed_id=2, language="ja", rel_bucket=7, theme_id="b", items=1, stories=1),
        dict(day=D2, feed_id=1, language="en", rel_bucket=6, theme_id="a", items=2, stories=1),
    ]
    with sessions.begin() as session:
        session.execute(insert(DailyThemeCount), cells)
        session.execute(
            insert(DailyTotal), [{k: v for k, v in c.items() if k != "theme_id"} for c in cells]
        )
    with sessions.begin() as session:
        assert _coarse_theme_sums(session)[(D1, "a", 6)] == (7, 6)
        assert _coarse_totals(session)[(D1, "ja", 6)] == (4, 4)
        assert _coarse_theme_sums(session) == _fine_theme_sums(session)
        assert _coarse_totals(session) == _fine_totals(session)
        fine, coarse = _feed_sums(session)
        assert coarse == fine and coarse[(2, 6)] == (4, 4)
    with sessions.begin() as session:
        session.execute(
            update(DailyThemeCount).where(DailyThemeCount.feed_id == 2).values(rel_bucket=8)
        )
        session.execute(update(DailyTotal).where(DailyTotal.day == D2).values(items=5))
        session.execute(delete(DailyThemeCount).where(DailyThemeCount.day == D2))
    with sessions.begin() as session:
        assert _coarse_theme_sums(session) == _fine_theme_sums(session)
        assert (D2, "a", 6) not in _coarse_theme_sums(session)  # no rows left at zero
        assert _coarse_totals(session) == _fine_totals(session)
        fine, coarse = _feed_sums(session)
        assert coarse == fine
    with sessions.begin() as session:
        session.execute(delete(DailyThemeCount))
        session.execute(delete(DailyTotal))
    with sessions.begin() as session:
        assert _coarse_theme_sums(session) == {}
        assert _coarse_totals(session) == {}
        assert _feed_sums(session) == ({}, {})
