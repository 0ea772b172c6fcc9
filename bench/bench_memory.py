"""Memory benchmark: peak RSS of ``jkwatch ingest`` and of a dashboard run at N items.

Each is measured in a child process (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` after
it exits): ``jkwatch ingest`` refreshing 40 feeds x 50 new items into a database that
already holds N items, and the dashboard's script run server-side (AppTest, every page) on
that database. Target: ingest peak RSS < 300 MB.

    python -m bench.bench_memory --items 1000000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Row, report
from bench.load import load

REPO = Path(__file__).resolve().parents[1]
_DASHBOARD_CHILD = """
import os, streamlit as st
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(os.environ["BENCH_APP"], default_timeout=300)
at.run()
for page in ("app_pages/spikes.py", "app_pages/items.py", "app_pages/theme_detail.py", "app_pages/sources.py"):
    at.switch_page(page).run()
"""


def _child_peak_mb(command: list[str], env: dict[str, str]) -> float:
    """Peak RSS of one child (run alone, so RUSAGE_CHILDREN's max is this child's)."""
    probe = [
        sys.executable,
        "-c",
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        *command,
    ]
    out = subprocess.run(probe, env=env, check=True, capture_output=True, text=True, cwd=REPO)
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # kB on Linux


def run(items: int = 1_000_000, db: str | None = None) -> dict:
    from bench.bench_ingest import FeedServer, Response, feed_bodies

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        url = db or f"sqlite:///{Path(tmp).resolve()}/bench.db"
        if db is None:
            load(url, items)
        bodies = feed_bodies(40)
        feeds_file = Path(tmp) / "feeds.toml"
        with FeedServer() as server:
            lines = []
            for i, body in enumerate(bodies):
                feed_url = server.route(
                    f"/m{i}.xml",
                    Response(body=body, headers={"Content-Type": "application/rss+xml"}),
                )
                lines.append(
                    f'[[feeds]]\nurl = "{feed_url}"\nname = "Memory bench {i} (synthetic)"\n'
                )
            feeds_file.write_text("\n".join(lines))
            env = dict(os.environ, JKWATCH_DATABASE_URL=url)
            jk = str(Path(sys.executable).with_name("jkwatch"))
            ingest_mb = _child_peak_mb([jk, "ingest", "--feeds", str(feeds_file), "--all"], env)
        rows.append(Row("jkwatch ingest peak RSS", ingest_mb, "MB", "< 300 MB", ingest_mb < 300))
        env = dict(
            os.environ, JKWATCH_DATABASE_URL=url, BENCH_APP=str(REPO / "dashboard" / "app.py")
        )
        dash_mb = _child_peak_mb([sys.executable, "-c", _DASHBOARD_CHILD], env)
        rows.append(Row("dashboard (all pages, AppTest) peak RSS", dash_mb, "MB"))
    return report("memory", rows, {"items": items})


def main() -> None:
    parser = argparse.ArgumentParser(description="memory benchmark")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", help="an already loaded database (skips loading)")
    args = parser.parse_args()
    run(args.items, args.db)


if __name__ == "__main__":
    main()
