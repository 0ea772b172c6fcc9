"""Load N synthetic items with themes into SQLite or PostgreSQL, fast, for the benchmarks.

The rows are exactly what ``db.items.store_entries`` would write for the same entries
(``search_text`` from ``db.search.search_text``, ``rel_bucket`` from ``relevance_bucket``,
story ids pointing at the lead copy, the denormalised columns of ``item_themes``), but they go
in through SQLAlchemy Core ``executemany`` with explicit ids, and the rollups are built once
batch by batch with ``db.rollups`` in the batch's transaction, as ingest counts new items. Titles
come from the demo's templates.

    python -m bench.load --items 1000000 --db sqlite:///bench-data/bench.db
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.engine import backend_name, make_engine, make_sessionmaker
from jkwatch.db.entities import entity_rows
from jkwatch.db.feeds import upsert_feed
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Feed, Item, ItemEntity, ItemTheme
from jkwatch.db.rollups import RollupDelta, apply
from jkwatch.db.search import search_text
from jkwatch.db.themes import ThemeInfo, set_meta, sync_themes
from jkwatch.demo import templates as tpl
from jkwatch.demo.corpus import THEME_WEIGHTS
from jkwatch.ingest.entities import default_matcher
from jkwatch.model import EntityMatch, FeedSpec, relevance_bucket

DAYS = 730
END = date(2025, 6, 30)
BATCH = 10_000
TAGGED_WITH = "bench-load"


@dataclass(frozen=True)
class _Text:
    title: str
    summary: str
    lang: str
    themes: tuple[str, ...]
    search: str
    entities: tuple[EntityMatch, ...] = ()


def _text_pool(rng: random.Random, size: int = 3000) -> list[_Text]:
    """Distinct headlines from the templates, with their search text computed once each."""
    pool = []
    themes = list(THEME_WEIGHTS)
    matcher = default_matcher()
    fill = dict(city=tpl.CITIES[0], city_ja=tpl.CITIES_JA[0], city_ko=tpl.CITIES_KO[0], n=2)
    for _ in range(size):
        lang = rng.choice(tpl.LANGS)
        fill.update(
            city=rng.choice(tpl.CITIES),
            city_ja=rng.choice(tpl.CITIES_JA),
            city_ko=rng.choice(tpl.CITIES_KO),
            n=rng.randint(2, 99),
        )
        if rng.random() < 0.25:
            topic = rng.choice(sorted(tpl.IRRELEVANT_HEADLINES))
            title = rng.choice(tpl.IRRELEVANT_HEADLINES[topic][lang]).format(**fill)
            summary = tpl.IRRELEVANT_SUMMARIES[lang].format(**fill)
            chosen: tuple[str, ...] = ()
        else:
            chosen = tuple(rng.sample(themes, k=rng.choice((1, 1, 1, 2))))
            title = rng.choice(tpl.THEME_HEADLINES[chosen[0]][lang]).format(**fill)
            summary = tpl.THEME_SUMMARIES[lang].format(**fill)
        pool.append(
            _Text(
                title,
                summary,
                lang,
                chosen,
                search_text(title, summary),
                matcher.match(title, summary, lang),
            )
        )
    return pool


def _theme_infos() -> list[ThemeInfo]:
    try:
        from jkwatch.ingest.tagging import load_taxonomy

        taxonomy = load_taxonomy()
        return [ThemeInfo(t.id, t.label, t.description, i) for i, t in enumerate(taxonomy.themes)]
    except Exception:  # noqa: BLE001 - the taxonomy file is optional for a load
        return [ThemeInfo(tid, tid.replace("_", " "), "", i) for i, tid in enumerate(THEME_WEIGHTS)]


def _batches(
    n: int, first_id: int, feeds: list[int], seed: int
) -> Iterator[tuple[list[dict], list[dict], list[dict]]]:
    """(item rows, item_theme rows, item_entities rows) in batches; ~15% of items are
    syndicated copies. Entities are the real matcher's on each headline of the pool."""
    rng = random.Random(seed)
    pool = _text_pool(rng)
    start = datetime.combine(END - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    now = datetime.now(UTC)
    items: list[dict] = []
    themes: list[dict] = []
    entities: list[dict] = []
    lead: tuple[int, datetime, _Text] | None = None
    for offset in range(n):
        item_id = first_id + offset
        if lead is not None and rng.random() < 0.15:  # a copy of the previous story
            story_id, published, text_ = lead[0], lead[1] + timedelta(minutes=11), lead[2]
        else:
            text_ = rng.choice(pool)
            published = start + timedelta(seconds=rng.randrange(DAYS * 86400))
            story_id = item_id
            lead = (item_id, published, text_)
        feed_id = rng.choice(feeds)
        relevance = (
            round(rng.uniform(0.5, 1.0), 3) if text_.themes else round(rng.uniform(0, 0.45), 3)
        )
        bucket = relevance_bucket(relevance)
        day = published.date()
        key = hashlib.sha1(f"bench-{seed}-{item_id}".encode()).hexdigest()
        items.append(
            {
                "id": item_id,
                "feed_id": feed_id,
                "guid": f"bench-{item_id}",
                "entry_key": key,
                "url": f"https://feed{feed_id}.example/{day:%Y/%m/%d}/{item_id}.html",
                "canonical_url": f"https://feed{feed_id}.example/{day:%Y/%m/%d}/{item_id}.html",
                "title": text_.title,
                "summary": text_.summary,
                "body": None,
                "author": None,
                "published_at": published,
                "day": day,
                "date_flag": None,
                "fetched_at": now,
                "updated_at": now,
                "language": text_.lang,
                "content_hash": key + key[:24],
                "simhash": rng.getrandbits(63),
                "story_id": story_id,
                "relevance": relevance,
                "relevant": relevance >= 0.5,
                "rel_bucket": bucket,
                "tagged_with": TAGGED_WITH,
                "search_text": text_.search,
            }
        )
        for rank, theme_id in enumerate(text_.themes):
            themes.append(
                {
                    "item_id": item_id,
                    "theme_id": theme_id,
                    "score": round(0.9 - 0.3 * rank, 3),
                    "evidence": [{"term": text_.title.split()[0], "field": "title", "count": 1}],
                    "day": day,
                    "feed_id": feed_id,
                    "language": text_.lang,
                    "rel_bucket": bucket,
                    "story_lead": story_id == item_id,
                }
            )
        entities.extend(entity_rows(item_id, day, text_.entities))
        if len(items) >= BATCH:
            yield items, themes, entities
            items, themes, entities = [], [], []
    if items:
        yield items, themes, entities


def _country(lang: str, i: int) -> str:
    """Japanese feeds are Japanese, Korean ones Korean; English ones from both and elsewhere."""
    if lang in ("ja", "ko"):
        return "jp" if lang == "ja" else "kr"
    return ("jp", "kr", "other")[(i // 3) % 3]


@dataclass(frozen=True)
class LoadResult:
    items: int
    item_themes: int
    seconds: float
    rows_seconds: float
    """Rows and their rollups (written batch by batch)."""
    rollup_seconds: float
    """What follows the rows: ANALYZE (the name stayed from when the rollups were rebuilt here)."""


def _rollup_delta(item_rows: list[dict], theme_rows: list[dict]) -> RollupDelta:
    """What a batch adds to the rollups (the same cells ingest would count for these items)."""
    delta = RollupDelta()
    for row in item_rows:
        key = (row["day"], row["feed_id"], row["language"], row["rel_bucket"])
        delta.item(key, lead=row["story_id"] == row["id"])
    delta.theme_rows(theme_rows)
    return delta


def _suspend_fts_triggers(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    """Drop the FTS5 sync triggers (name, SQL kept): one index rebuild beats a million inserts."""
    with sessions.begin() as session:
        triggers = [
            (row.name, row.sql)
            for row in session.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items'"
                )
            )
        ]
        for name, _ in triggers:
            session.execute(text(f'DROP TRIGGER "{name}"'))  # names read from sqlite_master
    return triggers


def _restore_fts_triggers(sessions: sessionmaker[Session], triggers: list[tuple[str, str]]) -> None:
    """Recreate the triggers exactly as they were and rebuild the FTS index from ``items``."""
    with sessions.begin() as session:
        for _, sql in triggers:
            session.execute(text(sql))
        if triggers:
            session.execute(text("INSERT INTO items_fts(items_fts) VALUES ('rebuild')"))


def _big_cache(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
    cursor.close()


def load(
    url: str, items: int = 1_000_000, feeds: int = 40, seed: int = 1, analyze: bool = True
) -> LoadResult:
    """Migrate ``url`` and add ``items`` items (on top of what is there); returns timings."""
    engine = make_engine(url)
    if backend_name(engine) == "sqlite":
        # A bigger page cache for this writer only: index pages stop thrashing during the load.
        event.listen(engine, "connect", _big_cache)
    try:
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        return _load(sessions, items, feeds, seed, analyze)
    finally:
        engine.dispose()


def _load(
    sessions: sessionmaker[Session], n: int, n_feeds: int, seed: int, analyze: bool
) -> LoadResult:
    began = time.perf_counter()
    with sessions.begin() as session:
        sync_themes(session, _theme_infos())
        set_meta(session, "synthetic", "true")
        feed_ids = []
        for i in range(n_feeds):
            lang = tpl.LANGS[i % 3]
            record, _ = upsert_feed(
                session,
                FeedSpec(f"https://feed{i}.example/rss.xml", f"Bench feed {i} (synthetic)", lang),
            )
            session.execute(
                update(Feed).where(Feed.id == record.id).values(country=_country(lang, i))
            )
            feed_ids.append(record.id)
        first_id = (session.scalar(select(func.max(Item.id))) or 0) + 1
    sqlite = backend_name(sessions.kw["bind"]) == "sqlite"
    triggers = _suspend_fts_triggers(sessions) if sqlite else []
    themed = 0
    try:
        for item_rows, theme_rows, entity_rows_ in _batches(n, first_id, feed_ids, seed):
            with sessions.begin() as session:
                session.execute(insert(Item.__table__), item_rows)
                if theme_rows:
                    session.execute(insert(ItemTheme.__table__), theme_rows)
                if entity_rows_:
                    session.execute(insert(ItemEntity.__table__), entity_rows_)
                apply(session, _rollup_delta(item_rows, theme_rows))
            themed += len(theme_rows)
    finally:
        if sqlite:
            _restore_fts_triggers(sessions, triggers)
    rows_done = time.perf_counter()
    if analyze:
        with sessions.begin() as session:
            session.execute(text("ANALYZE"))
    done = time.perf_counter()
    if backend_name(sessions.kw["bind"]) == "postgresql":
        with sessions.begin() as session:  # explicit ids: move the sequence past them
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))"
                )
            )
    return LoadResult(n, themed, done - began, rows_done - began, done - rows_done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL (created and migrated)")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after loading")
    args = parser.parse_args()
    result = load(args.db, args.items, args.feeds, args.seed, analyze=not args.no_analyze)
    print(
        f"loaded {result.items:,} items ({result.item_themes:,} theme rows) in {result.seconds:.1f} s "
        f"(rows and rollups {result.rows_seconds:.1f} s, analyze {result.rollup_seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
