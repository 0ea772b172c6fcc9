"""Run every benchmark (``make bench``): ingest, storage, dashboard, memory, retag.

    python -m bench.run_all [--items 1000000] [--quick] [--no-postgresql]

The corpus is loaded ONCE per backend (SQLite in a temporary directory, PostgreSQL in a
throw-away schema) and shared: storage and dashboard read it, memory ingests 2,000 new items
into the SQLite copy, and retag (which rewrites every item's themes) runs last. At 1M items
the loads take ~6 min (SQLite) and ~8 min (PostgreSQL) on 2 cores. ``--quick`` uses 100,000
items. Results land in ``bench/results/*.json``; copy the figures into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import tempfile
import traceback
from collections.abc import Callable
from contextlib import ExitStack

from bench import bench_dashboard, bench_ingest, bench_memory, bench_retag, bench_storage
from bench.common import pg_available, pg_schema
from bench.load import load


def main() -> None:
    parser = argparse.ArgumentParser(description="all jkwatch benchmarks")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 items instead")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    args = parser.parse_args()
    items = 100_000 if args.quick else args.items
    failed: list[str] = []

    def step(name: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(name)

    step("ingest", bench_ingest.run)
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        sqlite_url = f"sqlite:///{tmp}/bench.db"
        print(f"loading {items:,} items into SQLite ...", flush=True)
        load(sqlite_url, items)
        pg_url = None
        if not args.no_postgresql and pg_available():
            pg_url = stack.enter_context(pg_schema())
            print(f"loading {items:,} items into PostgreSQL ...", flush=True)
            load(pg_url, items)
        backend = "both" if pg_url else "sqlite"
        step("storage", lambda: bench_storage.run(items, backend, 7, sqlite_url, pg_url))
        step("dashboard (sqlite)", lambda: bench_dashboard.run(items, sqlite_url))
        if pg_url:
            step("dashboard (postgresql)", lambda: bench_dashboard.run(items, pg_url))
        step("memory", lambda: bench_memory.run(items, sqlite_url))
        step("retag", lambda: bench_retag.run(items, sqlite_url))
    if failed:
        raise SystemExit(f"benchmarks that failed to run: {', '.join(failed)}")


if __name__ == "__main__":
    main()
