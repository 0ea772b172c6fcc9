"""Storage benchmark: the dashboard's queries at scale on SQLite and PostgreSQL, warm and cold.

For each backend: load N items with ``bench.load`` (or reuse a loaded database given with
``--sqlite-db`` / ``--pg-db``), then time every ``db`` read call the pages make, cold
(first call on a new engine) and warm (median of repeated calls on one session), and the
sum per page of the warm medians of the queries that page runs with its default view (the
last 90 days, relevant items). Targets at 1M items: trends < 50 ms, search < 20 ms, each
page's queries together < 300 ms warm.

    python -m bench.bench_storage --items 1000000 [--backend sqlite|postgresql|both]
    python -m bench.bench_storage --backend sqlite --sqlite-db sqlite:////tmp/bench.db
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

from bench.common import Row, median_of, pg_available, pg_schema, report, timed
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.feed_health import feed_health
from jkwatch.db.item_lists import item_themes_with_evidence, items_behind
from jkwatch.db.overview import filter_options, is_synthetic, overview_counts
from jkwatch.db.query_filters import Filters
from jkwatch.db.search import search_items
from jkwatch.db.theme_detail import theme_detail
from jkwatch.db.trends import latest_day, spikes, theme_series

TRENDS_MS = 50.0
SEARCH_MS = 20.0
PAGE_MS = 300.0
QUERY_MS = 300.0
SPAN_DAYS = 90

# The queries each page runs on its first view (beside the shell every page runs).
SHELL = ("overview counts", "synthetic flag", "filter options")
PAGES = {
    "trends": ("trends (week, last 90 days, relevant)", "items behind a number (a week)"),
    "spikes": ("spikes (last 90 days, relevant)", "items behind a number (a week)"),
    "items": ("items list page 1 (last 90 days, relevant)", "evidence of a page (25 items)"),
    "theme detail": ("theme detail nk_weapons (last 90 days, relevant)",),
    "sources & health": ("feed health",),
}


def query_suite(session: Any) -> dict[str, Callable[[], Any]]:
    """Every query the pages make, by name, on the default view and on all of history."""
    last = latest_day(session)
    view = Filters(start=last - timedelta(days=SPAN_DAYS - 1), end=last, min_bucket=5)
    every = Filters()
    week_start = last - timedelta(days=last.weekday())
    page_ids = [hit.id for hit in search_items(session, "", view).items]
    return {
        "trends (week, all history)": lambda: theme_series(session, every, "week"),
        "trends (week, all history, relevant)": lambda: theme_series(
            session, Filters(min_bucket=5), "week"
        ),
        "trends (week, last 90 days, relevant)": lambda: theme_series(session, view, "week"),
        "trends (day, last 90 days, relevant)": lambda: theme_series(session, view, "day"),
        "spikes (last 90 days, relevant)": lambda: spikes(session, view, include_all=True),
        "spikes (all history)": lambda: spikes(session, every, include_all=True),
        "search 'missile' (all history)": lambda: search_items(session, "missile", every),
        "search 'missile' (last 90 days, relevant)": lambda: search_items(session, "missile", view),
        "search 'missile' page 40 (all history)": lambda: search_items(
            session, "missile", every, page=40
        ),
        "search '北朝鮮' (all history)": lambda: search_items(session, "北朝鮮", every),
        "search '北朝鮮' (last 90 days, relevant)": lambda: search_items(session, "北朝鮮", view),
        "search '미사일' (all history)": lambda: search_items(session, "미사일", every),
        "search '미사일' (last 90 days, relevant)": lambda: search_items(session, "미사일", view),
        "items list page 1 (last 90 days, relevant)": lambda: search_items(session, "", view),
        "items list page 1 (all history)": lambda: search_items(session, "", every),
        "items list page 400 (all history)": lambda: search_items(session, "", every, page=400),
        "items of a theme page 1 (all history)": lambda: search_items(
            session, "", Filters(themes=("nk_weapons",))
        ),
        "items behind a number (a week)": lambda: items_behind(
            session, "nk_weapons", week_start, last, view
        ),
        "evidence of a page (25 items)": lambda: item_themes_with_evidence(session, page_ids),
        "theme detail nk_weapons (last 90 days, relevant)": lambda: theme_detail(
            session, "nk_weapons", view
        ),
        "theme detail nk_weapons (all history)": lambda: theme_detail(session, "nk_weapons", every),
        "feed health": lambda: feed_health(session, include_imports=True),
        "filter options": lambda: filter_options(session),
        "overview counts": lambda: overview_counts(session),
        "synthetic flag": lambda: is_synthetic(session),
    }


def _target(name: str) -> float:
    if name.startswith("trends"):
        return TRENDS_MS
    if name.startswith("search '"):
        return SEARCH_MS
    return QUERY_MS


def measure_queries(url: str, backend: str, runs: int = 7) -> list[Row]:
    """One row per query (warm median with its target, then the cold figure), then pages."""
    rows: list[Row] = []
    warm_ms: dict[str, float] = {}
    engine = make_engine(url, read_only=True)
    with make_sessionmaker(engine)() as session:
        names = list(query_suite(session))
    engine.dispose()
    for name in names:
        cold_engine = make_engine(url, read_only=True)  # a new connection: its caches are cold
        with make_sessionmaker(cold_engine)() as session:
            suite = query_suite(session)
            cold, _ = timed(suite[name])
        cold_engine.dispose()
        engine = make_engine(url, read_only=True)
        with make_sessionmaker(engine)() as session:
            fn = query_suite(session)[name]
            fn()
            warm, all_runs = median_of(fn, runs)
        engine.dispose()
        warm_ms[name] = warm * 1000
        target = _target(name)
        rows.append(
            Row(
                f"{backend}: {name} warm",
                warm * 1000,
                "ms",
                f"< {target:.0f} ms",
                warm * 1000 < target,
                [round(r * 1000, 2) for r in all_runs],
            )
        )
        rows.append(Row(f"{backend}: {name} cold", cold * 1000, "ms"))
    for page, own in PAGES.items():
        total = sum(warm_ms[name] for name in (*SHELL, *own))
        rows.append(
            Row(
                f"{backend}: page '{page}' queries together warm",
                total,
                "ms",
                f"< {PAGE_MS:.0f} ms",
                total < PAGE_MS,
                note=" + ".join((*SHELL, *own)),
            )
        )
    return rows


def run(
    items: int = 1_000_000,
    backend: str = "both",
    runs: int = 7,
    sqlite_db: str | None = None,
    pg_db: str | None = None,
) -> dict:
    from bench.load import load

    rows: list[Row] = []
    backends = ["sqlite", "postgresql"] if backend == "both" else [backend]
    for name in backends:
        given = sqlite_db if name == "sqlite" else pg_db
        if name == "postgresql" and not given and not pg_available():
            print("PostgreSQL not reachable: skipped")
            continue
        with ExitStack() as stack:
            if given:
                url = given
            elif name == "sqlite":
                tmp = stack.enter_context(tempfile.TemporaryDirectory())
                url = f"sqlite:///{tmp}/bench.db"
            else:
                url = stack.enter_context(pg_schema())
            if not given:
                result = load(url, items)
                rows.append(
                    Row(
                        f"{name}: load {items:,} items",
                        result.seconds,
                        "s",
                        note=f"rollups+analyze {result.rollup_seconds:.1f} s",
                    )
                )
            rows.extend(measure_queries(url, name, runs))
    params = {"items": items, "runs": runs, "db": "given" if sqlite_db or pg_db else "fresh"}
    return report(f"storage_{backend}", rows, params)


def main() -> None:
    parser = argparse.ArgumentParser(description="storage benchmark")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sqlite-db", help="an already loaded SQLite URL (skips loading)")
    parser.add_argument("--pg-db", help="an already loaded PostgreSQL URL (skips loading)")
    args = parser.parse_args()
    run(args.items, args.backend, args.runs, args.sqlite_db, args.pg_db)


if __name__ == "__main__":
    main()
