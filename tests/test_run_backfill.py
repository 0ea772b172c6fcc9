"""``jkwatch run`` and history at first start: the line that says how on an empty database, and
``--backfill-days N``, which backfills the last N days once in the background (resumed by the
next start when stopped, never repeated when done), against a local GDELT imitation."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from jkwatch.cli.context import AppContext
from jkwatch.cli.first_backfill import META_KEY, first_start
from jkwatch.clock import utcnow
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.models import Feed, Item
from jkwatch.db.themes import get_meta, set_meta
from jkwatch.ingest.pipeline import Pipeline
from tests.backfill_services import Service, plant, serve
from tests.factories import add_feeds, rss, shared_tagger
from tests.feedserver import FeedServer, Response
from tests.processes import free_port, start_jkwatch, wait_until


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


def _planted(server: FeedServer, days: int = 2) -> tuple[Service, str]:
    today = utcnow().date()
    service = Service(plant(today - timedelta(days=days), today, 2, prefix="first"))
    return service, serve(server, gdelt=service)


def _backfilled(url: str) -> int:
    """Items stored from the GDELT imitation (0 while the schema does not exist yet)."""
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(Item)
                    .join(Feed, Feed.id == Item.feed_id)
                    .where(Feed.origin == "backfill:gdelt")
                )
                or 0
            )
    except DBAPIError:
        return 0
    finally:
        engine.dispose()


def _state(app: AppContext) -> str | None:
    with app.sessions()() as session:
        return get_meta(session, META_KEY)


def test_an_empty_database_is_told_how_to_load_past_coverage(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = AppContext(db_option=db_url)
    assert first_start(app, 0, "all", None) is None
    out = capsys.readouterr().out
    assert "jkwatch backfill --since" in out and "--backfill-days 90" in out
    assert _state(app) is None, "saying how changes nothing"


@pytest.mark.slow  # the first Korean item loads Kiwi (about 2 s)
def test_backfill_days_fills_the_last_days_once_and_a_second_start_does_nothing(
    db_url: str, server: FeedServer
) -> None:
    service, base = _planted(server)
    app = AppContext(db_option=db_url)
    history = first_start(app, 2, "gdelt", base, delay=0)
    assert history is not None
    history._thread.join(60)
    assert history.report is not None and history.report.failed == 0
    assert _backfilled(db_url) == len(service.items)
    assert (_state(app) or "").startswith("done ")

    asked = len(service.queries)
    assert first_start(app, 2, "gdelt", base, delay=0) is None
    assert len(service.queries) == asked, "a finished first-start backfill never runs again"


def test_a_database_that_already_holds_items_is_not_backfilled_at_start(
    db_url: str, server: FeedServer
) -> None:
    service, base = _planted(server)
    feed = server.route(
        "/live.xml", Response(body=rss([("g1", "Live headline", "https://live.example/1")]))
    )
    app = AppContext(db_option=db_url)
    sessions = app.sessions()
    assert Pipeline(sessions, tagger=shared_tagger()).refresh(add_feeds(sessions, [feed])).items_new
    assert first_start(app, 2, "gdelt", base, delay=0) is None
    assert service.queries == [] and _state(app) is None


@pytest.mark.slow  # the first Korean item loads Kiwi (about 2 s)
def test_a_stopped_first_start_backfill_resumes_its_range_at_the_next_start(
    db_url: str, server: FeedServer
) -> None:
    service, base = _planted(server, days=3)
    app = AppContext(db_option=db_url)
    today = utcnow().date()
    since = today - timedelta(days=3)
    with app.sessions().begin() as session:  # a first start that was stopped before any window
        set_meta(session, META_KEY, f"pending {since} {today}")
    history = first_start(app, 30, "gdelt", base, delay=0)  # the recorded range, not 30 days
    assert history is not None
    history._thread.join(60)
    assert (history.since, history.until) == (since, today)
    assert _backfilled(db_url) == len(service.items)
    assert _state(app) == f"done {since} {today}"


def test_a_bad_backfill_endpoint_is_a_usage_error_even_when_nothing_is_due(
    sqlite_url: str,
) -> None:
    from click import UsageError

    app = AppContext(db_option=sqlite_url)
    with pytest.raises(UsageError, match="--backfill-endpoint replaces one source's address"):
        first_start(app, 0, "all", "http://127.0.0.1:9")


@pytest.mark.slow
def test_jkwatch_run_backfills_in_the_background_while_it_collects_live(
    sqlite_url: str, server: FeedServer, tmp_path
) -> None:
    service, base = _planted(server)
    feed = server.route(
        "/live.xml", Response(body=rss([("g1", "Live headline", "https://live.example/1")]))
    )
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(f'[[feeds]]\nurl = "{feed}"\nname = "Live"\n')
    process = start_jkwatch(
        sqlite_url,
        "run",
        "--no-dashboard",
        "--port",
        str(free_port()),
        "--max-sleep-seconds",
        "0.2",
        "--backfill-days",
        "2",
        "--backfill-source",
        "gdelt",
        "--backfill-endpoint",
        base,
        "--backfill-delay",
        "0",
        env={"JKWATCH_FEEDS": str(feeds_file)},
    )
    try:
        wait_until(
            lambda: _backfilled(sqlite_url) == len(service.items) and server.hits("/live.xml"),
            60,
            "the background backfill and the live feed",
            interval=0.2,
        )
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0, err
    assert "in the background" in out
    assert "background backfill" in err and "finished" in err
