"""Stories benchmark: ``stories_in_range`` for a week and for 90 days at 1M items, on SQLite
and PostgreSQL.

``bench.load`` writes items without stories (it bypasses ingest); the members are filled here
in one ``INSERT ... SELECT``: the items of one headline on one day form a story (about 1.5
items per story, 9,600 items and 6,000 stories in a week at 1M items), which is the shape the
range read sees whatever the clustering found. The ingest cost of the story builder is
measured separately with the demo (see ``bench/results/stories_ingest.txt``).

    python -m bench.bench_stories --items 1000000 [--db URL to reuse a loaded database]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date, timedelta
from typing import Any

from sqlalchemy import JSON, cast, func, insert, literal, select, text

from bench.common import Row, median_of, pg_schema, report
from bench.load import END, load
from jkwatch.db.engine import backend_name, make_engine, make_sessionmaker
from jkwatch.db.models import Item, Story, StoryMember
from jkwatch.db.stories import stories_in_range


def fill_members(url: str) -> None:
    """One story per (headline, day); members copy the item columns, as the builder writes."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        if session.scalar(select(StoryMember.item_id).limit(1)) is not None:
            engine.dispose()
            return
        # SQLite would read CAST('[]' AS JSON) with numeric affinity (0): cast on PostgreSQL only.
        empty: Any = literal("[]")
        if backend_name(session) == "postgresql":
            empty = cast(empty, JSON)
        else:
            # The member indexes outgrow SQLite's default 2 MB page cache at 1M rows, and the
            # fill then spends its time re-reading pages: give this one connection 1 GB.
            session.execute(text("PRAGMA cache_size = -1000000"))
        # The story of an item is the first item with its headline that day: a window over
        # (title, day) in one pass (a join back to a grouped subquery made SQLite probe every
        # item of a day once per headline group: hours at 1M items).
        first_of_group = func.min(Item.id).over(partition_by=(Item.title, Item.day))
        session.execute(
            insert(StoryMember).from_select(
                [
                    "item_id",
                    "story_id",
                    "day",
                    "published_at",
                    "language",
                    "feed_id",
                    "relevance",
                    "relevant",
                    "similarity",
                    "linked_by",
                    "terms",
                ],
                select(
                    Item.id,
                    first_of_group,
                    Item.day,
                    Item.published_at,
                    Item.language,
                    Item.feed_id,
                    Item.relevance,
                    Item.relevant,
                    literal(0.0),
                    empty,
                    empty,
                ),
            )
        )
        session.execute(
            insert(Story).from_select(
                ["id", "first_seen", "last_seen", "items", "title_item_id", "title"],
                select(
                    StoryMember.story_id,
                    func.min(StoryMember.published_at),
                    func.max(StoryMember.published_at),
                    func.count(),
                    StoryMember.story_id,
                    literal(""),
                ).group_by(StoryMember.story_id),
            )
        )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str, runs: int) -> list[Row]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    rows = []
    for label, days, target in (("a week", 7, 0.3), ("90 days", 90, 1.0)):
        since = END - timedelta(days=days - 1)

        def read(since: date = since) -> None:
            with sessions() as session:
                found = stories_in_range(session, since, END)
                assert found, "no stories in range"

        def themed(since: date = since) -> None:
            with sessions() as session:
                stories_in_range(session, since, END, themes=["nk_weapons"], languages=["ko"])

        value, times = median_of(read, runs)
        rows.append(
            Row(f"stories_in_range, {label}", value, "s", f"< {target:g} s", value < target, times)
        )
        value, times = median_of(themed, runs)
        rows.append(
            Row(
                f"stories_in_range, {label}, one theme + one language",
                value,
                "s",
                f"< {target:g} s",
                value < target,
                times,
            )
        )
    engine.dispose()
    return rows


def run(items: int, db: str | None, backend: str, runs: int) -> dict:
    def go(url: str) -> dict:
        if db is None:
            load(url, items)
        fill_members(url)
        name = backend_name(make_engine(url))
        return report(
            f"stories_{name}",
            measure(url, runs),
            {"items": items, "runs": runs, "db": f"{name} (given)" if db else f"{name} (fresh)"},
        )

    if db is not None:
        return go(db)
    if backend == "postgresql":
        with pg_schema("bench_stories") as url:
            return go(url)
    with tempfile.TemporaryDirectory() as tmp:
        return go(f"sqlite:///{tmp}/bench.db")


def main() -> None:
    parser = argparse.ArgumentParser(description="stories benchmark")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", help="an already loaded database (skips loading)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run(args.items, args.db, args.backend, args.runs)


if __name__ == "__main__":
    main()
