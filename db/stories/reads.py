"""Range reads of stories (issue 15's shared contract).

``stories_in_range`` groups the ``story_members`` rows of the range (one index range on
``day``) per story in SQL, ranks the groups in Python (``ranking.story_score``) and reads the
details (outlets, themes, urls, whole-story first/last seen and title) of the top ``limit``
only. Days are UTC days, both ends inclusive; a story counts only its items in the range that
pass the filters (theme filter: the item carries one of the themes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jkwatch.countries import COUNTRIES
from jkwatch.db.dialect import id_in
from jkwatch.db.models import Feed, Item, ItemTheme, Story, StoryMember, Theme
from jkwatch.db.query_filters import backfill_feed_ids
from jkwatch.db.stories.ranking import Coverage, story_score, story_why
from jkwatch.model import StoryDetail, StoryLink, StorySummary


@dataclass(frozen=True)
class _Member:
    item_id: int
    story_id: int
    title: str
    url: str | None
    feed_id: int
    feed_name: str
    language: str
    published_at: datetime
    relevance: float
    country: str
    linked_by: tuple[str, ...]


def _filters(
    since: date | None,
    until: date | None,
    themes: Sequence[str],
    languages: Sequence[str],
    relevant_only: bool,
    include_backfill: bool = True,
) -> list[Any]:
    out: list[Any] = []
    if not include_backfill:
        out.append(StoryMember.feed_id.not_in(backfill_feed_ids()))
    if since is not None:
        out.append(StoryMember.day >= since)
    if until is not None:
        out.append(StoryMember.day <= until)
    if languages:
        out.append(StoryMember.language.in_(tuple(languages)))
    if relevant_only:
        out.append(StoryMember.relevant.is_(True))
    if themes:
        themed = select(ItemTheme.item_id).where(
            ItemTheme.item_id == StoryMember.item_id, ItemTheme.theme_id.in_(tuple(themes))
        )
        out.append(themed.exists())
    return out


def stories_in_range(
    session: Session,
    since: date,
    until: date,
    *,
    themes: Sequence[str] = (),
    languages: Sequence[str] = (),
    relevant_only: bool = True,
    limit: int | None = 10,
    include_backfill: bool = True,
) -> list[StorySummary]:
    """The range's stories, ranked best first (see ``ranking``), at most ``limit``.

    ``include_backfill=False`` ranks and summarises only the members from live feeds and
    imports (a story seen only through backfill drops out)."""
    where = _filters(since, until, themes, languages, relevant_only, include_backfill)
    groups = session.execute(
        select(
            StoryMember.story_id,
            func.count(),
            func.count(func.distinct(StoryMember.feed_id)),
            func.count(func.distinct(StoryMember.language)),
            func.sum(StoryMember.relevance),
        )
        .where(*where)
        .group_by(StoryMember.story_id)
    ).all()
    ranked: list[tuple[float, int, Coverage]] = []
    for story_id, items, outlets, languages_n, relevance_sum in groups:
        coverage = Coverage(int(items), int(outlets), int(languages_n), float(relevance_sum or 0))
        ranked.append((story_score(coverage), int(story_id), coverage))
    ranked.sort(key=lambda row: (-row[0], row[1]))
    if limit is not None:
        ranked = ranked[: max(0, limit)]
    if not ranked:
        return []
    story_ids = [story_id for _, story_id, _ in ranked]
    members = _members(session, [StoryMember.story_id.in_(story_ids), *where])
    return _summaries(session, story_ids, members)


def story_detail(session: Session, story_id: int) -> StoryDetail | None:
    """A whole story: its summary over all members, and the members oldest first."""
    members = _members(session, [StoryMember.story_id == story_id])
    if not members:
        return None
    (summary,) = _summaries(session, [story_id], members)
    links = tuple(
        StoryLink(
            item_id=m.item_id,
            title=m.title,
            url=m.url,
            feed_name=m.feed_name,
            language=m.language,
            published_at=m.published_at,
            relevance=m.relevance,
            country=m.country,
            linked_by=m.linked_by,
        )
        for m in members
    )
    return StoryDetail(summary=summary, members=links)


def story_id_of_item(session: Session, item_id: int) -> int | None:
    """The story of an item (None: unknown item, or not clustered yet)."""
    return session.scalar(select(StoryMember.story_id).where(StoryMember.item_id == item_id))


def _members(session: Session, where: list[Any]) -> list[_Member]:
    """Member rows with their item and feed, oldest first (ties: item id)."""
    rows = session.execute(
        select(
            StoryMember.item_id,
            StoryMember.story_id,
            Item.title,
            Item.url,
            StoryMember.feed_id,
            func.coalesce(Feed.name, Feed.title, Feed.url),
            StoryMember.language,
            StoryMember.published_at,
            StoryMember.relevance,
            Feed.country,
            StoryMember.linked_by,
        )
        .join(Item, Item.id == StoryMember.item_id)
        .join(Feed, Feed.id == StoryMember.feed_id)
        .where(*where)
        .order_by(StoryMember.published_at, StoryMember.item_id)
    ).all()
    return [
        _Member(
            int(r[0]),
            int(r[1]),
            r[2],
            r[3],
            int(r[4]),
            str(r[5]),
            r[6],
            r[7],
            float(r[8]),
            _country(r[9]),
            tuple(str(w) for w in r[10] or ()),
        )
        for r in rows
    ]


def _country(value: object) -> str:
    return str(value) if value in COUNTRIES else "other"


def outlets_by_country(pairs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """(country, outlet name) pairs -> outlet names per country, in ``COUNTRIES`` order, names
    sorted, countries without an outlet left out."""
    grouped: dict[str, set[str]] = defaultdict(set)
    for country, name in pairs:
        grouped[_country(country)].add(name)
    return {c: tuple(sorted(grouped[c])) for c in COUNTRIES if grouped.get(c)}


def _themes_of(session: Session, item_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if item_ids:
        for item_id, theme_id in session.execute(
            select(ItemTheme.item_id, ItemTheme.theme_id).where(id_in(ItemTheme.item_id, item_ids))
        ):
            out[int(item_id)].append(str(theme_id))
    return out


def _summaries(
    session: Session, story_ids: list[int], members: list[_Member]
) -> list[StorySummary]:
    """One summary per story in ``story_ids`` (that order) over the given ``members``."""
    by_story: dict[int, list[_Member]] = defaultdict(list)
    for member in members:
        by_story[member.story_id].append(member)
    themes = _themes_of(session, [m.item_id for m in members])
    position = dict(session.execute(select(Theme.id, Theme.position)).all())
    stories = {row.id: row for row in session.scalars(select(Story).where(Story.id.in_(story_ids)))}
    out: list[StorySummary] = []
    for story_id in story_ids:
        group = by_story.get(story_id, [])
        if not group:
            continue
        story = stories.get(story_id)
        outlets = sorted({m.feed_name for m in group})
        languages = sorted({m.language for m in group})
        coverage = Coverage(
            len(group),
            len({m.feed_id for m in group}),
            len(languages),
            sum(m.relevance for m in group),
        )
        counts = Counter(t for m in group for t in themes.get(m.item_id, ()))
        ranked_themes = sorted(counts, key=lambda t: (-counts[t], position.get(t, 1 << 30), t))
        score = story_score(coverage)
        out.append(
            StorySummary(
                story_id=story_id,
                title=story.title if story else group[0].title,
                items=len(group),
                outlets=coverage.outlets,
                outlet_names=tuple(outlets),
                languages=tuple(languages),
                themes=tuple(ranked_themes),
                first_seen=story.first_seen if story else group[0].published_at,
                last_seen=story.last_seen if story else group[-1].published_at,
                item_ids=tuple(m.item_id for m in group),
                urls=tuple(m.url for m in group if m.url),
                score=score,
                why=story_why(coverage, score),
                outlets_by_country=outlets_by_country([(m.country, m.feed_name) for m in group]),
            )
        )
    return out


def member_links(session: Session, story_id: int) -> dict[int, tuple[float, tuple[str, ...]]]:
    """Why each member is in the story: its similarity and the words that linked it."""
    return {
        int(item_id): (float(similarity), tuple(linked_by or ()))
        for item_id, similarity, linked_by in session.execute(
            select(StoryMember.item_id, StoryMember.similarity, StoryMember.linked_by).where(
                StoryMember.story_id == story_id
            )
        )
    }


def story_exists(session: Session, story_id: int) -> bool:
    return session.get(Story, story_id) is not None
