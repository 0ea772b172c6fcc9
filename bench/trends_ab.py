"""All-history trends of one source tree on a loaded database: timings and a hash of the points.

Run it once per tree (``PYTHONPATH`` naming the tree), alternating trees on the same database,
to compare two versions of ``theme_series`` under the same machine load; equal hashes mean the
two trees return the same points. Prints one JSON line.

    PYTHONPATH=/tmp/before python -m bench.trends_ab --db sqlite:////tmp/jkb/bench.db --label before
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from datetime import date

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.query_filters import Filters
from jkwatch.db.trends import theme_series

TIMED = {"all history": Filters(), "all history, relevant": Filters(min_bucket=5)}
COMPARED = [
    Filters(),
    Filters(stories=True),
    Filters(start=date(2024, 3, 6), end=date(2025, 2, 18)),  # Wednesday to Tuesday
    Filters(start=date(2024, 12, 29), end=date(2025, 6, 30), min_bucket=5, themes=("nk_weapons",)),
    Filters(end=date(2025, 1, 1)),
]


def measure(url: str, runs: int) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, view in TIMED.items():
        engine = make_engine(url, read_only=True)  # a new engine: the first call is cold
        with make_sessionmaker(engine)() as session:
            start = time.perf_counter()
            theme_series(session, view, "week")
            cold = time.perf_counter() - start
            warm = []
            for _ in range(runs):
                start = time.perf_counter()
                theme_series(session, view, "week")
                warm.append(time.perf_counter() - start)
        engine.dispose()
        out[name] = {
            "cold_ms": round(cold * 1000, 1),
            "warm_ms": round(statistics.median(warm) * 1000, 1),
        }
    engine = make_engine(url, read_only=True)
    with make_sessionmaker(engine)() as session:
        digest = hashlib.sha256()
        for view in COMPARED:
            digest.update(repr(theme_series(session, view, "week")).encode())
    engine.dispose()
    out["points_sha256"] = digest.hexdigest()[:16]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a loaded database URL")
    parser.add_argument("--label", default="", help="which tree this is (printed back)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps({"tree": args.label, **measure(args.db, args.runs)}))


if __name__ == "__main__":
    main()
