"""The story builder's share of a demo ingest: the demo (15,000 items through the real pipeline
over local HTTP) with the builder's work timed inside the same run.

Timing the builder inside the run keeps the figure meaningful on a busy machine, where two
separate runs (before/after) differ by more than the builder costs. Writes
``bench/results/stories_ingest.json``.

    python -m bench.stories_ingest_cost [--items 15000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import Row, report
from jkwatch.demo.runner import DemoSettings, run_demo
from jkwatch.ingest.story_builder import StoryBuilder


def run(items: int) -> dict:
    spent = [0.0, 0]
    original = StoryBuilder.assign_safely

    def timed(self, session, new_ids, updated_ids):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return original(self, session, new_ids, updated_ids)
        finally:
            spent[0] += time.perf_counter() - began
            spent[1] += 1

    StoryBuilder.assign_safely = timed  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'demo.db'}"
            began = time.perf_counter()
            run_demo(DemoSettings(items=items, db_url=url), say=lambda _: None)
            total = time.perf_counter() - began
    finally:
        StoryBuilder.assign_safely = original  # type: ignore[method-assign]
    builder = float(spent[0])
    rows = [
        Row("demo ingest, total", total, "s"),
        Row("story builder inside it", builder, "s", note=f"{spent[1]} store transactions"),
        Row("builder share of the ingest", 100 * builder / total, "%"),
        Row("ingest without the builder (total - builder)", total - builder, "s"),
    ]
    return report("stories_ingest", rows, {"items": items, "db": "sqlite (fresh)"})


def main() -> None:
    parser = argparse.ArgumentParser(description="story builder's share of a demo ingest")
    parser.add_argument("--items", type=int, default=15_000)
    args = parser.parse_args()
    run(args.items)


if __name__ == "__main__":
    main()
