"""Cross-language linking's share of ingesting new items: the store step (items, themes,
entities, then the story builder) on a batch of new items with cross-language links on and
off, on the same prepared database.

The database holds ``--days`` days of clustered items before the batch (at ``--per-day`` items
a day: 1,370 is 1M items over two years, the benchmark corpus's rate), from ``--feeds`` feeds in
three languages, with the demo templates' headlines, their themes and the entities the real
matcher finds in them (``bench.load``'s text pool), or by default (``--synthetic 150``) one to
three of 150 synthetic specific entities and a country on every relevant headline: the dense
case of a full gazetteer. The batch is ``--batch`` new items per feed,
one store transaction per feed as the pipeline does. Each run stores the batch into a fresh
copy of the prepared file; the figure is the median of ``--runs`` runs per mode, the modes
alternated so load on a shared machine hits both alike, in CPU time of the process (SQLite
runs in it; other engineers' jobs on a shared machine do not count) and in wall time. Tagging, entity matching, fetching and
parsing are left out: the store step alone is the smallest denominator, so the share is an
upper bound of linking's share of the whole ingest.

    python -m bench.bench_xlang [--per-day 1370] [--days 3] [--feeds 30] [--batch 20] [--runs 7]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bench.common import Row, report
from bench.load import _Text, _text_pool, _theme_infos
from jkwatch.db import items as item_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.feeds import list_feeds, upsert_feed
from jkwatch.db.migrate import upgrade
from jkwatch.db.themes import sync_themes
from jkwatch.entities import default_gazetteer
from jkwatch.ingest.story_builder import StoryBuilder
from jkwatch.model import EntityMatch, EntryIn, FeedRecord, FeedSpec, ThemeIn

START = datetime(2026, 6, 1, tzinfo=UTC)


SYNTHETIC_TYPES = ("person", "place", "weapon", "agreement", "organization", "military")


def synthetic_entities(pool: list[_Text], n: int, rng: random.Random) -> dict[str, str]:
    """Give every relevant headline of ``pool`` (in place) one to three of ``n`` synthetic
    specific entities and a country, as a full gazetteer would; returns their types.

    The demo templates name few of the shipped gazetteer's specific entities (people, places,
    weapons), so with the real matcher fewer items have a link candidate; this is the dense
    case, an upper bound (``--synthetic 0`` measures the shipped gazetteer instead)."""
    types = {f"bench_{k:03d}": SYNTHETIC_TYPES[k % len(SYNTHETIC_TYPES)] for k in range(n)}
    types.update({"japan": "country", "south_korea": "country", "north_korea": "country"})
    ids = sorted(e for e, t in types.items() if t != "country")
    for k, text in enumerate(pool):
        if not text.themes:
            continue
        chosen = rng.sample(ids, rng.randint(1, 3)) + [
            rng.choice(["japan", "south_korea", "north_korea"])
        ]
        matches = tuple(EntityMatch(e, (f"{e}-{text.lang}",)) for e in sorted(chosen))
        pool[k] = replace(text, entities=matches)
    return types


def _entry(text: _Text, key: str, at: datetime) -> EntryIn:
    return EntryIn(
        entry_key=hashlib.sha256(key.encode()).hexdigest(),
        guid=key,
        title=text.title,
        summary=text.summary,
        published_at=at,
        content_hash=hashlib.sha256(f"{key}{text.title}".encode()).hexdigest(),
        url=f"https://bench.example/{key}",
        canonical_url=f"https://bench.example/{key}",
        language=text.lang,
        relevance=0.8 if text.themes else 0.1,
        relevant=bool(text.themes),
        themes=tuple(ThemeIn(t, 0.8) for t in text.themes),
        entities=text.entities,
    )


def _feeds(sessions: sessionmaker[Session], n: int) -> list[FeedRecord]:
    with sessions.begin() as session:
        sync_themes(session, _theme_infos())
        return [
            upsert_feed(
                session,
                FeedSpec(url=f"https://bench.example/feed{i}.xml", name=f"Feed {i}",
                         language=("en", "ja", "ko")[i % 3]),
            )[0]
            for i in range(n)
        ]  # fmt: skip


def _pick(pool: list[_Text], lang: str, rng: random.Random) -> _Text:
    while True:
        text = rng.choice(pool)
        if text.lang == lang:
            return text


def _store(
    sessions: sessionmaker[Session],
    builder: StoryBuilder,
    feed: FeedRecord,
    entries: list[EntryIn],
) -> None:
    with sessions.begin() as session:
        stored = item_store.store_entries(session, feed, entries)
        builder.assign(session, stored.new_ids)


def prepare(
    path: Path, args: argparse.Namespace, pool: list[_Text], types: Mapping[str, str] | None
) -> None:
    """The database before the batch: ``args.days`` days of clustered items, stored in time
    order, one transaction per round of one item per feed."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    feeds = _feeds(sessions, args.feeds)
    rng = random.Random(7)
    builder = StoryBuilder(entity_types=types)
    total = args.per_day * args.days
    step = timedelta(days=args.days) / max(total, 1)
    for first in range(0, total, len(feeds)):
        with sessions.begin() as session:
            new: list[int] = []
            for n, feed in enumerate(feeds[: total - first], start=first):
                text = _pick(pool, feed.language or "en", rng)
                entry = _entry(text, f"ctx-{n}", START + step * n)
                new += item_store.store_entries(session, feed, [entry]).new_ids
            builder.assign(session, new)
    engine.dispose()


def batch(
    path: Path,
    args: argparse.Namespace,
    pool: list[_Text],
    types: Mapping[str, str] | None,
    cross: bool,
) -> tuple[float, float]:
    """Wall and CPU seconds to store ``args.batch`` new items per feed (one transaction per feed)."""
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        feeds = list_feeds(session)
    rng = random.Random(11)
    at = START + timedelta(days=args.days)
    builder = StoryBuilder(entity_types=types if cross else {})
    _ = builder.entity_types  # the gazetteer is read once per process, not per batch
    work = [
        (feed, [
            _entry(_pick(pool, feed.language or "en", rng), f"new-{feed.id}-{k}",
                   at + timedelta(minutes=k))
            for k in range(args.batch)
        ])
        for feed in feeds
    ]  # fmt: skip
    began, cpu = time.perf_counter(), time.process_time()
    for feed, entries in work:
        _store(sessions, builder, feed, entries)
    spent = (time.perf_counter() - began, time.process_time() - cpu)
    engine.dispose()
    return spent


def run(args: argparse.Namespace) -> dict:
    pool = _text_pool(random.Random(3), 3000)
    types: dict[str, str] | None = None
    if args.synthetic:
        types = synthetic_entities(pool, args.synthetic, random.Random(5))
    else:
        types = {e.id: e.type for e in default_gazetteer().entities}
    with_specific = sum(
        1 for t in pool if any(types.get(m.entity_id, "country") != "country" for m in t.entities)
    )
    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        began = time.perf_counter()
        prepare(base, args, pool, types)
        prepared_in = time.perf_counter() - began
        for n in range(args.runs * 2):
            cross = n % 2 == 0
            copy = Path(tmp) / f"run{n}.db"
            shutil.copy(base, copy)
            seconds, cpu_seconds = batch(copy, args, pool, types, cross)
            wall[cross].append(seconds)
            cpu[cross].append(cpu_seconds)
            copy.unlink()
    items = args.batch * args.feeds
    on, off = statistics.median(cpu[True]), statistics.median(cpu[False])
    share = 100 * (on - off) / off
    wall_on, wall_off = statistics.median(wall[True]), statistics.median(wall[False])
    wall_share = 100 * (wall_on - wall_off) / wall_off
    rows = [
        Row("store step CPU, cross-language off", off, "s", runs=cpu[False],
            note=f"{items} new items, {args.feeds} transactions"),
        Row("store step CPU, cross-language on", on, "s", runs=cpu[True]),
        Row("linking's share of the store step (CPU)", share, "%", target="< 20%",
            ok=share < 20),
        Row("store step wall, cross-language off", wall_off, "s", runs=wall[False]),
        Row("store step wall, cross-language on", wall_on, "s", runs=wall[True]),
        Row("linking's share of the store step (wall)", wall_share, "%",
            note="wall time on a shared machine: noisy"),
    ]  # fmt: skip
    params = {
        "db": "sqlite",
        "context items": args.per_day * args.days,
        "per day": args.per_day,
        "feeds": args.feeds,
        "batch per feed": args.batch,
        "runs": args.runs,
        "entities": f"{args.synthetic} synthetic" if args.synthetic else len(default_gazetteer()),
        "pool headlines naming a specific entity": f"{with_specific}/{len(pool)}",
        "prepare seconds": round(prepared_in, 1),
    }
    name = "xlang_linking" if args.synthetic else "xlang_linking_shipped_gazetteer"
    return report(name, rows, params)


def main() -> None:
    parser = argparse.ArgumentParser(description="cross-language linking's share of ingest")
    parser.add_argument("--per-day", type=int, default=1370)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--synthetic",
        type=int,
        default=150,
        help="give relevant headlines 1-3 of this many synthetic entities (0: the gazetteer's)",
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
