"""Run the demo: a fresh synthetic database filled through the real ingest pipeline.

The demo never writes to the user's database. It uses its own URL (by default
``sqlite:///<cwd>/demo-data/demo.db``), recreates it on each run, and refuses any database
that holds items but is not marked synthetic, or that is the database jkwatch would use
otherwise. The corpus is served from 127.0.0.1 and ingested by ``ingest.pipeline.Pipeline``
(fetch, parse, normalise, dedupe, tag, store), exactly like real feeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from jkwatch.clock import utcnow
from jkwatch.db.engine import describe_url, make_engine, make_sessionmaker, resolve_database_url
from jkwatch.db.feeds import upsert_feed
from jkwatch.db.items import count_items
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Base
from jkwatch.db.themes import get_meta, set_meta
from jkwatch.demo.corpus import DEFAULT_ITEMS, SYNTHETIC_LABEL, generate
from jkwatch.demo.server import DemoFeedServer
from jkwatch.model import FeedSpec

DEMO_DIR = "demo-data"


class DemoError(Exception):
    """The demo cannot run as asked (for instance, it was pointed at a real database)."""


@dataclass(frozen=True)
class DemoSettings:
    seed: int = 7
    items: int = DEFAULT_ITEMS
    db_url: str | None = None
    end: date | None = None
    """Last day of the corpus; today (UTC) when not given, so the dashboard looks current."""


@dataclass(frozen=True)
class DemoResult:
    db_url: str
    corpus_items: int
    feeds: int
    items_stored: int
    items_relevant: int
    feed_errors: int
    generate_s: float
    ingest_s: float


def default_demo_url(cwd: Path | None = None) -> str:
    return f"sqlite:///{((cwd or Path.cwd()) / DEMO_DIR / 'demo.db').resolve()}"


def _same_database(a: str, b: str) -> bool:
    try:
        ua, ub = make_url(a), make_url(b)
    except Exception:  # noqa: BLE001 - unparsable URLs are never "the same"
        return False
    if ua.get_backend_name() != ub.get_backend_name():
        return False
    if ua.get_backend_name() == "sqlite":
        return (
            bool(ua.database)
            and Path(ua.database or "").resolve() == Path(ub.database or "").resolve()
        )
    return (ua.host, ua.port, ua.database, ua.query) == (ub.host, ub.port, ub.database, ub.query)


def _holds_real_data(engine: Engine) -> bool:
    """True when the database has items and no synthetic mark: someone's real data."""
    tables = set(inspect(engine).get_table_names())
    if "items" not in tables:
        return False
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        synthetic = "meta" in tables and get_meta(session, "synthetic") == "true"
        return not synthetic and count_items(session) > 0


def recreate_database(url: str) -> None:
    """Empty the demo database (delete the SQLite file, or drop the tables on PostgreSQL)."""
    if _same_database(url, resolve_database_url(None)):
        raise DemoError(
            f"{describe_url(url)} is your jkwatch database; the demo uses a database of its own"
        )
    engine = make_engine(url)
    try:
        if _holds_real_data(engine):
            raise DemoError(
                f"{describe_url(url)} holds items that are not synthetic; "
                "the demo only recreates its own databases"
            )
        if engine.dialect.name == "sqlite":
            database = make_url(url).database
            engine.dispose()
            if database and database != ":memory:":
                for suffix in ("", "-wal", "-shm"):
                    Path(database + suffix).unlink(missing_ok=True)
            return
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()


def run_demo(settings: DemoSettings, say: Callable[[str], None] = print) -> DemoResult:
    """Generate, serve and ingest the corpus into a fresh demo database; returns the figures."""
    from jkwatch.ingest.pipeline import Pipeline, PipelineSettings

    url = settings.db_url or default_demo_url()
    recreate_database(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        began = time.perf_counter()
        corpus = generate(settings.seed, settings.items, settings.end or utcnow().date())
        generated = time.perf_counter()
        say(
            f"generated {len(corpus.items):,} items of {SYNTHETIC_LABEL} "
            f"({corpus.start} to {corpus.end}, seed {settings.seed})"
        )
        with DemoFeedServer(corpus) as server:
            with sessions.begin() as session:
                set_meta(session, "synthetic", "true")
                set_meta(session, "synthetic_seed", str(settings.seed))
                feeds = [
                    upsert_feed(
                        session,
                        FeedSpec(
                            url=server.url(outlet.path),
                            name=outlet.name,
                            language=outlet.lang,
                            kind=outlet.kind,
                            country=outlet.country,
                        ),
                    )[0]
                    for outlet in corpus.outlets
                ]
            say(
                f"serving {len(feeds)} synthetic feeds on http://{server.host}:{server.port}/feeds/"
            )
            report = Pipeline(sessions, PipelineSettings()).refresh(feeds)
        ingested = time.perf_counter()
        with sessions() as session:
            stored = count_items(session)
            relevant = int(
                session.execute(text("SELECT count(*) FROM items WHERE relevant")).scalar() or 0
            )
        for feed in report.feeds:
            if feed.outcome == "error":
                say(f"  feed error: {feed.name}: {feed.error}")
        return DemoResult(
            db_url=url,
            corpus_items=len(corpus.items),
            feeds=len(feeds),
            items_stored=stored,
            items_relevant=relevant,
            feed_errors=report.errors,
            generate_s=generated - began,
            ingest_s=ingested - generated,
        )
    finally:
        engine.dispose()
