"""Write side for items and their stories: idempotent upserts, theme rows, the daily rollups.

``store_entries`` is called once per feed inside the caller's transaction. It never
duplicates: an entry already stored for the feed (same ``entry_key``) or anywhere (same
``canonical_url``) is updated or left alone, and the unique constraints back this up even
against a concurrent worker (``ON CONFLICT DO NOTHING``). After writing, the rollup cells
of the touched (feed, day) pairs are recomputed from the items themselves, so the rollups
stay exact. ``apply_retag`` (whole-database re-tagging) writes through the DB-API driver
(``db.driver_sql``) and changes the rollups by netted differences (``db.rollup_delta``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from jkwatch.clock import utcnow
from jkwatch.db.dialect import insert_ignore
from jkwatch.db.driver_sql import fetch, run_many
from jkwatch.db.models import DailyThemeCount, DailyTotal, Item, ItemTheme
from jkwatch.db.retag_plan import RetagPlan, RetagUpdate
from jkwatch.db.rollup_delta import RollupDelta
from jkwatch.db.search import search_text
from jkwatch.model import (
    EntryIn,
    FeedRecord,
    Fingerprint,
    StoreResult,
    ThemeIn,
    relevance_bucket,
)

Cell = tuple[int, date]
"""A rollup cell: (feed id, UTC day)."""

_IN_CHUNK = 500  # keeps IN (...) lists well under SQLite's variable limit
# Core tables: bulk writes go through Core executemany, not the ORM unit of work.
_ITEMS = cast(Table, Item.__table__)
_ITEM_THEMES = cast(Table, ItemTheme.__table__)


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
    refresh_rollups(session, cells)  # changed items: recount their cells from scratch
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
    _add_to_rollups(session, total_rows, theme_rows)
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
    return ids


def _add_to_rollups(
    session: Session, item_rows: Sequence[dict], theme_rows: Sequence[dict]
) -> None:
    """Add newly inserted items to the rollups: one upsert per touched cell.

    Exact because it runs in the transaction that inserted the items, and cheap: the common
    case (a feed with a few new items) costs a couple of statements instead of a recount.
    """
    delta = RollupDelta()
    for row in item_rows:
        key = (row["day"], row["feed_id"], row["language"], row["rel_bucket"])
        delta.item(key, row["story_lead"])
    for row in theme_rows:
        key = (row["day"], row["feed_id"], row["language"], row["rel_bucket"], row["theme_id"])
        delta.theme(key, row["story_lead"])
    delta.apply(session)


def refresh_rollups(session: Session, cells: Iterable[Cell]) -> None:
    """Recompute ``daily_totals`` and ``daily_theme_counts`` for the given (feed, day) cells."""
    days_by_feed: dict[int, set[date]] = defaultdict(set)
    for feed_id, day in cells:
        days_by_feed[feed_id].add(day)
    for feed_id, days in days_by_feed.items():
        for chunk in _chunks(sorted(days)):
            _rebuild_cells(
                session,
                and_(Item.feed_id == feed_id, Item.day.in_(chunk)),
                and_(ItemTheme.feed_id == feed_id, ItemTheme.day.in_(chunk)),
                and_(DailyTotal.feed_id == feed_id, DailyTotal.day.in_(chunk)),
                and_(DailyThemeCount.feed_id == feed_id, DailyThemeCount.day.in_(chunk)),
            )


def rebuild_all_rollups(session: Session) -> None:
    """Recompute every rollup row from the items (after a retag or a repair)."""
    _rebuild_cells(session, literal(True), literal(True), literal(True), literal(True))


def forget_feed_rollups(session: Session, feed_id: int) -> None:
    session.execute(delete(DailyTotal).where(DailyTotal.feed_id == feed_id))
    session.execute(delete(DailyThemeCount).where(DailyThemeCount.feed_id == feed_id))


def _rebuild_cells(session: Session, item_filter, theme_filter, total_filter, count_filter) -> None:  # type: ignore[no-untyped-def]
    session.execute(delete(DailyTotal).where(total_filter))
    session.execute(delete(DailyThemeCount).where(count_filter))
    lead = case((Item.story_id == Item.id, 1), else_=0)
    totals = (
        select(Item.day, Item.feed_id, Item.language, Item.rel_bucket, func.count(), func.sum(lead))
        .where(item_filter)
        .group_by(Item.day, Item.feed_id, Item.language, Item.rel_bucket)
    )
    session.execute(
        insert(DailyTotal).from_select(
            ["day", "feed_id", "language", "rel_bucket", "items", "stories"], totals
        )
    )
    theme_lead = case((ItemTheme.story_lead.is_(True), 1), else_=0)
    counts = (
        select(
            ItemTheme.day,
            ItemTheme.feed_id,
            ItemTheme.language,
            ItemTheme.rel_bucket,
            ItemTheme.theme_id,
            func.count(),
            func.sum(theme_lead),
        )
        .where(theme_filter)
        .group_by(
            ItemTheme.day,
            ItemTheme.feed_id,
            ItemTheme.language,
            ItemTheme.rel_bucket,
            ItemTheme.theme_id,
        )
    )
    session.execute(
        insert(DailyThemeCount).from_select(
            ["day", "feed_id", "language", "rel_bucket", "theme_id", "items", "stories"], counts
        )
    )


def recent_fingerprints(
    session: Session, since: datetime, limit: int = 50_000
) -> list[Fingerprint]:
    """Signatures of items published since ``since``, for near-duplicate clustering."""
    rows = session.execute(
        select(Item.id, Item.story_id, Item.simhash, Item.title, Item.published_at)
        .where(Item.published_at >= since)
        .order_by(Item.published_at.desc())
        .limit(limit)
    )
    return [
        Fingerprint(row.id, row.story_id or row.id, row.simhash, row.title, row.published_at)
        for row in rows
    ]


@dataclass(frozen=True)
class TaggingInput:
    """What the tagger needs of a stored item (``retag``)."""

    id: int
    title: str
    summary: str
    body: str
    language: str


def items_for_tagging(
    session: Session, after_id: int, limit: int, stale_for: str | None = None
) -> list[TaggingInput]:
    """The next ``limit`` items by id after ``after_id`` (keyset pagination: flat memory).

    With ``stale_for``, only items not yet tagged with that taxonomy fingerprint.
    """
    stale = " AND (tagged_with IS NULL OR tagged_with <> ?)" if stale_for is not None else ""
    params = (after_id, stale_for, limit) if stale_for is not None else (after_id, limit)
    rows = fetch(
        session,
        f"SELECT id, title, summary, body, language FROM items WHERE id > ?{stale} "
        "ORDER BY id LIMIT ?",
        params,
    )
    return [
        TaggingInput(item_id, title or "", summary or "", body or "", language)
        for item_id, title, summary, body, language in rows
    ]


def apply_retag(session: Session, updates: Sequence[RetagUpdate]) -> int:
    """Replace the tags of a batch of items and update the rollups by difference (one transaction).

    Driver-level executemany throughout (``db.driver_sql``): ``retag`` of a million items
    must not pay SQLAlchemy's per-row parameter processing. Items whose relevance and themes
    (scores and evidence) come out the same are only re-stamped with the new taxonomy (not
    even that if they carry it already); theme rows are updated in place, and only the
    themes an item gains or loses are inserted or deleted. The rollups change by the rows'
    removal and addition, netted per cell: a batch costs work proportional to its own size,
    never a recount of the cells it touches. Returns how many items' tags changed.
    """
    if not updates:
        return 0
    plan = RetagPlan.for_updates(session, updates)
    run_many(session, "UPDATE items SET tagged_with = ? WHERE id = ?", plan.restamps)
    run_many(
        session,
        "UPDATE items SET relevance = ?, relevant = ?, rel_bucket = ?, tagged_with = ? "
        "WHERE id = ?",
        plan.items,
    )
    run_many(session, "DELETE FROM item_themes WHERE item_id = ? AND theme_id = ?", plan.dropped)
    run_many(
        session,
        "UPDATE item_themes SET score = ?, evidence = ?, rel_bucket = ? "
        "WHERE item_id = ? AND theme_id = ?",
        plan.rescored,
    )
    run_many(
        session,
        "INSERT INTO item_themes (item_id, theme_id, score, evidence, day, feed_id, language, "
        "rel_bucket, story_lead) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        plan.added,
    )
    plan.delta.apply(session)
    return plan.changed


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
