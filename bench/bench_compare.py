"""Compare benchmark at 1M items: the Compare page's queries ("Japan vs Korea") on a loaded
database, warm, median of N runs. Target: < 300 ms for the page's queries together.

``bench.load`` writes items, themes, rollups, countries and entities (the matcher's, since
issue 16) for 40 synthetic feeds, but no stories. This bench first fills what is missing (once;
idempotent), so a database loaded before issue 16 works too:

* countries: ja feeds "jp", ko feeds "kr", en feeds jp, kr, other in turn (so each side has
  feeds in two languages, as Yonhap English and Kyodo make it in life);
* stories: ``bench.bench_stories.fill_members`` (one story per headline and day);
* entities: every item names one of 60 synthetic entities, every third item a second one
  (``item_entities`` filled in one ``INSERT ... SELECT`` each).

What is timed is what the page runs for a range: ``db.compare.compare`` (theme shares per
country, the gap over time, one-sided stories, entities per side), then the items behind its
largest theme cell, its first one-sided story and its top entity (what a click lists).

    python -m bench.bench_compare --db sqlite:////tmp/bench.db [--page]
    python -m bench.bench_compare --db postgresql+psycopg://...  (a loaded database)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, cast, insert, literal, select, text, update
from sqlalchemy.orm import Session

from bench.bench_stories import fill_members
from bench.common import Row, median_of, report, timed
from jkwatch.db import compare as cmp
from jkwatch.db.engine import backend_name, make_engine, make_sessionmaker
from jkwatch.db.models import Feed, Item, ItemEntity
from jkwatch.db.trends import latest_day

TARGET_S, PAGE_S = 0.300, 1.0
ENTITIES = 60
APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def _country(language: str | None, feed_id: int) -> str:
    if language == "ja":
        return "jp"
    if language == "ko":
        return "kr"
    return ("jp", "kr", "other")[(feed_id // 3) % 3]


def prepare(url: str) -> None:
    """Countries, stories and entities for a database ``bench.load`` filled (once)."""
    fill_members(url)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            feeds = session.execute(select(Feed.id, Feed.language, Feed.country)).all()
            if all(country == "other" for _, _, country in feeds):  # loaded without countries
                for feed_id, language, _ in feeds:
                    session.execute(
                        update(Feed)
                        .where(Feed.id == feed_id)
                        .values(country=_country(language, feed_id))
                    )
            if session.scalar(select(ItemEntity.item_id).limit(1)) is None:
                _fill_entities(session)
            session.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _fill_entities(session: Session) -> None:
    empty: Any = literal("[]")
    if backend_name(session) == "postgresql":
        empty = cast(empty, JSON)
    else:
        session.execute(text("PRAGMA cache_size = -1000000"))
    columns = ["entity_id", "item_id", "day", "names"]
    first = literal("ent_") + cast(Item.id % ENTITIES, String)
    session.execute(
        insert(ItemEntity).from_select(columns, select(first, Item.id, Item.day, empty))
    )
    second = literal("ent_") + cast((Item.id * 7 + 1) % ENTITIES, String)
    session.execute(
        insert(ItemEntity).from_select(
            columns,
            select(second, Item.id, Item.day, empty).where(
                Item.id % 3 == 0, (Item.id * 7 + 1) % ENTITIES != Item.id % ENTITIES
            ),
        )
    )


def page_queries(session: Session, since: date, until: date) -> dict[str, Any]:
    """What the Compare page reads for a range in its default view: the comparison without
    entities, the items of the theme with the largest gap (Japan's side, the default), the
    entities of that theme and the items of the first one (as the page shows by default)."""
    result = cmp.compare(session, since, until, with_entities=False)
    first = result.themes[0].theme
    cell = cmp.cell_item_ids(session, since, until, first, "jp")
    entities = cmp.top_entities_by_side(session, since, until, theme=first)
    named = (
        cmp.entity_item_ids(session, since, until, entities[0].entity_id, entities[0].side, first)
        if entities
        else ()
    )
    return {"result": result, "cell": cell, "entity": named, "entities": entities}


def compare_rows(url: str, runs: int) -> list[Row]:
    engine = make_engine(url, read_only=True)
    try:
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            last = latest_day(session)
            assert last is not None, "no items: load the database first"
            rows = []
            for name, days in (("30 days (the default)", 30), ("90 days", 90)):
                since = last - timedelta(days=days - 1)
                cold, _ = timed(lambda s=since: page_queries(session, s, last))
                warm, times = median_of(lambda s=since: page_queries(session, s, last), runs)
                parts = []
                for label, fn in (
                    (
                        "compare() without entities",
                        lambda s=since: cmp.compare(session, s, last, with_entities=False),
                    ),
                    (
                        "one-sided stories",
                        lambda s=since: cmp.one_sided_stories(session, s, last),
                    ),
                    (
                        "entities of every theme at once (CLI)",
                        lambda s=since: cmp.top_entities_by_side(session, s, last),
                    ),
                    (
                        "entities of all themes together (page option)",
                        lambda s=since: cmp.top_entities_by_side(session, s, last, theme=""),
                    ),
                ):
                    part, _ = median_of(fn, runs)
                    parts.append(f"{label} {part * 1000:.0f} ms")
                got = page_queries(session, since, last)
                result = got["result"]
                note = (
                    f"{since}..{last}: relevant jp {result.totals['jp']:,} / kr "
                    f"{result.totals['kr']:,} / other {result.totals['other']:,}; "
                    f"{len(result.one_sided_stories)} one-sided stories, "
                    f"{len(got['entities'])} entity counts; cell {len(got['cell']):,} items, "
                    f"entity {len(got['entity']):,} items; of which {', '.join(parts)}; "
                    f"first call {cold * 1000:.0f} ms"
                )
                rows.append(
                    Row(
                        f"Compare page queries, {name}",
                        warm,
                        "s",
                        f"< {TARGET_S * 1000:g} ms",
                        warm < TARGET_S,
                        times,
                        note,
                    )
                )
        return rows
    finally:
        engine.dispose()


def page_rows(url: str, runs: int) -> list[Row]:
    """The Compare page's first run server-side with cold data caches (as bench_brief)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["JKWATCH_DATABASE_URL"] = url
    cold = []
    for _ in range(runs):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        at.switch_page("app_pages/compare.py").run()
        st.cache_data.clear()
        began = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - began)
        if at.exception:
            raise RuntimeError(at.exception[0].value)
    median = statistics.median(cold)
    return [
        Row(
            "Compare page: first run (cold data caches, default view)",
            median,
            "s",
            f"< {PAGE_S:g} s",
            median < PAGE_S,
            cold,
            "as bench_dashboard times pages",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="compare benchmark")
    parser.add_argument("--db", required=True, help="a database loaded with bench.load")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--page", action="store_true", help="also time the Compare page")
    parser.add_argument("--items", type=int, default=1_000_000, help="for the record")
    args = parser.parse_args()
    took, _ = timed(lambda: prepare(args.db))
    print(f"countries, stories and entities ready in {took:.1f} s")
    backend = "postgresql" if args.db.startswith("postgresql") else "sqlite"
    rows = compare_rows(args.db, args.runs)
    if args.page:
        rows += page_rows(args.db, max(3, args.runs // 2))
    report(f"compare_{backend}", rows, {"items": args.items, "runs": args.runs})


if __name__ == "__main__":
    main()
