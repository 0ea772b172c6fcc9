"""What the story clustering reads: items to cluster, nearby members, the corrections.

All reads are ranges on indexed columns (``items.published_at``, ``story_members
.published_at``); texts, entities (``item_entities``) and themes are read only for the items
being clustered, stored terms, entities and themes for the members around them, and the names
an item used for its entities only for members a new item may link to (``entity_names``). ``add_correction`` records an analyst's split or merge (kept by every
re-clustering, like the tag corrections).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from jkwatch.db.dialect import id_in
from jkwatch.db.models import Item, ItemEntity, ItemTheme, Story, StoryCorrection, StoryMember
from jkwatch.model import StoryCorrections, StoryInput

_CHUNK = 5_000


def _item_inputs(session: Session, where: list[object]) -> list[StoryInput]:
    rows = session.execute(
        select(Item.id, Item.published_at, Item.language, Item.title, Item.summary, Item.story_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(Item.published_at, Item.id)
    ).all()
    inputs = [
        StoryInput(
            item_id=int(r[0]),
            published_at=r[1],
            language=r[2],
            title=r[3] or "",
            summary=r[4] or "",
            near_dup=r[5],
        )
        for r in rows
    ]
    return with_entities_and_themes(session, inputs)


def with_entities_and_themes(session: Session, inputs: list[StoryInput]) -> list[StoryInput]:
    """``inputs`` with their items' entities (and the names used) and themes."""
    ids = [i.item_id for i in inputs]
    names = entity_names(session, ids)
    themes: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for item_id, theme_id in session.execute(
            select(ItemTheme.item_id, ItemTheme.theme_id)
            .where(id_in(ItemTheme.item_id, chunk))
            .order_by(ItemTheme.item_id, ItemTheme.theme_id)
        ):
            themes[int(item_id)].append(str(theme_id))
    return [
        replace(
            i,
            entities=tuple(e for e, _ in names.get(i.item_id, ())),
            entity_names=names.get(i.item_id, ()),
            themes=tuple(themes.get(i.item_id, ())),
        )
        for i in inputs
    ]


def entity_names(
    session: Session, item_ids: Sequence[int]
) -> dict[int, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Per item, its entities (by id) with the names it used for them."""
    out: dict[int, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for item_id, entity_id, names in session.execute(
            select(ItemEntity.item_id, ItemEntity.entity_id, ItemEntity.names)
            .where(id_in(ItemEntity.item_id, chunk))
            .order_by(ItemEntity.item_id, ItemEntity.entity_id)
        ):
            out[int(item_id)].append((str(entity_id), tuple(str(n) for n in names or ())))
    return {item_id: tuple(rows) for item_id, rows in out.items()}


def items_to_cluster(session: Session, item_ids: Sequence[int]) -> list[StoryInput]:
    """Those of ``item_ids`` that belong to no story yet, with their text."""
    out: list[StoryInput] = []
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        placed = set(
            session.scalars(select(StoryMember.item_id).where(id_in(StoryMember.item_id, chunk)))
        )
        todo = [i for i in chunk if i not in placed]
        if todo:
            out.extend(_item_inputs(session, [id_in(Item.id, todo)]))
    return out


def items_between(session: Session, start: datetime, end: datetime) -> list[StoryInput]:
    """Every item published in ``[start, end)``, with its text (for a re-clustering)."""
    return _item_inputs(session, [Item.published_at >= start, Item.published_at < end])


def members_between(
    session: Session,
    start: datetime,
    end: datetime,
    exclude: Iterable[int] = (),
    languages: Sequence[str] = (),
) -> list[StoryInput]:
    """Clustered members published in ``[start, end]`` (of ``languages``, if given) with
    their stored terms and story."""
    excluded = set(exclude)
    where = [StoryMember.published_at >= start, StoryMember.published_at <= end]
    if languages:
        where.append(StoryMember.language.in_(tuple(languages)))
    return [m for m in _member_inputs(session, where) if m.item_id not in excluded]


def _member_inputs(session: Session, where: list[Any], terms: bool = True) -> list[StoryInput]:
    rows = session.execute(
        select(
            StoryMember.item_id,
            StoryMember.published_at,
            StoryMember.language,
            StoryMember.story_id,
            StoryMember.terms if terms else literal(None),
            Item.story_id,
            StoryMember.entities,
            StoryMember.themes,
        )
        .join(Item, Item.id == StoryMember.item_id)
        .where(*where)
        .order_by(StoryMember.published_at, StoryMember.item_id)
    ).all()
    return [
        StoryInput(
            item_id=int(r[0]),
            published_at=r[1],
            language=r[2],
            story_id=int(r[3]),
            terms=tuple(r[4] or ()),
            near_dup=r[5],
            entities=tuple(r[6] or ()),
            themes=tuple(r[7] or ()),
        )
        for r in rows
    ]


def members_naming(
    session: Session,
    entity_ids: Sequence[str],
    start: datetime,
    end: datetime,
    exclude_languages: Sequence[str] = (),
) -> list[StoryInput]:
    """Clustered members published in ``[start, end]`` that name one of ``entity_ids`` (not
    in ``exclude_languages``): the candidates of cross-language links, found through the
    ``item_entities (day, entity_id)`` index rather than by reading every member around.

    Their words are not read (``terms`` empty): no new item of their language is compared
    with them by words, and decoding them was most of this read's cost."""
    if not entity_ids:
        return []
    naming = (
        select(ItemEntity.item_id)
        .where(
            ItemEntity.day >= start.date(),
            ItemEntity.day <= end.date(),
            ItemEntity.entity_id.in_(sorted(set(entity_ids))),
        )
        .distinct()
    )
    where = [
        StoryMember.item_id.in_(naming),
        StoryMember.published_at >= start,
        StoryMember.published_at <= end,
    ]
    if exclude_languages:
        where.append(StoryMember.language.not_in(tuple(exclude_languages)))
    return _member_inputs(session, where, terms=False)


def story_starts(session: Session, story_ids: Iterable[int]) -> dict[int, datetime]:
    """When each story began (its ``first_seen``)."""
    ids = sorted(set(story_ids))
    out: dict[int, datetime] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for story_id, first in session.execute(
            select(Story.id, Story.first_seen).where(id_in(Story.id, chunk))
        ):
            out[int(story_id)] = first
    return out


def stories_of_items(session: Session, item_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    return {
        int(item_id): int(story_id)
        for item_id, story_id in session.execute(
            select(StoryMember.item_id, StoryMember.story_id).where(id_in(StoryMember.item_id, ids))
        )
    }


def story_corrections(session: Session) -> StoryCorrections:
    """Every split and merge the analysts recorded."""
    splits: set[int] = set()
    merges: list[tuple[int, int]] = []
    for action, item_id, other in session.execute(
        select(
            StoryCorrection.action, StoryCorrection.item_id, StoryCorrection.other_item_id
        ).order_by(StoryCorrection.id)
    ):
        if action == "split":
            splits.add(int(item_id))
        elif action == "merge" and other is not None:
            merges.append((int(item_id), int(other)))
    return StoryCorrections(frozenset(splits), tuple(merges))


def add_correction(
    session: Session,
    action: str,
    item_id: int,
    other_item_id: int | None,
    analyst: str,
    at: datetime,
    note: str | None = None,
) -> None:
    """Record a split (``item_id`` stands alone; earlier merges naming it are dropped) or a
    merge (``item_id`` and ``other_item_id`` in one story; an earlier split of either is
    dropped)."""
    if action not in ("split", "merge"):
        raise ValueError(f"unknown story correction {action!r}")
    if action == "split":
        _keep_merges_without(session, item_id, analyst, at)
    else:
        session.execute(
            delete(StoryCorrection).where(
                StoryCorrection.action == "split",
                StoryCorrection.item_id.in_([item_id, other_item_id]),
            )
        )
    session.execute(
        insert(StoryCorrection).values(
            action=action,
            item_id=item_id,
            other_item_id=other_item_id,
            analyst=analyst,
            note=note,
            at=at,
        )
    )


def _keep_merges_without(session: Session, item_id: int, analyst: str, at: datetime) -> None:
    """Drop the merges naming ``item_id`` but keep what they joined, minus that item.

    A merge is stored by one item of each story; splitting such an anchor off must not undo
    the merge, so each of its merges is restated between the other anchor and every other
    member of the item's current story.
    """
    naming = or_(StoryCorrection.item_id == item_id, StoryCorrection.other_item_id == item_id)
    merges = session.execute(
        select(StoryCorrection.item_id, StoryCorrection.other_item_id, StoryCorrection.note).where(
            StoryCorrection.action == "merge", naming
        )
    ).all()
    session.execute(delete(StoryCorrection).where(StoryCorrection.action == "merge", naming))
    story = session.scalar(select(StoryMember.story_id).where(StoryMember.item_id == item_id))
    if not merges or story is None:
        return
    members = session.scalars(
        select(StoryMember.item_id).where(
            StoryMember.story_id == story, StoryMember.item_id != item_id
        )
    ).all()
    rows = []
    for first, second, note in merges:
        anchor = second if first == item_id else first
        rows += [
            {
                "action": "merge",
                "item_id": member,
                "other_item_id": anchor,
                "analyst": analyst,
                "note": note,
                "at": at,
            }
            for member in members
            if member != anchor
        ]
    if rows:
        session.execute(insert(StoryCorrection), rows)


def published_span(session: Session) -> tuple[datetime | None, datetime | None]:
    """The first and last ``published_at`` of all items (None, None when there are none)."""
    row = session.execute(select(func.min(Item.published_at), func.max(Item.published_at))).one()
    return row[0], row[1]


def needs_clustering(session: Session) -> bool:
    """Whether some stored item has no story yet (an upgrade from before stories, or a
    clustering that stopped half-way): rerunning the upgrade finishes the job."""
    orphan = (
        select(Item.id)
        .where(~select(StoryMember.item_id).where(StoryMember.item_id == Item.id).exists())
        .limit(1)
    )
    return session.scalar(orphan) is not None
