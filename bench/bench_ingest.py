"""Ingest benchmark: the real pipeline against feedparser alone, steady state, slow hosts.

1. New content: N feeds x 50 items served from 127.0.0.1; end-to-end items/s of
   ``Pipeline.refresh`` into a fresh SQLite database, against ``feedparser.parse`` on the same
   bytes in the same run (ratio; target <= 1.3).
2. Steady state: the same feeds refreshed again with nothing changed; counts
   ``feedparser.parse`` calls (target: none).
3. 500 feeds on 50 loopback addresses (127.0.0.2-127.0.0.51), each answering after 200 ms;
   wall time of one refresh (target < 5 s).

    python -m bench.bench_ingest --feeds 40
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import feedparser

from bench.common import Row, median_of, report, timed
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.feeds import upsert_feed
from jkwatch.db.migrate import upgrade
from jkwatch.demo.corpus import Outlet, generate
from jkwatch.demo.server import render_rss
from jkwatch.model import FeedSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from feedserver import FeedServer, Response  # noqa: E402 - the tests' real HTTP server

PER_FEED = 50
ENGINE_KW: dict = {}


def _tagger():  # type: ignore[no-untyped-def]
    """The real taxonomy's tagger; the tests' stand-in if config/themes.toml does not load."""
    from jkwatch.ingest.tagging import Tagger, TaxonomyError, load_taxonomy

    try:
        return Tagger(load_taxonomy()), "config/themes.toml"
    except TaxonomyError:
        stand_in = Path(__file__).resolve().parents[1] / "tests/fixtures/feeds/standin_themes.toml"
        return Tagger(
            load_taxonomy(stand_in)
        ), "stand-in taxonomy (config/themes.toml did not load)"


def feed_bodies(n_feeds: int, per_feed: int = PER_FEED, seed: int = 11) -> list[bytes]:
    """``n_feeds`` RSS documents of ``per_feed`` distinct synthetic items each."""
    corpus = generate(seed, n_feeds * per_feed, date(2025, 6, 30))
    bodies = []
    for i in range(n_feeds):
        items = corpus.items[i * per_feed : (i + 1) * per_feed]
        outlet = Outlet(
            f"bench-{i}", f"Bench feed {i} (synthetic)", items[0].lang, "general", "rss", 1
        )
        bodies.append(render_rss(outlet, items, items[0].published_at))
    return bodies


def _fresh_pipeline(tmp: Path, urls: list[str], tagger):  # type: ignore[no-untyped-def]
    from jkwatch.ingest.pipeline import Pipeline, PipelineSettings

    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}/ingest.db{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}/ingest.db", **ENGINE_KW)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        feeds = [upsert_feed(session, FeedSpec(url=url, name=url))[0] for url in urls]
    return engine, Pipeline(sessions, PipelineSettings(), tagger=tagger), feeds


@contextlib.contextmanager
def _static_server(bodies: list[bytes]) -> Iterator[list[str]]:
    """Serve the feed files from a separate process, as a remote publisher would.

    An in-process server thread would compete with the pipeline for the GIL and be billed
    to it; a child ``http.server`` keeps the measurement to the pipeline's own work.
    """
    with tempfile.TemporaryDirectory() as root:
        for i, body in enumerate(bodies):
            Path(root, f"f{i}.xml").write_bytes(body)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                root,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                with socket.socket() as conn:
                    if conn.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.05)
            yield [f"http://127.0.0.1:{port}/f{i}.xml" for i in range(len(bodies))]
        finally:
            server.terminate()
            server.wait(timeout=10)


class _CountingParse:
    """Wraps ``feedparser.parse`` to count calls (the steady state must make none)."""

    def __init__(self) -> None:
        self.calls = 0
        self.original = feedparser.parse

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.original(*args, **kwargs)


def run(n_feeds: int = 40, runs: int = 3, slow_feeds: int = 500, hosts: int = 50) -> dict:
    tagger, taxonomy_note = _tagger()
    bodies = feed_bodies(n_feeds)
    items = n_feeds * PER_FEED
    rows: list[Row] = []

    parse_s, parse_runs = median_of(lambda: [feedparser.parse(body) for body in bodies], runs)
    rows.append(Row("feedparser alone", items / parse_s, "items/s", runs=parse_runs))

    counter = _CountingParse()
    with tempfile.TemporaryDirectory() as tmp, _static_server(bodies) as urls:
        timings = []
        steady = []
        parses = []
        for _ in range(runs):
            engine, pipeline, feeds = _fresh_pipeline(Path(tmp), urls, tagger)
            seconds, result = timed(lambda: pipeline.refresh(feeds))  # noqa: B023
            assert result.items_new == items, (result.items_new, items)
            timings.append(seconds)
            feedparser.parse = counter  # type: ignore[assignment]
            try:
                counter.calls = 0
                with pipeline.sessions() as session:
                    from jkwatch.db.feeds import list_feeds

                    again = list_feeds(session)
                steady.append(timed(lambda: pipeline.refresh(again))[0])  # noqa: B023
                parses.append(counter.calls)
            finally:
                feedparser.parse = counter.original  # type: ignore[assignment]
            engine.dispose()
    timings.sort()
    pipe_s = timings[len(timings) // 2]
    ratio = pipe_s / parse_s
    rows.append(Row("pipeline end to end (new content)", items / pipe_s, "items/s", runs=timings))
    rows.append(Row("pipeline cost / feedparser cost", ratio, "x", "<= 1.3", ratio <= 1.3))
    steady.sort()
    rows.append(Row("steady-state refresh (unchanged)", steady[len(steady) // 2], "s", runs=steady))
    rows.append(
        Row("feedparser.parse calls in steady state", max(parses), "calls", "0", max(parses) == 0)
    )
    rows.append(_slow_hosts(slow_feeds, hosts, tagger))
    return report(
        "ingest",
        rows,
        {"feeds": n_feeds, "items_per_feed": PER_FEED, "runs": runs, "taxonomy": taxonomy_note},
    )


def _slow_hosts(n_feeds: int, hosts: int, tagger) -> Row:  # type: ignore[no-untyped-def]
    body = feed_bodies(1, 5, seed=3)[0]
    servers = [FeedServer(host=f"127.0.0.{2 + i}") for i in range(hosts)]
    urls = []
    for i in range(n_feeds):
        server = servers[i % hosts]
        urls.append(
            server.route(
                f"/slow{i}.xml",
                Response(body=body, headers={"Content-Type": "application/rss+xml"}, delay_s=0.2),
            )
        )
    for server in servers:
        server.__enter__()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine, pipeline, feeds = _fresh_pipeline(Path(tmp), urls, tagger)
            seconds, result = timed(lambda: pipeline.refresh(feeds))
            engine.dispose()
    finally:
        for server in servers:
            server.__exit__()
    ok = seconds < 5 and result.errors == 0
    return Row(
        f"{n_feeds} feeds on {hosts} hosts, 200 ms each",
        seconds,
        "s",
        "< 5 s",
        ok,
        note=f"{result.errors} errors",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="ingest benchmark")
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow-feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=None, help="ignored (no database size here)")
    args = parser.parse_args()
    run(args.feeds, args.runs, args.slow_feeds)


if __name__ == "__main__":
    main()
