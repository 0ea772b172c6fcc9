"""Run every benchmark (``make bench``): ingest, storage, dashboard, memory, retag.

    python -m bench.run_all [--items 1000000] [--quick]

``--quick`` runs everything at 100,000 items. Results land in ``bench/results/*.json``;
copy the figures into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import traceback

from bench import bench_dashboard, bench_ingest, bench_memory, bench_retag, bench_storage


def main() -> None:
    parser = argparse.ArgumentParser(description="all jkwatch benchmarks")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 items instead")
    args = parser.parse_args()
    items = 100_000 if args.quick else args.items
    steps = [
        ("ingest", lambda: bench_ingest.run()),
        ("storage", lambda: bench_storage.run(items)),
        ("dashboard", lambda: bench_dashboard.run(items)),
        ("memory", lambda: bench_memory.run(items)),
        ("retag", lambda: bench_retag.run(items)),
    ]
    failed = []
    for name, step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(name)
    if failed:
        raise SystemExit(f"benchmarks that failed to run: {', '.join(failed)}")


if __name__ == "__main__":
    main()
