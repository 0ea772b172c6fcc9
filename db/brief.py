"""The brief of a date range: its top stories, the themes that moved, and every spike.

``build_brief(session, since, until, ...)`` reads only; the caller owns the session. Dates are
UTC days, both ends inclusive. The same filters (themes, languages, relevant items only, backfill included or not) apply
to the three parts:

* ``stories``: ``db.stories.stories_in_range`` ranked best first, ``top`` of them;
* ``movers``: each theme's count in the range against its own baseline, the 8 periods of the
  range's length right before it (mean and population standard deviation, periods without items
  count as 0); ``z = (count - mean) / max(std, 1)``; ``direction`` is ``rise`` for z > 0 and
  ``fall`` for z < 0 (themes with z = 0 did not move); sorted by |z|, largest first, at most
  ``top`` of them; ``story_ids`` are the range's top 3 stories among the theme's items (ranked
  as ``stories_in_range`` ranks them with that theme as filter, all themes in one query);
* ``spikes``: ``db.trends.spikes_in_range`` over the range.

Counts come from the exact rollups in one grouped query, so their cost does not grow with the
number of items; only the stories read items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from jkwatch.db.models import ItemTheme, StoryMember
from jkwatch.db.query_filters import (
    RELEVANT_BUCKET,
    Filters,
    backfill_feed_ids,
    conditions,
    theme_rollup,
)
from jkwatch.db.stories import stories_in_range
from jkwatch.db.stories.ranking import Coverage, story_score
from jkwatch.db.themes import list_themes
from jkwatch.db.trends import spikes_in_range
from jkwatch.model import Brief, Mover

BASELINE_PERIODS = 8
MOVER_STORIES = 3


def baseline_text(since: date, until: date) -> str:
    """The movers' baseline for this range, in words (the brief's ``baseline``)."""
    length = (until - since).days + 1
    first = since - timedelta(days=length * BASELINE_PERIODS)
    last = since - timedelta(days=1)
    unit = "day" if length == 1 else f"{length} days"
    return (
        f"each theme's count in {since.isoformat()}..{until.isoformat()} against its own "
        f"{BASELINE_PERIODS} periods of {unit} right before it ({first.isoformat()}.."
        f"{last.isoformat()}): baseline = their mean, z = (count - mean) / max(std, 1)"
    )


def build_brief(
    session: Session,
    since: date,
    until: date,
    *,
    themes: Sequence[str] = (),
    languages: Sequence[str] = (),
    top: int = 10,
    relevant_only: bool = True,
    include_backfill: bool = True,
) -> Brief:
    """The brief of ``[since, until]`` (see the module docstring). ``since > until`` is an error."""
    if since > until:
        raise ValueError(f"since {since} is after until {until}")
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    filters = Filters(
        themes=tuple(themes),
        languages=tuple(languages),
        min_bucket=RELEVANT_BUCKET if relevant_only else 0,
        backfill=include_backfill,
    )
    stories = stories_in_range(
        session,
        since,
        until,
        themes=themes,
        languages=languages,
        relevant_only=relevant_only,
        limit=top,
        include_backfill=include_backfill,
    )
    movers = theme_moves(session, filters, since, until)[:top]
    behind = mover_stories(
        session,
        [m.theme for m in movers if m.count],
        since,
        until,
        languages=languages,
        relevant_only=relevant_only,
        include_backfill=include_backfill,
    )
    with_stories = [replace(m, story_ids=behind.get(m.theme, ())) for m in movers]
    return Brief(
        since=since,
        until=until,
        stories=tuple(stories),
        movers=tuple(with_stories),
        spikes=tuple(spikes_in_range(session, filters, since, until)),
        baseline=baseline_text(since, until),
    )


def mover_stories(
    session: Session,
    themes: Sequence[str],
    since: date,
    until: date,
    *,
    languages: Sequence[str] = (),
    relevant_only: bool = True,
    per_theme: int = MOVER_STORIES,
    include_backfill: bool = True,
) -> dict[str, tuple[int, ...]]:
    """For each theme, the range's top stories among the items carrying it.

    The same ranking as ``stories_in_range(..., themes=(theme,))`` (``ranking.story_score``
    over the story's items in the range that carry the theme; ties: smaller id), for every
    theme in ONE grouped query instead of one ``stories_in_range`` call per theme.
    """
    if not themes:
        return {}
    # The day range on item_themes' own copy of the day lets the read start from its
    # (theme_id, day, ...) index instead of joining every member of the range.
    where = [
        ItemTheme.theme_id.in_(tuple(themes)),
        ItemTheme.day >= since,
        ItemTheme.day <= until,
        StoryMember.day >= since,
        StoryMember.day <= until,
    ]
    if languages:
        where.append(StoryMember.language.in_(tuple(languages)))
    if relevant_only:
        where.append(StoryMember.relevant.is_(True))
    if not include_backfill:
        where.append(StoryMember.feed_id.not_in(backfill_feed_ids()))
    rows = session.execute(
        select(
            ItemTheme.theme_id,
            StoryMember.story_id,
            func.count(),
            func.count(func.distinct(StoryMember.feed_id)),
            func.count(func.distinct(StoryMember.language)),
            func.sum(StoryMember.relevance),
        )
        .join(ItemTheme, ItemTheme.item_id == StoryMember.item_id)
        .where(*where)
        .group_by(ItemTheme.theme_id, StoryMember.story_id)
    ).all()
    ranked: dict[str, list[tuple[float, int]]] = {}
    for theme_id, story_id, items, outlets, langs, relevance in rows:
        coverage = Coverage(int(items), int(outlets), int(langs), float(relevance or 0))
        ranked.setdefault(theme_id, []).append((story_score(coverage), int(story_id)))
    return {
        theme_id: tuple(
            story_id for _, story_id in sorted(scores, key=lambda r: (-r[0], r[1]))[:per_theme]
        )
        for theme_id, scores in ranked.items()
    }


def theme_moves(session: Session, filters: Filters, since: date, until: date) -> list[Mover]:
    """Every theme that moved in ``[since, until]`` against its baseline, by |z| (no stories).

    One grouped query over the per-theme rollup; each day is assigned to its period with a
    CASE on bound dates (period 0 is the range, 1..8 the periods before it).
    """
    length = (until - since).days + 1
    model = theme_rollup(filters)
    unit = model.stories if filters.stories else model.items
    starts = [since - timedelta(days=length * k) for k in range(BASELINE_PERIODS + 1)]
    period = case(
        *[(model.day >= start, k) for k, start in enumerate(starts)],
        else_=BASELINE_PERIODS + 1,
    ).label("period")
    scoped = replace(filters, start=starts[-1], end=until)
    rows = session.execute(
        select(model.theme_id, period, func.sum(unit))
        .where(*conditions(model, scoped))
        .group_by(model.theme_id, period)
    ).all()
    counts: dict[str, list[int]] = {}
    for theme_id, k, n in rows:
        counts.setdefault(theme_id, [0] * (BASELINE_PERIODS + 1))[int(k)] = int(n or 0)
    labels = {theme.id: theme.label for theme in list_themes(session)}
    out = []
    for theme_id, periods in counts.items():
        count, before = periods[0], periods[1:]
        mean = sum(before) / len(before)
        std = math.sqrt(sum((x - mean) ** 2 for x in before) / len(before))
        z = (count - mean) / max(std, 1.0)
        if z == 0:
            continue
        out.append(
            Mover(
                theme=theme_id,
                label=labels.get(theme_id, theme_id),
                count=count,
                baseline=round(mean, 2),
                z=round(z, 2),
                direction="rise" if z > 0 else "fall",
                story_ids=(),
            )
        )
    out.sort(key=lambda m: (-abs(m.z), m.theme))
    return out
