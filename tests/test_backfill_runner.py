"""The backfill runner against local imitations of both services, on SQLite and PostgreSQL.

A planted year (three languages, a week dense enough to split down to days, a day over the
cap) is stored once per article, nothing outside the range, and a rerun fetches nothing.
Failing windows are retried, recorded and retried alone by the next run; 429 with
Retry-After is waited out through the injected sleep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.models import BackfillWindow, Feed, Item
from jkwatch.ingest.backfill.gdelt import Gdelt
from jkwatch.ingest.backfill.google_news import GoogleNews
from jkwatch.ingest.backfill.polite import PoliteClient, Politeness
from jkwatch.ingest.backfill.queries import SearchQuery
from jkwatch.ingest.backfill.runner import BackfillRunner, Job
from jkwatch.ingest.backfill.source import Source
from jkwatch.ingest.pipeline import Pipeline
from tests.backfill_services import (
    GDELT_CAP,
    GOOGLE_CAP,
    Planted,
    Service,
    html_page,
    malformed_json,
    plant,
    serve,
)
from tests.factories import add_feeds, shared_tagger
from tests.feedserver import FeedServer, Response

TODAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


def _runner(
    sessions: sessionmaker[Session], source: Source, sleeps: list[float] | None = None
) -> tuple[BackfillRunner, PoliteClient]:
    waits = sleeps if sleeps is not None else []
    client = PoliteClient(Politeness(delay_s=0), sleep=waits.append, clock=lambda: NOW)
    pipeline = Pipeline(sessions, tagger=shared_tagger(), clock=lambda: NOW)
    return BackfillRunner(pipeline, {source.name: client}, clock=lambda: NOW), client


def _jobs(
    source: Source, text: str = "Japan Korea security", langs: tuple[str, ...] = ("en", "ja", "ko")
) -> list[Job]:
    return [Job(source, SearchQuery(lang, text)) for lang in langs]


def _stored_urls(sessions: sessionmaker[Session]) -> Counter[str | None]:
    with sessions() as session:
        return Counter(session.scalars(select(Item.canonical_url)).all())


def _days(sessions: sessionmaker[Session]) -> tuple[date, date]:
    with sessions() as session:
        low, high = session.execute(select(func.min(Item.day), func.max(Item.day))).one()
    return low, high


def _one_day_windows(sessions: sessionmaker[Session], language: str) -> set[date]:
    with sessions() as session:
        rows = session.execute(
            select(BackfillWindow.first_day).where(
                BackfillWindow.language == language,
                BackfillWindow.first_day == BackfillWindow.last_day,
                BackfillWindow.status == "done",
            )
        )
        return set(rows.scalars())


SINCE, UNTIL = date(2025, 12, 1), date(2026, 11, 30)
DENSE_WEEK = [SINCE + timedelta(days=35 + d) for d in range(7)]  # a Monday-aligned week
CAPPED_DAY = SINCE + timedelta(days=200)


def _year(cap: int, prefix: str) -> list[Planted]:
    """A year before ``TODAY`` in three languages (an item every third day), with days outside
    it on both sides; two English days of one week dense enough that only one-day windows fit
    under the cap (7 days > 4 > 2 > 1), and one Korean day over the cap."""
    dense = {("en", day): cap // 2 + 5 for day in DENSE_WEEK[:2]}
    dense[("ko", CAPPED_DAY)] = cap + 30
    start, end = SINCE - timedelta(days=3), UNTIL + timedelta(days=3)
    return plant(start, end, 1, dense, prefix=prefix, every=3)


def _expected(items: list[Planted], cap: int) -> set[str]:
    """What a complete backfill can store: every item in range, the capped day's newest ``cap``."""
    inside = [i for i in items if SINCE <= i.at.date() <= UNTIL]
    capped = sorted(
        (i for i in inside if i.language == "ko" and i.at.date() == CAPPED_DAY),
        key=lambda i: (i.at, i.key),
        reverse=True,
    )
    missing = {i.url for i in capped[cap:]}
    return {i.url for i in inside} - missing


@pytest.mark.slow
def test_a_planted_year_from_google_news_is_stored_once_within_the_range_and_a_rerun_fetches_nothing(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    items = _year(GOOGLE_CAP, "g")
    service = Service(items)
    base = serve(server, google=service)
    source = GoogleNews(base)
    runner, client = _runner(sessions, source)
    report = runner.run(_jobs(source), SINCE, UNTIL)

    # Google's items keep their aggregator links (none carries the publisher's URL here).
    keep = _expected(items, GOOGLE_CAP)
    expected = {
        f"https://news.google.com/rss/articles/{i.key}?oc=5" for i in items if i.url in keep
    }
    stored = _stored_urls(sessions)
    assert set(stored.values()) == {1}, "no article is stored twice"
    assert set(stored) == expected
    assert _days(sessions)[0] >= SINCE and _days(sessions)[1] <= UNTIL
    google = report.sources["google-news"]
    assert google.failed == 0
    assert _one_day_windows(sessions, "en") >= set(DENSE_WEEK[:2]), "split down to days"
    assert CAPPED_DAY in google.capped_days
    assert google.items_new == len(expected)
    with sessions() as session:
        # Items sit in one never-fetched pseudo-feed per outlet, under the publisher's name.
        feeds = session.execute(select(Feed.name, Feed.kind, Feed.origin, Feed.country)).all()
        titles = session.scalars(select(Item.title).limit(50)).all()
    assert {(kind, origin) for _, kind, origin, _ in feeds} == {
        ("backfill", "backfill:google-news")
    }
    assert {name for name, *_ in feeds} >= {"Harbor Wire", "東方新報", "한빛일보"}
    assert {country for name, *_, country in feeds if name == "한빛일보"} == {"kr"}
    assert not any(t.endswith((" - Harbor Wire", " - Asia Desk")) for t in titles)

    fetched = client.requests
    again = runner.run(_jobs(source), SINCE, UNTIL)
    assert client.requests == fetched, "a finished backfill fetches nothing when rerun"
    assert again.items_new == 0 and _stored_urls(sessions) == stored


@pytest.mark.slow
def test_a_planted_year_from_gdelt_is_stored_once_within_the_range(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    items = _year(GDELT_CAP, "d")
    service = Service(items)
    source = Gdelt(serve(server, gdelt=service), custom=True)
    runner, client = _runner(sessions, source)
    report = runner.run(_jobs(source), SINCE, UNTIL)

    stored = _stored_urls(sessions)
    assert set(stored.values()) == {1}
    assert set(stored) == _expected(items, GDELT_CAP)
    gdelt = report.sources["gdelt"]
    assert gdelt.failed == 0 and gdelt.capped_days == [CAPPED_DAY]
    assert _one_day_windows(sessions, "en") >= set(DENSE_WEEK[:2]), "split down to days"
    with sessions() as session:
        countries = dict(session.execute(select(Feed.name, Feed.country)).all())
    assert countries["hanbit.example.kr"] == "kr" and countries["toho-shimpo.example.jp"] == "jp"
    fetched = client.requests
    runner.run(_jobs(source), SINCE, UNTIL)
    assert client.requests == fetched


def test_the_same_article_found_by_two_queries_is_stored_once(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    since, until = date(2026, 10, 1), date(2026, 10, 14)
    items = plant(since, until, 2, languages=("en",), prefix="q")
    service = Service(items)
    source = Gdelt(serve(server, gdelt=service), custom=True)
    runner, _ = _runner(sessions, source)
    jobs = [Job(source, SearchQuery("en", text)) for text in ("GSOMIA", "radar lock-on")]
    report = runner.run(jobs, since, until)
    assert _stored_urls(sessions) == Counter({i.url: 1 for i in items})
    assert report.items_new == len(items)
    assert {q.split(" sourcelang:")[0] for q in service.queries} == {"GSOMIA", "radar lock-on"}


def test_a_window_answered_with_html_or_a_malformed_body_fails_alone_and_the_next_run_retries_only_it(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    since, until = date(2026, 9, 1), date(2026, 9, 28)
    items = plant(since, until, 1, languages=("en",), prefix="f")
    service = Service(items)
    service.failures[date(2026, 9, 8)] = html_page
    service.failures[date(2026, 9, 15)] = malformed_json
    source = Gdelt(serve(server, gdelt=service), custom=True)
    runner, client = _runner(sessions, source)
    jobs = _jobs(source, langs=("en",))
    report = runner.run(jobs, since, until)

    gdelt = report.sources["gdelt"]
    assert (gdelt.done, gdelt.failed) == (2, 2)
    assert client.requests == 2 + 2 * 3, "each failing window is tried three times"
    with sessions() as session:
        rows = {(r.first_day, r.status): r for r in session.scalars(select(BackfillWindow)).all()}
    assert rows[(date(2026, 9, 8), "failed")].attempts == 3
    assert "HTML" in (rows[(date(2026, 9, 8), "failed")].last_error or "")
    assert "not JSON" in (rows[(date(2026, 9, 15), "failed")].last_error or "")
    assert len(_stored_urls(sessions)) == 14  # the two good weeks

    service.failures.clear()
    before = client.requests
    again = runner.run(jobs, since, until)
    assert client.requests - before == 2, "only the failed windows are fetched again"
    assert again.failed == 0 and again.items_new == 14
    assert _stored_urls(sessions) == Counter({i.url: 1 for i in items})


def test_a_429_with_retry_after_is_waited_out_before_asking_again(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    since, until = date(2026, 11, 2), date(2026, 11, 8)
    service = Service(plant(since, until, 1, languages=("en",), prefix="r"))

    def throttled_once() -> Response:
        del service.failures[since]  # the next request for this window gets its items
        return Response(429, b"slow down", {"Retry-After": "7", "Content-Type": "text/plain"})

    service.failures[since] = throttled_once
    source = GoogleNews(serve(server, google=service))
    sleeps: list[float] = []
    runner, client = _runner(sessions, source, sleeps)
    report = runner.run(_jobs(source, langs=("en",)), since, until)
    assert sleeps == [7.0], "the Retry-After of 7 s was honoured, through the injected sleep"
    assert client.requests == 2
    assert report.failed == 0 and report.items_new == 7


def test_a_window_that_ends_today_is_fetched_again_by_the_next_run(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    since = TODAY - timedelta(days=3)
    items = plant(since, TODAY - timedelta(days=1), 1, languages=("en",), prefix="t")
    service = Service(items)
    source = Gdelt(serve(server, gdelt=service), custom=True)
    runner, client = _runner(sessions, source)
    jobs = _jobs(source, langs=("en",))
    runner.run(jobs, since, TODAY)
    service.items.extend(plant(TODAY, TODAY, 2, languages=("en",), prefix="late"))
    runner.run(jobs, since, TODAY)
    assert client.requests == 2
    assert len(_stored_urls(sessions)) == 5


def _live_rss(items: list[Planted]) -> bytes:
    """A publisher's own feed: the articles under their own URLs, titles without a suffix."""
    parts = [
        f"<item><title>{escape(i.title)}</title><link>{escape(i.url)}</link>"
        f"<guid>{escape(i.url)}</guid><pubDate>{format_datetime(i.at, usegmt=True)}</pubDate>"
        "</item>"
        for i in items
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Harbor Wire'
        "</title><link>https://harborwire.example.com/</link>" + "".join(parts) + "</channel></rss>"
    ).encode()


@pytest.mark.parametrize("service_name", ["google-news", "gdelt"])
def test_an_article_a_live_feed_already_stored_is_not_stored_again_by_a_backfill(
    sessions: sessionmaker[Session], server: FeedServer, service_name: str
) -> None:
    since, until = date(2026, 11, 2), date(2026, 11, 8)
    items = plant(since, until, 2, languages=("en",), prefix="live")
    harbor = [i for i in items if i.outlet == "Harbor Wire"]
    feed_url = server.route("/harbor.xml", Response(body=_live_rss(harbor)))
    (feed,) = add_feeds(sessions, [feed_url])
    pipeline = Pipeline(sessions, tagger=shared_tagger(), clock=lambda: NOW)
    assert pipeline.refresh([feed]).items_new == len(harbor)

    service = Service(items)
    source: Source = (
        GoogleNews(serve(server, google=service))
        if service_name == "google-news"
        else Gdelt(serve(server, gdelt=service), custom=True)
    )
    runner, _ = _runner(sessions, source)
    report = runner.run(_jobs(source, langs=("en",)), since, until)

    # Harbor Wire's articles are held once (the live copy); Asia Desk's come from the backfill.
    with sessions() as session:
        titles = Counter(session.scalars(select(Item.title)).all())
    assert set(titles.values()) == {1}
    assert set(titles) == {i.title for i in items}
    assert report.items_new == len(items) - len(harbor)
    assert report.of(service_name).items_seen == len(items)


@pytest.mark.slow
def test_after_a_dense_window_the_next_ones_are_split_ahead_without_asking_for_them(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    since = date(2026, 9, 7)
    until = since + timedelta(days=27)
    items = plant(since, until, 40, languages=("en",), prefix="dense")
    service = Service(items)
    source = GoogleNews(serve(server, google=service))
    runner, _ = _runner(sessions, source)
    report = runner.run(_jobs(source, langs=("en",)), since, until)

    assert _stored_urls(sessions) == Counter(
        {f"https://news.google.com/rss/articles/{i.key}?oc=5": 1 for i in items}
    )
    asked = [
        (date.fromisoformat(a), date.fromisoformat(b) - timedelta(days=1))
        for q in service.queries
        for a, b in [(q.split("after:")[1][:10], q.split("before:")[1][:10])]
    ]
    first_week_end = since + timedelta(days=6)
    later = [(a, b) for a, b in asked if a > first_week_end]
    assert later and all(a == b for a, b in later), "later weeks ask only for single days"
    assert len(asked) < 2 * 28, "no request is spent on a window that would come back full"
    assert report.of("google-news").split > 0 and report.failed == 0
    with sessions() as session:
        split_rows = session.scalar(
            select(func.count())
            .select_from(BackfillWindow)
            .where(BackfillWindow.status == "split", BackfillWindow.attempts == 0)
        )
    assert split_rows, "splits made ahead are recorded, so a resumed run walks the same halves"
    assert runner.run(_jobs(source, langs=("en",)), since, until).items_new == 0
