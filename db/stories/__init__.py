"""PLACEHOLDER until the ``stories`` branch is merged (its version replaces this file).

A minimal ``stories_in_range`` per the issue-15 contract, on the near-duplicate clusters
(``items.story_id``), so that the brief can be built and tested before the real stories land.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from jkwatch.db.models import Feed, Item, ItemTheme
from jkwatch.model import StorySummary


def stories_in_range(
    session: Session,
    since: date,
    until: date,
    *,
    themes: Sequence[str] = (),
    languages: Sequence[str] = (),
    relevant_only: bool = True,
    limit: int | None = 10,
) -> list[StorySummary]:
    """The range's stories ranked by outlets, items, then relevance (placeholder)."""
    query = (
        select(
            Item.id,
            Item.story_id,
            Item.title,
            Item.url,
            Item.language,
            Item.relevance,
            Item.published_at,
            Feed.name,
            Feed.url,
        )
        .join(Feed, Feed.id == Item.feed_id)
        .where(Item.day >= since, Item.day <= until)
    )
    if relevant_only:
        query = query.where(Item.relevant)
    if languages:
        query = query.where(Item.language.in_(languages))
    if themes:
        query = query.where(
            exists().where(ItemTheme.item_id == Item.id, ItemTheme.theme_id.in_(themes))
        )
    rows = session.execute(query).all()
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row.story_id or -row.id, []).append(row)
    ids = [row.id for row in rows]
    tags: dict[int, list[str]] = {}
    if ids:
        for item_id, theme_id in session.execute(
            select(ItemTheme.item_id, ItemTheme.theme_id).where(ItemTheme.item_id.in_(ids))
        ):
            tags.setdefault(item_id, []).append(theme_id)
    out = []
    for story_id, members in groups.items():
        members.sort(key=lambda r: (r.published_at, r.id))
        outlets = sorted({r.name or r[8] for r in members})
        counts: dict[str, int] = {}
        for r in members:
            for t in tags.get(r.id, []):
                counts[t] = counts.get(t, 0) + 1
        score = len(outlets) * 10 + len(members) + sum(r.relevance for r in members) / 10
        out.append(
            StorySummary(
                story_id=abs(story_id),
                title=members[0].title,
                items=len(members),
                outlets=len(outlets),
                outlet_names=tuple(outlets),
                languages=tuple(sorted({r.language for r in members})),
                themes=tuple(sorted(counts, key=lambda t: (-counts[t], t))),
                first_seen=members[0].published_at,
                last_seen=members[-1].published_at,
                item_ids=tuple(r.id for r in members),
                urls=tuple(r.url for r in members if r.url),
                score=round(score, 2),
                why=f"{len(outlets)} outlets, {len(members)} items",
            )
        )
    out.sort(key=lambda s: (-s.score, s.story_id))
    return out[:limit] if limit is not None else out
