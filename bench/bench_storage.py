"""Storage benchmark: load N items into SQLite and PostgreSQL, then time the dashboard's queries.

For each backend: the time of ``bench.load`` (Core executemany + one rollup rebuild), then
each ``db.queries`` function the dashboard calls, cold (first call on a new engine) and warm
(median of repeated calls). Targets at 1M items: trends < 50 ms, search < 20 ms, every other
query < 300 ms warm.

    python -m bench.bench_storage --items 1000000 [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

from bench.common import Row, median_of, pg_available, pg_schema, report, timed
from bench.load import load
from db import queries as q
from db.engine import make_engine, make_sessionmaker

TARGETS_MS = {"trends": 50.0, "search": 20.0}
DEFAULT_MS = 300.0


def query_suite(session: Any) -> dict[str, Callable[[], Any]]:
    """The dashboard's queries over the whole range and a filtered year, by name."""
    last = q.latest_day(session)
    year = q.Filters(start=last - timedelta(days=365), end=last)
    nk = q.Filters(start=last - timedelta(days=365), end=last, themes=("nk_weapons",))
    return {
        "trends (week, all)": lambda: q.theme_series(session, q.Filters(), "week"),
        "trends (week, 1 year, relevant)": lambda: q.theme_series(
            session, q.Filters(start=year.start, end=year.end, min_bucket=5), "week"
        ),
        "spikes": lambda: q.spikes(session, q.Filters()),
        "search 'missile'": lambda: q.search_items(session, "missile", q.Filters()),
        "search '北朝鮮'": lambda: q.search_items(session, "北朝鮮", q.Filters()),
        "search '미사일' (1 year)": lambda: q.search_items(session, "미사일", year),
        "items of a theme (no text)": lambda: q.search_items(session, "", nk),
        "theme detail nk_weapons": lambda: q.theme_detail(session, "nk_weapons", year),
        "feed health": lambda: q.feed_health(session),
        "filter options": lambda: q.filter_options(session),
        "overview counts": lambda: q.overview_counts(session),
    }


def _target(name: str) -> float:
    if name.startswith("trends"):
        return TARGETS_MS["trends"]
    if name.startswith("search '"):
        return TARGETS_MS["search"]
    return DEFAULT_MS


def measure_queries(url: str, backend: str, runs: int = 5) -> list[Row]:
    rows = []
    engine = make_engine(url, read_only=True)
    names = list(query_suite(make_sessionmaker(engine)()).keys())
    engine.dispose()
    for name in names:
        cold_engine = make_engine(url, read_only=True)  # a new connection: cold caches here
        with make_sessionmaker(cold_engine)() as session:
            cold, _ = timed(query_suite(session)[name])
        cold_engine.dispose()
        engine = make_engine(url, read_only=True)
        with make_sessionmaker(engine)() as session:
            fn = query_suite(session)[name]
            fn()
            warm, all_runs = median_of(fn, runs)
        engine.dispose()
        target = _target(name)
        rows.append(
            Row(
                f"{backend}: {name} warm",
                warm * 1000,
                "ms",
                f"< {target:.0f} ms",
                warm * 1000 < target,
                [r * 1000 for r in all_runs],
            )
        )
        rows.append(Row(f"{backend}: {name} cold", cold * 1000, "ms"))
    return rows


def run(items: int = 1_000_000, backend: str = "both", runs: int = 5) -> dict:
    rows: list[Row] = []
    backends = ["sqlite", "postgresql"] if backend == "both" else [backend]
    for name in backends:
        if name == "postgresql" and not pg_available():
            print("PostgreSQL not reachable: skipped")
            continue
        with ExitStack() as stack:
            if name == "sqlite":
                tmp = stack.enter_context(tempfile.TemporaryDirectory(dir="."))
                url = f"sqlite:///{tmp}/bench.db"
            else:
                url = stack.enter_context(pg_schema())
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
    return report(f"storage_{backend}", rows, {"items": items, "runs": runs})


def main() -> None:
    parser = argparse.ArgumentParser(description="storage benchmark")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run(args.items, args.backend, args.runs)


if __name__ == "__main__":
    main()
