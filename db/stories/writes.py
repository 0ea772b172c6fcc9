"""Writes of stories: the clustering's assignments, the whole-story rows, the corrections.

``save_assignments`` replaces the ``story_members`` rows of the given items (copying the item
columns range reads filter on) and recomputes the ``stories`` row of every story it touched
(first/last seen, item count, title), in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from jkwatch.db.dialect import id_in
from jkwatch.db.models import Item, ItemEntity, ItemTheme, Story, StoryMember
from jkwatch.model import StoryAssignment

_CHUNK = 5_000


def _chunks(values: Sequence[StoryAssignment]) -> Iterable[Sequence[StoryAssignment]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def save_assignments(session: Session, assignments: Sequence[StoryAssignment]) -> set[int]:
    """Store ``assignments`` (replacing those items' rows); returns the story ids touched."""
    touched: set[int] = set()
    titles: dict[int, int] = {}
    for chunk in _chunks(assignments):
        ids = [a.item_id for a in chunk]
        touched.update(
            session.scalars(
                select(StoryMember.story_id).where(id_in(StoryMember.item_id, ids)).distinct()
            )
        )
        session.execute(delete(StoryMember).where(id_in(StoryMember.item_id, ids)))
        columns = {
            int(row[0]): row
            for row in session.execute(
                select(
                    Item.id,
                    Item.day,
                    Item.published_at,
                    Item.language,
                    Item.feed_id,
                    Item.relevance,
                    Item.relevant,
                ).where(id_in(Item.id, ids))
            )
        }
        rows = []
        for a in chunk:
            item = columns.get(a.item_id)
            if item is None:
                continue  # deleted meanwhile
            touched.add(a.story_id)
            if a.title_item_id is not None:
                titles[a.story_id] = a.title_item_id
            rows.append(
                {
                    "item_id": a.item_id,
                    "story_id": a.story_id,
                    "day": item[1],
                    "published_at": item[2],
                    "language": item[3],
                    "feed_id": item[4],
                    "relevance": float(item[5]),
                    "relevant": bool(item[6]),
                    "similarity": a.similarity,
                    "linked_by": list(a.linked_by),
                    "terms": list(a.terms),
                    "entities": list(a.entities),
                    "themes": list(a.themes),
                }
            )
        if rows:
            session.execute(insert(StoryMember), rows)
    refresh_stories(session, touched, titles)
    return touched


def refresh_stories(
    session: Session, story_ids: Iterable[int], titles: dict[int, int] | None = None
) -> None:
    """Recompute the ``stories`` rows of ``story_ids`` from their members.

    The title is the headline of ``titles[story_id]`` when given, else of the stored title
    item when it is still a member, else of the earliest member.
    """
    ids = sorted(set(story_ids))
    titles = dict(titles or {})
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        previous = dict(
            session.execute(
                select(Story.id, Story.title_item_id).where(id_in(Story.id, chunk))
            ).all()
        )
        session.execute(delete(Story).where(id_in(Story.id, chunk)))
        figures = session.execute(
            select(
                StoryMember.story_id,
                func.min(StoryMember.published_at),
                func.max(StoryMember.published_at),
                func.count(),
            )
            .where(id_in(StoryMember.story_id, chunk))
            .group_by(StoryMember.story_id)
        ).all()
        if not figures:
            continue
        member_of = dict(
            session.execute(
                select(StoryMember.item_id, StoryMember.story_id).where(
                    id_in(StoryMember.story_id, chunk)
                )
            ).all()
        )
        chosen: dict[int, int] = {}
        for story_id, *_ in figures:
            for candidate in (titles.get(story_id), previous.get(story_id)):
                if candidate is not None and member_of.get(candidate) == story_id:
                    chosen[story_id] = candidate
                    break
        missing = [sid for sid, *_ in figures if sid not in chosen]
        if missing:
            earliest = session.execute(
                select(StoryMember.story_id, StoryMember.item_id)
                .where(id_in(StoryMember.story_id, missing))
                .order_by(StoryMember.story_id, StoryMember.published_at, StoryMember.item_id)
            ).all()
            for story_id, item_id in earliest:
                chosen.setdefault(int(story_id), int(item_id))
        headline = dict(
            session.execute(
                select(Item.id, Item.title).where(id_in(Item.id, chosen.values()))
            ).all()
        )
        session.execute(
            insert(Story),
            [
                {
                    "id": int(story_id),
                    "first_seen": first,
                    "last_seen": last,
                    "items": int(count),
                    "title_item_id": chosen[story_id],
                    "title": headline.get(chosen[story_id], ""),
                }
                for story_id, first, last, count in figures
            ],
        )


def copy_item_columns(session: Session, item_ids: Sequence[int]) -> None:
    """Refresh the members' copies of the item columns (and its themes and entities) after an
    update or a retag.

    A feed can move an item's date as well as its tags, so the day, time and feed are copied
    with relevance and language, and the stories concerned get their figures (first/last seen,
    title) recomputed: a story never counts an item on a day the item no longer has.
    """
    table = cast(Table, StoryMember.__table__)
    touched: set[int] = set()
    for start in range(0, len(item_ids), _CHUNK):
        chunk = list(item_ids[start : start + _CHUNK])
        rows = session.execute(
            select(
                Item.id,
                Item.relevance,
                Item.relevant,
                Item.language,
                Item.day,
                Item.published_at,
                Item.feed_id,
            ).where(id_in(Item.id, chunk))
        ).all()
        if not rows:
            continue
        themes, entities = _themes_and_entities(session, chunk)
        # Only stories whose figures can change are recomputed (a retag of 1M items moves no
        # dates): those whose member moved in time, or whose title item changed.
        before = dict(
            session.execute(
                select(StoryMember.item_id, StoryMember.published_at).where(
                    id_in(StoryMember.item_id, chunk)
                )
            ).all()
        )
        moved = [
            int(row.id)
            for row in rows
            if row.id in before and _utc(before[row.id]) != _utc(row.published_at)
        ]
        session.execute(
            update(table)
            .where(table.c.item_id == bindparam("b_id"))
            .values(
                relevance=bindparam("b_relevance"),
                relevant=bindparam("b_relevant"),
                language=bindparam("b_language"),
                day=bindparam("b_day"),
                published_at=bindparam("b_published_at"),
                feed_id=bindparam("b_feed_id"),
                themes=bindparam("b_themes"),
                entities=bindparam("b_entities"),
            ),
            [
                {
                    "b_id": int(row.id),
                    "b_relevance": float(row.relevance),
                    "b_relevant": bool(row.relevant),
                    "b_language": row.language,
                    "b_day": row.day,
                    "b_published_at": row.published_at,
                    "b_feed_id": int(row.feed_id),
                    "b_themes": themes.get(int(row.id), []),
                    "b_entities": entities.get(int(row.id), []),
                }
                for row in rows
            ],
        )
        if moved:
            touched.update(
                session.scalars(
                    select(StoryMember.story_id).where(id_in(StoryMember.item_id, moved)).distinct()
                )
            )
        touched.update(session.scalars(select(Story.id).where(id_in(Story.title_item_id, chunk))))
    if touched:
        refresh_stories(session, touched)


def _themes_and_entities(
    session: Session, item_ids: Sequence[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The theme ids and entity ids of ``item_ids`` now (a retag may have changed both)."""
    themes: dict[int, list[str]] = defaultdict(list)
    entities: dict[int, list[str]] = defaultdict(list)
    for item_id, theme_id in session.execute(
        select(ItemTheme.item_id, ItemTheme.theme_id)
        .where(id_in(ItemTheme.item_id, item_ids))
        .order_by(ItemTheme.item_id, ItemTheme.theme_id)
    ):
        themes[int(item_id)].append(str(theme_id))
    for item_id, entity_id in session.execute(
        select(ItemEntity.item_id, ItemEntity.entity_id)
        .where(id_in(ItemEntity.item_id, item_ids))
        .order_by(ItemEntity.item_id, ItemEntity.entity_id)
    ):
        entities[int(item_id)].append(str(entity_id))
    return themes, entities


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC times, PostgreSQL aware ones: compare them as aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
