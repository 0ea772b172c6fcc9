"""Backfill benchmark: a year of 50,000 items in three languages from a local imitation of a
news-search service, through ``jkwatch backfill`` in a child process.

Measures the backfill's items/s against the live pipeline's (``jkwatch ingest`` of feeds holding
the same kind of items, also a child process, so both pay the same start-up), and the
backfill's peak RSS (target < 300 MB; ``getrusage`` of the waited-for child).

    python -m bench.bench_backfill                  # 50,000 items, GDELT's shape
    python -m bench.bench_backfill --items 10000 --source google-news
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import Row, report
from tests.backfill_services import Planted, Service, plant, serve
from tests.feedserver import FeedServer, Response

ROOT = Path(__file__).resolve().parents[1]
UNTIL = date(2026, 11, 30)
SINCE = UNTIL - timedelta(days=364)


_PROBE = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)"
)


def _jkwatch(db: str, *args: str) -> tuple[float, int]:
    """Run ``jkwatch --db DB ARGS`` in a probe child; wall seconds and its peak RSS in MB.

    The probe runs jkwatch alone, so its children's maximum RSS is jkwatch's own."""
    env = {k: v for k, v in os.environ.items() if k != "JKWATCH_DATABASE_URL"}
    env.update(NO_PROXY="*", no_proxy="*", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "jkwatch.cli.main", "--db", db, *args]
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    spent = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"jkwatch {args[0]} failed: {done.stderr[-2000:]}")
    lines = done.stdout.strip().splitlines()
    print("\n".join(lines[-3:-1]))
    return spent, int(lines[-1]) // 1024  # kilobytes on Linux


def _rss_feed(items: list[Planted]) -> bytes:
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.url)}</link>"
        f"<guid>{escape(i.url)}</guid><pubDate>{format_datetime(i.at, usegmt=True)}</pubDate>"
        "</item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bench</title>'
        f"<link>https://bench.example/</link>{entries}</channel></rss>"
    ).encode()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--source", choices=("gdelt", "google-news"), default="gdelt")
    parser.add_argument("--live-items", type=int, default=5_000)
    args = parser.parse_args(argv)

    per_day = max(1, round(args.items / (365 * 3)))
    items = plant(SINCE, UNTIL, per_day, prefix="b")
    service = Service(items)
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        base = serve(
            server,
            google=service if args.source == "google-news" else None,
            gdelt=service if args.source == "gdelt" else None,
        )
        db = f"sqlite:///{tmp}/backfill.db"
        spent, peak_mb = _jkwatch(
            db,
            "backfill",
            "--source",
            args.source,
            "--endpoint",
            base,
            "--delay",
            "0",
            "--since",
            str(SINCE),
            "--until",
            str(UNTIL),
        )
        backfill_rate = len(items) / spent

        # The live pipeline on the same kind of items: feeds of 50 items, other URLs.
        live = plant(SINCE, UNTIL, per_day, prefix="live")[: args.live_items]
        feeds = []
        for n in range(0, len(live), 50):
            path = f"/live{n // 50}.xml"
            server.route(path, Response(body=_rss_feed(live[n : n + 50])))
            feeds.append(server.url(path))
        feeds_file = Path(tmp) / "feeds.toml"
        feeds_file.write_text("".join(f'[[feeds]]\nurl = "{u}"\n\n' for u in feeds), "utf-8")
        live_spent, live_peak_mb = _jkwatch(
            f"sqlite:///{tmp}/live.db", "ingest", "--feeds", str(feeds_file)
        )
        live_rate = len(live) / live_spent

    ratio = backfill_rate / live_rate
    rows = [
        Row("backfill items", len(items), "items", note=f"{args.source}, one year, en+ja+ko"),
        Row("backfill wall time", round(spent, 1), "s", note=f"{len(service.queries)} requests"),
        Row("backfill rate", round(backfill_rate, 1), "items/s"),
        Row("live ingest rate", round(live_rate, 1), "items/s", note=f"{len(live)} items"),
        Row("backfill / live rate", round(ratio, 2), "x", ">= 0.8", ratio >= 0.8),
        Row("backfill peak RSS", peak_mb, "MB", "< 300", peak_mb < 300),
        Row("live ingest peak RSS", live_peak_mb, "MB", note="same languages, for comparison"),
    ]
    report(
        f"backfill_{args.source.replace('-', '_')}",
        rows,
        {"items": len(items), "source": args.source},
    )


if __name__ == "__main__":
    main()
