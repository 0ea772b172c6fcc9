"""Hostile feed content through the real pipeline: sizes, counts, dates, missing fields, bytes.

Each test serves a generated feed through the fake web (``tests/fakefeeds.py``: the real
fetcher on canned responses, no server) and asserts what was stored on both databases
(PostgreSQL rejects NUL in text, so control characters must be gone before storage).
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.models import Feed, Item
from jkwatch.ingest.normalize import TITLE_MAX
from jkwatch.ingest.parse import MAX_ENTRIES
from tests.factories import add_feeds, rss
from tests.fakefeeds import FakeFeeds
from tests.reliability_support import peak_rss_kib, reset_peak_rss, run_pipeline


def _ingest(
    sessions: sessionmaker[Session], body: bytes, runs: int = 1, **fetch: object
) -> list[Item]:
    """Serve ``body`` as one feed and refresh it ``runs`` times; returns the stored items."""
    web = FakeFeeds()
    url = web.feed("https://content.example.com/feed.xml").serves(body, content_type=None)
    for _ in range(runs):
        with sessions.begin() as session:  # due again, and the body must be re-read
            session.execute(update(Feed).values(body_hash=None, etag=None))
        report = run_pipeline(sessions, add_feeds(sessions, [url]), web.transport, **fetch)
        (feed_report,) = report.feeds
        assert feed_report.outcome == "ok", feed_report.error
    with sessions() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


def _channel(items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://content.example.com/</link><description>d</description>{items}"
        "</channel></rss>"
    ).encode()


@pytest.mark.slow
def test_a_feed_of_100000_entries_keeps_the_cap_with_a_warning_in_bounded_time_and_memory(
    sqlite_url: str,
) -> None:
    from jkwatch.db.engine import make_engine, make_sessionmaker
    from jkwatch.db.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    body = _channel(
        "".join(
            f"<item><guid>e{n}</guid><title>Story {n}</title>"
            f"<link>https://flood.example.com/{n}</link></item>"
            for n in range(100_000)
        )
    )
    reset_peak_rss()
    before = peak_rss_kib()
    began = time.monotonic()
    items = _ingest(sessions, body, max_bytes=64 * 1024 * 1024)
    elapsed = time.monotonic() - began
    growth_mib = (peak_rss_kib() - before) / 1024
    with sessions() as session:
        feed = session.scalars(select(Feed)).one()
        warning = (
            feed.last_status,
            session.scalar(select(Feed.last_error).where(Feed.id == feed.id)),
        )
    engine.dispose()
    assert len(items) == MAX_ENTRIES
    assert elapsed < 60, f"took {elapsed:.1f} s"
    assert growth_mib < 1024, f"peak memory grew by {growth_mib:.0f} MiB"
    from jkwatch.db.models import FetchRun

    with sessions() as session:
        run = session.scalars(select(FetchRun)).one()
    assert run.warning and "100000" in run.warning.replace(",", ""), run.warning
    assert warning[0] == "ok"


def test_dates_far_in_the_past_or_future_are_flagged_not_trusted(sessions) -> None:  # type: ignore[no-untyped-def]
    body = _channel(
        "".join(
            f"<item><guid>d{n}</guid><title>Dated {n}</title>"
            f"<link>https://dates.example.com/{n}</link><pubDate>{date}</pubDate></item>"
            for n, date in enumerate(
                [
                    "Mon, 01 Jan 1900 00:00:00 GMT",
                    "Wed, 01 Jan 2999 00:00:00 GMT",
                    "9999-12-31T23:59:59Z",
                    "not a date",
                    "Mon, 02 Nov 2026 09:00:00 GMT",
                ]
            )
        )
    )
    items = {item.guid: item for item in _ingest(sessions, body)}
    assert items["d0"].date_flag == "ancient"
    assert items["d1"].date_flag == "future"
    assert items["d2"].date_flag == "future"
    assert items["d3"].date_flag == "missing"
    assert items["d4"].date_flag is None
    for key in ("d1", "d2", "d3"):  # an untrustworthy date is replaced by the fetch time
        assert items[key].published_at.year < 2100


def test_entries_without_link_title_or_guid_are_stored_sensibly_and_only_once(sessions) -> None:  # type: ignore[no-untyped-def]
    body = _channel(
        "<item><guid>only-guid</guid><description>Guid and text only.</description></item>"
        "<item><link>https://bare.example.com/only-link</link></item>"
        "<item><title>Only a title</title></item>"
        "<item><description>Only a description, about the GSOMIA pact.</description></item>"
    )
    first = _ingest(sessions, body, runs=2)
    assert len(first) == 4, "a rerun adds no duplicates"
    for item in first:
        assert item.title.strip(), "every stored item has a displayable title"
        assert item.entry_key
    by_title = {item.title: item for item in first}
    assert "Only a title" in by_title
    assert any(item.url == "https://bare.example.com/only-link" for item in first)


def test_nul_and_control_characters_are_stripped_before_storage(sessions) -> None:  # type: ignore[no-untyped-def]
    body = _channel(
        "<item><guid>ctrl\x00guid</guid><title>Missile\x00 test\x07\x1b[31m done\x7f</title>"
        "<link>https://ctrl.example.com/1</link>"
        "<description>nul\x00 bell\x07 vt\x0b ff\x0c</description></item>"
    )
    (item,) = _ingest(sessions, body)
    for text in (item.title, item.summary, item.guid or ""):
        assert not any(ord(ch) < 32 and ch not in "\t\n\r" or ord(ch) == 0x7F for ch in text), repr(
            text
        )
    assert "Missile" in item.title and "done" in item.title


def test_a_one_megabyte_title_is_truncated_and_the_item_kept(sessions) -> None:  # type: ignore[no-untyped-def]
    huge = "Missile " + "A" * (1024 * 1024)
    body = rss(
        [("big", huge, "https://big.example.com/1"), ("ok", "Fine", "https://big.example.com/2")]
    )
    items = _ingest(sessions, body)
    assert len(items) == 2
    big = next(item for item in items if item.guid == "big")
    assert big.title.startswith("Missile AAA")
    assert len(big.title) <= TITLE_MAX


def test_a_five_thousand_character_guid_and_link_do_not_break_storage(sessions) -> None:  # type: ignore[no-untyped-def]
    body = rss(
        [
            ("g" * 5000, "Long guid", "https://long.example.com/" + "a" * 5000),
            ("short", "Short guid", "https://long.example.com/ok"),
        ]
    )
    items = _ingest(sessions, body)
    assert {item.title for item in items} == {"Long guid", "Short guid"}
