"""Write side for items and their stories: idempotent upserts, theme rows, the daily rollups.

``store_entries`` is called once per feed inside the caller's transaction. It never
duplicates: an entry already stored for the feed (same ``entry_key``) or anywhere (same
``canonical_url``) is updated or left alone, and the unique constraints back this up even
against a concurrent worker (``ON CONFLICT DO NOTHING``). New items are added to the
rollups by increment; the (feed, day) cells of changed items are recounted; both through
``db.rollups``, the one rollup writer, in the same transaction. A changed item that an
analyst corrected is stored with its correction applied on top (``db.corrections``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from jkwatch.clock import utcnow
from jkwatch.corrections import Tags, apply_correction
from jkwatch.db import corrections, rollups
from jkwatch.db.dialect import insert_ignore
from jkwatch.db.entities import entity_rows, replace_item_entities
from jkwatch.db.models import Item, ItemEntity, ItemTheme
from jkwatch.db.search import search_text
from jkwatch.model import (
    EntryIn,
    FeedRecord,
    Fingerprint,
    StoreResult,
    ThemeIn,
    relevance_bucket,
)

Cell = rollups.Cell

_IN_CHUNK = 500  # keeps IN (...) lists well under SQLite's variable limit
# Core tables: bulk writes go through Core executemany, not the ORM unit of work.
_ITEMS = cast(Table, Item.__table__)
_ITEM_THEMES = cast(Table, ItemTheme.__table__)
_ITEM_ENTITIES = cast(Table, ItemEntity.__table__)


def _chunks(values: Sequence, size: int = _IN_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class _Existing:
    id: int
    feed_id: int
    entry_key: str
    canonical_url: str | None
    content_hash: str
    tagged_with: str | None
    day: date


def _existing_items(session: Session, feed_id: int, entries: Sequence[EntryIn]) -> list[_Existing]:
    keys = [entry.entry_key for entry in entries]
    urls = [entry.canonical_url for entry in entries if entry.canonical_url]
    found: dict[int, _Existing] = {}
    columns = (
        Item.id,
        Item.feed_id,
        Item.entry_key,
        Item.canonical_url,
        Item.content_hash,
        Item.tagged_with,
        Item.day,
    )
    for chunk in _chunks(keys):
        for row in session.execute(
            select(*columns).where(Item.feed_id == feed_id, Item.entry_key.in_(chunk))
        ):
            found[row.id] = _Existing(*row)
    for chunk in _chunks(urls):
        for row in session.execute(select(*columns).where(Item.canonical_url.in_(chunk))):
            found[row.id] = _Existing(*row)
    return list(found.values())


def _item_values(feed_id: int, entry: EntryIn, now: datetime) -> dict:
    return {
        "feed_id": feed_id,
        "guid": entry.guid,
        "entry_key": entry.entry_key,
        "url": entry.url,
        "canonical_url": entry.canonical_url,
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "author": entry.author,
        "published_at": entry.published_at,
        "day": entry.published_at.date(),
        "date_flag": entry.date_flag,
        "fetched_at": now,
        "updated_at": now,
        "language": entry.language,
        "content_hash": entry.content_hash,
        "simhash": entry.simhash,
        "story_id": entry.story_id,
        "relevance": entry.relevance,
        "relevant": entry.relevant,
        "rel_bucket": relevance_bucket(entry.relevance),
        "tagged_with": entry.tagged_with,
        "search_text": search_text(entry.title, entry.summary),
    }


def store_entries(
    session: Session, feed: FeedRecord, entries: Sequence[EntryIn], now: datetime | None = None
) -> StoreResult:
    """Insert new entries, update changed ones, skip the rest; keep theme rows and rollups exact."""
    now = now or utcnow()
    existing = _existing_items(session, feed.id, entries)
    by_key = {row.entry_key: row for row in existing if row.feed_id == feed.id}
    by_url = {row.canonical_url: row for row in existing if row.canonical_url}

    new_entries: list[EntryIn] = []
    changed: list[tuple[_Existing, EntryIn]] = []
    seen_keys: set[str] = set()
    seen_urls: set[str] = set()
    unchanged = 0
    for entry in entries:
        if entry.entry_key in seen_keys or (
            entry.canonical_url and entry.canonical_url in seen_urls
        ):
            unchanged += 1  # the feed lists the same entry twice: the first copy wins
            continue
        seen_keys.add(entry.entry_key)
        if entry.canonical_url:
            seen_urls.add(entry.canonical_url)
        match = by_key.get(entry.entry_key) or (
            by_url.get(entry.canonical_url) if entry.canonical_url else None
        )
        if match is None:
            new_entries.append(entry)
        elif match.feed_id == feed.id and (
            match.content_hash != entry.content_hash or match.tagged_with != entry.tagged_with
        ):
            changed.append((match, entry))
        else:
            unchanged += 1

    cells: set[Cell] = set()
    new_ids = _insert_new(session, feed.id, new_entries, now)
    updated_ids = _update_changed(session, changed, now, cells)
    unchanged += len(new_entries) - len(new_ids)  # lost a race to a concurrent worker
    rollups.refresh_cells(session, cells)  # changed items: recount their cells
    return StoreResult(new_ids=tuple(new_ids), updated_ids=tuple(updated_ids), unchanged=unchanged)


def _insert_new(
    session: Session, feed_id: int, entries: Sequence[EntryIn], now: datetime
) -> list[int]:
    """Insert entries not stored yet; new items are added to the rollups incrementally."""
    if not entries:
        return []
    rows = [_item_values(feed_id, entry, now) for entry in entries]
    # A plain executemany (no RETURNING) runs in the driver's C loop; the ids are read back
    # in one query. Rows skipped by ON CONFLICT (a concurrent worker won) are not found.
    session.execute(insert_ignore(_ITEMS), rows)
    keys = [entry.entry_key for entry in entries]
    ids_by_key: dict[str, int] = {}
    for chunk in _chunks(keys):
        ids_by_key.update(
            (row.entry_key, row.id)
            for row in session.execute(
                select(_ITEMS.c.id, _ITEMS.c.entry_key).where(
                    _ITEMS.c.feed_id == feed_id,
                    _ITEMS.c.entry_key.in_(chunk),
                    _ITEMS.c.fetched_at == now,
                )
            )
        )
    inserted = [entry for entry in entries if entry.entry_key in ids_by_key]
    if not inserted:
        return []
    # A story is named after its first item: leads point at themselves, copies at the lead.
    stories: dict[int, int] = {}
    sibling_updates = []
    for entry in inserted:
        item_id = ids_by_key[entry.entry_key]
        story = entry.story_id
        if story is None and entry.story_of_entry:
            story = ids_by_key.get(entry.story_of_entry)
            if story is not None:
                sibling_updates.append({"b_id": item_id, "b_story": story})
        stories[item_id] = story or item_id
    leads = [item_id for item_id, story in stories.items() if story == item_id]
    for chunk in _chunks(leads):
        session.execute(update(_ITEMS).where(_ITEMS.c.id.in_(chunk)).values(story_id=_ITEMS.c.id))
    if sibling_updates:
        session.execute(
            update(_ITEMS)
            .where(_ITEMS.c.id == bindparam("b_id"))
            .values(story_id=bindparam("b_story")),
            sibling_updates,
        )
    theme_rows = []
    total_rows = []
    for entry in inserted:
        item_id = ids_by_key[entry.entry_key]
        lead = stories[item_id] == item_id
        theme_rows.extend(_theme_rows(item_id, feed_id, entry, lead))
        total_rows.append(
            {
                "day": entry.published_at.date(),
                "feed_id": feed_id,
                "language": entry.language,
                "rel_bucket": relevance_bucket(entry.relevance),
                "story_lead": lead,
            }
        )
    if theme_rows:
        session.execute(insert(_ITEM_THEMES), theme_rows)
    entity_values = [
        row
        for entry in inserted
        for row in entity_rows(
            ids_by_key[entry.entry_key], entry.published_at.date(), entry.entities
        )
    ]
    if entity_values:
        session.execute(insert(_ITEM_ENTITIES), entity_values)
    rollups.add_new_items(session, total_rows, theme_rows)
    return [ids_by_key[entry.entry_key] for entry in inserted]


def _theme_rows(item_id: int, feed_id: int, entry: EntryIn, story_lead: bool) -> list[dict]:
    return theme_rows_for(
        item_id,
        feed_id,
        entry.published_at.date(),
        entry.language,
        entry.relevance,
        story_lead,
        entry.themes,
    )


def theme_rows_for(
    item_id: int,
    feed_id: int,
    day: date,
    language: str,
    relevance: float,
    story_lead: bool,
    themes: Iterable[ThemeIn],
) -> list[dict]:
    """``item_themes`` rows for one item, with the denormalised filter columns filled in."""
    bucket = relevance_bucket(relevance)
    return [
        {
            "item_id": item_id,
            "theme_id": theme.theme_id,
            "score": theme.score,
            "evidence": list(theme.evidence),
            "day": day,
            "feed_id": feed_id,
            "language": language,
            "rel_bucket": bucket,
            "story_lead": story_lead,
        }
        for theme in themes
    ]


def _update_changed(
    session: Session, changed: Sequence[tuple[_Existing, EntryIn]], now: datetime, cells: set[Cell]
) -> list[int]:
    if not changed:
        return []
    changed = _with_corrections(session, changed)
    ids = [match.id for match, _ in changed]
    stories = dict(session.execute(select(Item.id, Item.story_id).where(Item.id.in_(ids))).all())
    updates = []
    theme_rows = []
    for match, entry in changed:
        values = _item_values(match.feed_id, entry, now)
        for kept in ("feed_id", "entry_key", "fetched_at", "story_id", "simhash"):
            values.pop(kept)
        if match.canonical_url and not entry.canonical_url:
            values.pop("canonical_url")
        values["b_id"] = match.id
        updates.append(values)
        theme_rows.extend(
            _theme_rows(match.id, match.feed_id, entry, stories.get(match.id) == match.id)
        )
        cells.add((match.feed_id, match.day))
        cells.add((match.feed_id, entry.published_at.date()))
    columns: dict[str, Any] = {name: bindparam(name) for name in updates[0] if name != "b_id"}
    session.execute(
        update(_ITEMS).where(_ITEMS.c.id == bindparam("b_id")).values(**columns),
        updates,
    )
    for chunk in _chunks(ids):
        session.execute(delete(ItemTheme).where(ItemTheme.item_id.in_(chunk)))
    if theme_rows:
        session.execute(insert(_ITEM_THEMES), theme_rows)
    replace_item_entities(
        session,
        {match.id: (entry.published_at.date(), entry.entities) for match, entry in changed},
    )
    return ids


def _with_corrections(
    session: Session, changed: Sequence[tuple[_Existing, EntryIn]]
) -> list[tuple[_Existing, EntryIn]]:
    """Changed entries with their items' analyst corrections on top of the tagger's output
    (which is kept beside the correction): a second ingest keeps what the analyst said."""
    stored = corrections.corrections_for(session, [match.id for match, _ in changed])
    if not stored:
        return list(changed)
    known = corrections.known_theme_ids(session)
    out = []
    outputs = {}
    for match, entry in changed:
        found = stored.get(match.id)
        if found is not None:
            tagger = Tags(entry.relevance, entry.relevant, entry.themes)
            outputs[match.id] = tagger
            final = corrections.usable(apply_correction(tagger, found.correction), known)
            entry = replace(
                entry, relevance=final.relevance, relevant=final.relevant, themes=final.themes
            )
        out.append((match, entry))
    corrections.remember_tagger_output(session, outputs)
    return out


def recent_fingerprints(
    session: Session, since: datetime, limit: int = 50_000, until: datetime | None = None
) -> list[Fingerprint]:
    """Signatures of items published since ``since`` (and before ``until``, when given: a
    backfill clusters around the dates of the window it stores), for near-duplicate clustering."""
    query = select(Item.id, Item.story_id, Item.simhash, Item.title, Item.published_at).where(
        Item.published_at >= since
    )
    if until is not None:
        query = query.where(Item.published_at < until)
    rows = session.execute(query.order_by(Item.published_at.desc()).limit(limit))
    return [
        Fingerprint(row.id, row.story_id or row.id, row.simhash, row.title, row.published_at)
        for row in rows
    ]


def count_items(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Item)) or 0


def stories_by_entry_key(session: Session, feed_id: int, keys: Sequence[str]) -> dict[str, int]:
    """``{entry_key: story_id}`` for the feed's items with those keys (story of a lead = itself).

    ``store_entries`` reports new item ids but not which entry became which item; the pipeline
    needs the story of each stored entry so later feeds in the same run can join it.
    """
    found: dict[str, int] = {}
    for chunk in _chunks(list(dict.fromkeys(keys))):
        rows = session.execute(
            select(Item.entry_key, Item.id, Item.story_id).where(
                Item.feed_id == feed_id, Item.entry_key.in_(chunk)
            )
        )
        for entry_key, item_id, story_id in rows:
            found[entry_key] = story_id or item_id
    return found
