"""Brief benchmark at 1M items: ``jkwatch brief`` for a week and for 90 days on SQLite and
PostgreSQL, and the dashboard's Brief page first run server-side (AppTest).

``bench.load`` writes items, themes and rollups but no stories;
``bench.bench_stories.fill_members`` fills the story tables (one story per headline and day) in
one ``INSERT ... SELECT`` each. Targets: a week < 1 s, 90 days < 3 s (the whole brief: stories,
movers with their stories, spikes), the Brief page's first run < 1 s.

    python -m bench.bench_brief --db sqlite:////tmp/bench.db [--page]
    python -m bench.bench_brief --db postgresql+psycopg://...  (a loaded database)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

from bench.bench_stories import fill_members
from bench.common import Row, median_of, report, timed
from jkwatch.db.brief import build_brief
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.trends import latest_day

WEEK_S, QUARTER_S, PAGE_S = 1.0, 3.0, 1.0
APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


def brief_rows(url: str, runs: int) -> list[Row]:
    engine = make_engine(url, read_only=True)
    try:
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            last = latest_day(session)
            assert last is not None, "no items: load the database first"
            ranges = {
                "brief, a week": (last - timedelta(days=6), WEEK_S),
                "brief, 90 days": (last - timedelta(days=89), QUARTER_S),
            }
            rows = []
            for name, (since, target) in ranges.items():
                cold, _ = timed(lambda s=since: build_brief(session, s, last))
                warm, times = median_of(lambda s=since: build_brief(session, s, last), runs)
                brief = build_brief(session, since, last)
                note = (
                    f"{since}..{last}: {len(brief.stories)} stories, {len(brief.movers)} movers, "
                    f"{len(brief.spikes)} spikes; first call {cold:.2f} s"
                )
                rows.append(Row(name, warm, "s", f"< {target:g} s", warm < target, times, note))
        return rows
    finally:
        engine.dispose()


def page_rows(url: str, runs: int) -> list[Row]:
    """The Brief page (the landing page), as ``bench_dashboard`` times pages: the app run once
    (engine, navigation), then the page's first run with cold data caches. The run that also
    creates the engine and the session (a new process's first view) is recorded beside it."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["JKWATCH_DATABASE_URL"] = url
    cold_data, cold_all = [], []
    for _ in range(runs):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        began = time.perf_counter()
        at.run()
        cold_all.append(time.perf_counter() - began)
        st.cache_data.clear()
        began = time.perf_counter()
        at.run()
        cold_data.append(time.perf_counter() - began)
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        assert at.title and at.title[0].value == "Brief"
    data_s, all_s = statistics.median(cold_data), statistics.median(cold_all)
    return [
        Row(
            "Brief page: first run (cold data caches, default view)",
            data_s,
            "s",
            f"< {PAGE_S:g} s",
            data_s < PAGE_S,
            cold_data,
            "as bench_dashboard times pages",
        ),
        Row(
            "Brief page: very first run (engine and session created too)",
            all_s,
            "s",
            "",
            None,
            cold_all,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="brief benchmark")
    parser.add_argument("--db", required=True, help="a database loaded with bench.load")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page", action="store_true", help="also time the Brief page")
    parser.add_argument("--items", type=int, default=1_000_000, help="for the record")
    args = parser.parse_args()
    took, _ = timed(lambda: fill_members(args.db))
    print(f"story tables ready in {took:.1f} s")
    backend = "postgresql" if args.db.startswith("postgresql") else "sqlite"
    rows = brief_rows(args.db, args.runs)
    if args.page:
        rows += page_rows(args.db, max(3, args.runs // 2))
    report(f"brief_{backend}", rows, {"items": args.items, "runs": args.runs})


if __name__ == "__main__":
    main()
