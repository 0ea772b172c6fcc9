"""``trends.spikes_in_range`` on real SQLite and PostgreSQL: every spike of a range, merged into
episodes, checked against episodes this test computes from the seeded items on its own."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta

import pytest

from jkwatch.db import trends
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.query_filters import Filters
from jkwatch.model import SpikeEpisode
from tests.seed_dashboard import FIRST_DAY, LAST_DAY, Seeded, corpus


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, seeded_url):
    engine = make_engine(seeded_url(request.param), read_only=True)
    yield make_sessionmaker(engine), corpus()
    engine.dispose()


def _flag(recent: int, weeks: list[int]) -> tuple[str, float]:
    """The documented rule, written out again: rise/fall/"" and z."""
    mean = sum(weeks) / 8
    std = math.sqrt(sum((w - mean) ** 2 for w in weeks) / 8)
    z = (recent - mean) / max(std, 1.0)
    ratio = (recent + 1) / (mean + 1)
    if recent >= 5 and z >= 2 and ratio >= 1.5:
        return "rise", z
    if mean >= 5 and z <= -2 and ratio <= 1 / 1.5:
        return "fall", z
    return "", z


def _expected(items: list[Seeded], since: date, until: date) -> list[SpikeEpisode]:
    per_day = Counter((it.day, theme) for it in items for theme in it.themes)
    themes = sorted({theme for _, theme in per_day})

    def count(theme: str, start: date, end: date) -> int:
        return sum(n for (day, t), n in per_day.items() if t == theme and start <= day <= end)

    out = []
    for theme in themes:
        run: list[tuple[date, str, float, float]] = []  # (window end, direction, z, mean)
        runs = []
        day = since
        while day <= until:
            recent = count(theme, day - timedelta(days=6), day)
            weeks = [
                count(theme, day - timedelta(days=7 * k + 6), day - timedelta(days=7 * k))
                for k in range(1, 9)
            ]
            direction, z = _flag(recent, weeks)
            if direction and run and run[-1][1] == direction and run[-1][0] == day - timedelta(1):
                run.append((day, direction, z, sum(weeks) / 8))
            else:
                if run:
                    runs.append(run)
                run = [(day, direction, z, sum(weeks) / 8)] if direction else []
            day += timedelta(days=1)
        if run:
            runs.append(run)
        for run in runs:
            start, end = run[0][0] - timedelta(days=6), run[-1][0]
            peak = max(run, key=lambda r: abs(r[2]))
            days = (end - start).days + 1
            out.append(
                SpikeEpisode(
                    theme_id=theme,
                    start=start,
                    end=end,
                    count=count(theme, start, end),
                    baseline=round(run[0][3] * days / 7, 2),
                    z=round(peak[2], 2),
                    direction=run[0][1],
                )
            )
    return sorted(out, key=lambda e: (e.start, e.theme_id, e.end))


@pytest.mark.parametrize(
    "view, keep",
    [
        (Filters(), lambda it: True),
        (Filters(min_bucket=5), lambda it: it.relevance >= 0.5),
        (Filters(languages=("en",)), lambda it: it.language == "en"),
        (Filters(stories=True), lambda it: it.lead),
        (Filters(themes=("jk_cooperation",)), lambda it: True),
    ],
    ids=["all", "relevant", "english", "stories", "one-theme"],
)
def test_episodes_over_the_whole_corpus_match_the_rule_applied_by_hand(seeded, view, keep):
    sessions, items = seeded
    kept = [it for it in items if keep(it)]
    if view.themes:
        kept = [
            Seeded(**{**it.__dict__, "themes": tuple(t for t in it.themes if t in view.themes)})
            for it in kept
        ]
    with sessions() as s:
        found = trends.spikes_in_range(s, view, FIRST_DAY, LAST_DAY)
    assert found == _expected(kept, FIRST_DAY, LAST_DAY)
    assert found  # the corpus does spike: a start from nothing, and the final burst


def test_the_final_burst_is_one_rising_episode_ending_on_the_last_day(seeded):
    sessions, items = seeded
    since = LAST_DAY - timedelta(days=6)
    with sessions() as s:
        found = trends.spikes_in_range(s, Filters(), since, LAST_DAY)
    burst = [e for e in found if e.theme_id == "nk_weapons"]
    assert len(burst) == 1 and burst[0].direction == "rise" and burst[0].end == LAST_DAY
    assert burst[0].count == sum(
        "nk_weapons" in it.themes and burst[0].start <= it.day <= LAST_DAY for it in items
    )
    assert burst[0].z > 2 and burst[0].count > burst[0].baseline


def test_each_day_flagged_by_spikes_lies_in_an_episode_of_the_same_direction(seeded):
    sessions, _ = seeded
    since = FIRST_DAY + timedelta(days=30)
    with sessions() as s:
        found = trends.spikes_in_range(s, Filters(), since, LAST_DAY)
        day = since
        while day <= LAST_DAY:
            flagged = {(x.theme_id, x.direction) for x in trends.spikes(s, Filters(), anchor=day)}
            covering = {
                (e.theme_id, e.direction) for e in found if e.start + timedelta(6) <= day <= e.end
            }
            assert flagged == covering, day
            day += timedelta(days=1)


def test_a_range_before_any_item_or_reversed_has_no_spikes(seeded):
    sessions, _ = seeded
    with sessions() as s:
        assert trends.spikes_in_range(s, Filters(), date(2020, 1, 1), date(2020, 3, 1)) == []
        assert trends.spikes_in_range(s, Filters(), LAST_DAY, FIRST_DAY) == []
