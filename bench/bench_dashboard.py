"""Dashboard benchmark: server-side run time of each page with Streamlit's AppTest.

Per page: the first run on fresh caches (cold) and the rerun after a filter change (a theme
picked in the sidebar). Targets at 1M items: first run < 1 s, interaction < 150 ms.

    python -m bench.bench_dashboard --items 1000000 [--db URL to reuse a loaded database]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Row, report
from bench.load import load

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = (
    "app_pages/trends.py",
    "app_pages/spikes.py",
    "app_pages/items.py",
    "app_pages/theme_detail.py",
    "app_pages/sources.py",
)


def _page_times(url: str, page: str) -> tuple[float, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["JKWATCH_DATABASE_URL"] = url
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # the landing page: engine and navigation set up, as a browser would
    st.cache_data.clear()
    began = time.perf_counter()
    at.switch_page(page).run()
    cold = time.perf_counter() - began
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    widgets = [w for w in at.multiselect if w.key == "f_themes"]
    began = time.perf_counter()
    if widgets:
        widgets[0].select("nk_weapons").run()
    else:
        at.run()
    interaction = time.perf_counter() - began
    return cold, interaction


def measure(url: str, runs: int = 3) -> list[Row]:
    rows = []
    for page in PAGES:
        cold_runs, inter_runs = [], []
        for _ in range(runs):
            cold, inter = _page_times(url, page)
            cold_runs.append(cold)
            inter_runs.append(inter)
        name = Path(page).stem
        cold, inter = statistics.median(cold_runs), statistics.median(inter_runs)
        rows.append(
            Row(f"{name}: first run (cold caches)", cold, "s", "< 1 s", cold < 1, cold_runs)
        )
        rows.append(
            Row(f"{name}: after a filter change", inter, "s", "< 150 ms", inter < 0.15, inter_runs)
        )
    return rows


def run(items: int = 1_000_000, db: str | None = None, runs: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = db or f"sqlite:///{tmp}/bench.db"
        if db is None:
            load(url, items)
        backend = url.split(":", 1)[0].split("+", 1)[0]
        return report(
            f"dashboard_{backend}",
            measure(url, runs),
            {"items": items, "runs": runs, "db": f"{backend} (given)" if db else "sqlite (fresh)"},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="dashboard benchmark")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", help="an already loaded database (skips loading)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    run(args.items, args.db, args.runs)


if __name__ == "__main__":
    main()
