"""Entity-aware search at 1M items: the items page's search (``db.search.search_items``) for a
name of a gazetteer entity, expanded to the items naming it in any language, warm, median of
N runs. Target: < 50 ms.

``bench.load`` fills ``item_entities`` with what the configured gazetteer's matcher finds in
each synthetic headline (load and bench with the same ``$JKWATCH_ENTITIES``). Entities are
picked by how many items name them: the most named, and the ones nearest 2%, 0.5% and 0.1% of
the items (a common entity is walked newest first, a rarer one fetched and sorted: each side
of the switch is timed). Each is searched by its Korean name with no filter and with the
dashboard's default view (relevant items of the last 90 days), and the most named one with a
second word. The full-text search of the same name (``--exact``) is timed beside, untargeted.

    JKWATCH_ENTITIES=... python -m bench.bench_search_entities --db sqlite:////tmp/bench.db
    JKWATCH_ENTITIES=... python -m bench.bench_search_entities --db postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import Row, median_of, report, timed
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.entity_search import Expansion, expand
from jkwatch.db.models import Item, ItemEntity
from jkwatch.db.query_filters import RELEVANT_BUCKET, Filters
from jkwatch.db.search import search_items
from jkwatch.db.trends import latest_day
from jkwatch.entities import Entity, default_gazetteer

TARGET_S = 0.050
SHARES = (0.02, 0.005, 0.001)


def _picked(session: Session) -> list[tuple[Entity, int]]:
    """The most named entity and those nearest each share of ``SHARES`` (with their counts)."""
    gazetteer = default_gazetteer()
    total = int(session.scalar(select(func.count()).select_from(Item)) or 0)
    counts = {
        entity_id: int(n)
        for entity_id, n in session.execute(
            select(ItemEntity.entity_id, func.count()).group_by(ItemEntity.entity_id)
        )
        if gazetteer.get(entity_id) is not None
    }
    assert counts, "no item_entities: load with bench.load (same $JKWATCH_ENTITIES)"
    chosen = [max(counts, key=lambda e: counts[e])]
    for share in SHARES:
        near = min(counts, key=lambda e: abs(counts[e] - share * total))
        if near not in chosen:
            chosen.append(near)
    return [(gazetteer.get(e), counts[e]) for e in chosen]  # type: ignore[misc]


def _name(entity: Entity) -> str:
    return (entity.names.get("ko") or entity.names.get("ja") or entity.all_names())[0]


def _search(session: Session, query: str, filters: Filters, expansion: Expansion | None) -> int:
    return search_items(session, query, filters, 1, 25, expansion).total


def search_rows(url: str, runs: int) -> list[Row]:
    engine = make_engine(url, read_only=True)
    gazetteer = default_gazetteer()
    try:
        with make_sessionmaker(engine)() as session:
            last = latest_day(session)
            assert last is not None, "no items: load the database first"
            views = {
                "all items": Filters(),
                "default view": Filters(
                    start=last - timedelta(days=89), end=last, min_bucket=RELEVANT_BUCKET
                ),
            }
            picked = _picked(session)
            queries = [(entity, count, _name(entity)) for entity, count in picked]
            top, top_count, top_name = queries[0]
            queries.append((top, top_count, f"{top_name} {'미사일'}"))
            rows = []
            for entity, count, query in queries:
                expansion = expand(query, gazetteer)
                assert expansion is not None and expansion.entity_id == entity.id, query
                for view, filters in views.items():
                    cold, found = timed(
                        lambda q=query, f=filters, x=expansion: _search(session, q, f, x)
                    )
                    warm, times = median_of(
                        lambda q=query, f=filters, x=expansion: _search(session, q, f, x), runs
                    )
                    exact, _ = median_of(
                        lambda q=query, f=filters: _search(session, q, f, None), runs
                    )
                    rows.append(
                        Row(
                            f"“{query}” ({entity.id}, {count:,} items), {view}",
                            warm,
                            "s",
                            f"< {TARGET_S * 1000:g} ms",
                            warm < TARGET_S,
                            times,
                            f"{found:,} found; first call {cold * 1000:.1f} ms; "
                            f"full text of the words {exact * 1000:.1f} ms",
                        )
                    )
        return rows
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="entity-aware search benchmark")
    parser.add_argument("--db", required=True, help="a database loaded with bench.load")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--items", type=int, default=1_000_000, help="for the record")
    args = parser.parse_args()
    backend = "postgresql" if args.db.startswith("postgresql") else "sqlite"
    rows = search_rows(args.db, args.runs)
    report(f"search_entities_{backend}", rows, {"items": args.items, "runs": args.runs})


if __name__ == "__main__":
    main()
