"""The pipeline end to end: real fetcher, real feedparser, real tagger, both backends.

Each test serves fixture feeds through the fake web of ``tests/fakefeeds.py`` (canned responses
on an ``httpx.MockTransport``, so no server and no waiting) and asserts what the database holds
afterwards: items, themes, stories, and the feed's health and schedule. HTTP itself is tested
against a real local server in ``test_fetch.py`` and ``test_faults_network.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import jkwatch.ingest.pipeline as pipeline_module
from jkwatch.db.feeds import fetch_log, get_feed, upsert_feed
from jkwatch.db.models import Item, ItemTheme
from jkwatch.ingest.fetch import FetchSettings
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
from jkwatch.ingest.schedule import SchedulePolicy
from jkwatch.ingest.tagging import Tagger
from jkwatch.model import FeedRecord, FeedSpec
from tests.fakefeeds import FakeFeeds

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
WEB = "https://news.example"
FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=1, total_timeout_s=3)


@pytest.fixture
def web() -> FakeFeeds:
    return FakeFeeds()


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def make_pipeline(sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds) -> Pipeline:
    return Pipeline(
        sessions,
        PipelineSettings(fetch=FAST),
        tagger=tagger,
        clock=lambda: NOW,
        transport=web.transport,
    )


def add_feeds(sessions: sessionmaker[Session], *urls: str, **spec: object) -> list[FeedRecord]:
    with sessions.begin() as session:
        return [upsert_feed(session, FeedSpec(url=url, **spec), now=NOW)[0] for url in urls]  # type: ignore[arg-type]


def reload(sessions: sessionmaker[Session], feeds: list[FeedRecord]) -> list[FeedRecord]:
    with sessions() as session:
        return [get_feed(session, feed.id) for feed in feeds]


def items(sessions: sessionmaker[Session], feed_id: int | None = None) -> list[Item]:
    with sessions() as session:
        query = select(Item).order_by(Item.id)
        if feed_id is not None:
            query = query.where(Item.feed_id == feed_id)
        return list(session.scalars(query))


def themes_of(sessions: sessionmaker[Session], item_id: int) -> dict[str, list]:
    with sessions() as session:
        rows = session.execute(
            select(ItemTheme.theme_id, ItemTheme.evidence).where(ItemTheme.item_id == item_id)
        )
        return {theme_id: evidence for theme_id, evidence in rows}


def by_title(rows: list[Item], start: str) -> Item:
    return next(row for row in rows if row.title.startswith(start))


def test_feeds_in_three_formats_and_languages_are_stored_tagged_and_clustered(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    urls = [
        web.feed(f"{WEB}/wire.rss").serves(fixture("yonhap_like.rss")),
        web.feed(f"{WEB}/kyodo.atom").serves(fixture("kyodo_like_ja.atom"), content_type=None),
        web.feed(f"{WEB}/hanbando.rdf").serves(fixture("nk_rdf_ko.rdf"), content_type=None),
        web.feed(f"{WEB}/herald.rss").serves(fixture("outlet_b.rss")),
    ]
    feeds = add_feeds(sessions, *urls)
    run = make_pipeline(sessions, tagger, web).refresh(feeds)

    assert {r.outcome for r in run.feeds} == {"ok"}
    wire = next(r for r in run.feeds if r.url.endswith("/wire.rss"))
    assert (wire.items_seen, wire.items_new) == (5, 4)  # one guid listed twice
    assert run.items_new == 4 + 3 + 3 + 2

    stored = items(sessions)
    missile = by_title(stored, "N. Korea fires ballistic missile")
    assert missile.language == "en"
    assert (
        missile.canonical_url == "https://en.wiredesk.example/news/AEN20261102000351315?section=nk"
    )
    assert missile.relevant and missile.tagged_with == tagger.taxonomy.fingerprint
    evidence = themes_of(sessions, missile.id)
    assert "nk_weapons" in evidence
    assert {"term", "field", "count"} <= set(evidence["nk_weapons"][0])
    assert not by_title(stored, "KOSPI").relevant
    assert by_title(stored, "KOSPI").url == "https://en.wiredesk.example/news/AEN20261102001200320"
    assert by_title(stored, "北朝鮮が弾道ミサイル").language == "ja"
    assert by_title(stored, "北, 동해상으로").language == "ko"
    assert "nk_weapons" in themes_of(sessions, by_title(stored, "北, 동해상으로").id)

    # The same wire story from two outlets is one story; unrelated items lead their own.
    copy = by_title(stored, "North Korea fires ballistic missile into East Sea, says JCS")
    assert copy.story_id == missile.story_id
    assert by_title(stored, "Typhoon").story_id == by_title(stored, "Typhoon").id

    # Feed metadata and a schedule were stored for every feed.
    for feed in reload(sessions, feeds):
        assert feed.last_status == "ok" and feed.next_fetch_at is not None
        assert feed.next_fetch_at > NOW
    wire_feed = reload(sessions, feeds)[0]
    assert wire_feed.title == "Wire Desk & Co. – National"
    assert wire_feed.feed_ttl_s == 1800


def test_rerun_of_an_unchanged_feed_stores_nothing_and_parses_nothing(
    sessions: sessionmaker[Session],
    tagger: Tagger,
    web: FakeFeeds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = web.feed(f"{WEB}/wire.rss").serves(fixture("yonhap_like.rss"))
    feeds = add_feeds(sessions, url)
    pipeline = make_pipeline(sessions, tagger, web)
    assert pipeline.refresh(feeds).items_new == 4
    before = len(items(sessions))

    calls = []
    real_parse = pipeline_module.parse_feed
    monkeypatch.setattr(
        pipeline_module, "parse_feed", lambda *a, **k: calls.append(1) or real_parse(*a, **k)
    )
    (report,) = pipeline.refresh(reload(sessions, feeds)).feeds
    assert report.outcome == "unchanged" and report.items_seen == 0 and report.items_new == 0
    assert calls == []
    assert len(items(sessions)) == before


def test_changed_body_with_the_same_entries_updates_nothing_and_adds_nothing(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    url = web.feed(f"{WEB}/wire.rss").serves(fixture("yonhap_like.rss"))
    feeds = add_feeds(sessions, url)
    pipeline = make_pipeline(sessions, tagger, web)
    pipeline.refresh(feeds)
    web.feed(f"{WEB}/wire.rss").serves(fixture("yonhap_like.rss") + b"\n")
    (report,) = pipeline.refresh(reload(sessions, feeds)).feeds
    assert report.outcome == "ok" and report.items_seen == 5
    assert (report.items_new, report.items_updated) == (0, 0)


def test_not_modified_costs_no_parsing(
    sessions: sessionmaker[Session],
    tagger: Tagger,
    web: FakeFeeds,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = web.feed(f"{WEB}/b.rss").serves(fixture("outlet_b.rss"), etag='"v1"')
    feeds = add_feeds(sessions, url)
    pipeline = make_pipeline(sessions, tagger, web)
    pipeline.refresh(feeds)
    assert reload(sessions, feeds)[0].etag == '"v1"'
    calls = []
    monkeypatch.setattr(pipeline_module, "parse_feed", lambda *a, **k: calls.append(1))
    (report,) = pipeline.refresh(reload(sessions, feeds)).feeds
    assert (report.outcome, report.http_status, report.items_seen) == ("not_modified", 304, 0)
    assert calls == []
    feed = reload(sessions, feeds)[0]
    assert feed.etag == '"v1"' and feed.last_status == "not_modified"


def test_failures_are_recorded_in_words_with_a_growing_streak_and_do_not_stop_other_feeds(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    urls = [
        web.feed(f"{WEB}/missing.rss").fails(404, b"nope"),
        web.feed(f"{WEB}/broken.rss").fails(500, b"oops"),
        web.feed(f"{WEB}/slow.rss").times_out(),
        web.feed(f"{WEB}/invalid.xml").serves(fixture("invalid.xml"), content_type=None),
        web.feed(f"{WEB}/page.html").serves(fixture("html_page.html"), content_type="text/html"),
        web.feed(f"{WEB}/good.rss").serves(fixture("outlet_b.rss")),
    ]
    feeds = add_feeds(sessions, *urls)
    pipeline = make_pipeline(sessions, tagger, web)
    run = pipeline.refresh(feeds)
    reports = {r.url.rsplit("/", 1)[1]: r for r in run.feeds}
    assert reports["good.rss"].outcome == "ok" and reports["good.rss"].items_new == 2
    assert "404" in reports["missing.rss"].error
    assert "500" in reports["broken.rss"].error
    assert "timed out" in reports["slow.rss"].error
    assert reports["invalid.xml"].error.startswith("invalid XML: mismatched tag at line")
    assert reports["page.html"].error == "not a feed: got an HTML page"
    assert run.errors == 5

    pipeline.refresh(reload(sessions, feeds))
    stored = {f.url.rsplit("/", 1)[1]: f for f in reload(sessions, feeds)}
    assert stored["missing.rss"].error_count == 2
    assert stored["missing.rss"].last_error and "404" in stored["missing.rss"].last_error
    assert stored["good.rss"].error_count == 0
    # Backoff: a failing feed waits at least as long as a healthy one.
    assert stored["missing.rss"].next_fetch_at >= NOW
    with sessions() as session:
        log = fetch_log(session, stored["invalid.xml"].id)
    assert len(log) == 2 and all(run.outcome == "error" for run in log)


def test_permanent_redirect_updates_the_stored_url(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    new = web.feed(f"{WEB}/new.rss").serves(fixture("outlet_b.rss"))
    old = web.feed(f"{WEB}/old.rss").moved_to(new)
    feeds = add_feeds(sessions, old)
    (report,) = make_pipeline(sessions, tagger, web).refresh(feeds).feeds
    assert report.outcome == "ok" and report.items_new == 2
    assert reload(sessions, feeds)[0].url == new


def test_gone_feed_is_disabled(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    feeds = add_feeds(sessions, web.feed(f"{WEB}/gone.rss").fails(410, b"gone"))
    (report,) = make_pipeline(sessions, tagger, web).refresh(feeds).feeds
    assert report.outcome == "gone"
    feed = reload(sessions, feeds)[0]
    assert not feed.enabled and "410" in (feed.disabled_reason or "")


def test_encoding_problems_and_missing_dates_are_handled(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    urls = [
        web.feed(f"{WEB}/sjis.rss").serves(fixture("japanese_sjis_wrong.rss")),
        web.feed(f"{WEB}/euckr.rss").serves(fixture("korean_euckr.rss"), content_type=None),
        web.feed(f"{WEB}/undated.rss").serves(fixture("missing_dates.rss"), content_type=None),
    ]
    feeds = add_feeds(sessions, *urls)
    run = make_pipeline(sessions, tagger, web).refresh(feeds)
    sjis = next(r for r in run.feeds if r.url.endswith("/sjis.rss"))
    assert sjis.outcome == "ok" and "wrong declared encoding" in (sjis.warning or "")
    stored = items(sessions)
    assert by_title(stored, "自衛隊と韓国軍").language == "ja"
    assert by_title(stored, "韓日 정상회담").language == "ko"
    assert by_title(stored, "Why Tokyo").date_flag == "missing"
    assert by_title(stored, "Why Tokyo").published_at == NOW
    assert by_title(stored, "Item with a bare-number").date_flag == "future"


class _FailingTagger:
    """The real tagger plus a theme id the database does not know for one feed's items.

    Storing them violates the item_themes foreign key: a real database failure mid-feed.
    """

    def __init__(self, real: Tagger) -> None:
        self.real = real
        self.taxonomy = real.taxonomy

    def tag(self, title: str, summary: str = "", body: str = "", lang: str | None = None):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        from jkwatch.ingest.tagging import ThemeScore

        result = self.real.tag(title, summary, body, lang)
        if "Typhoon" in title:
            result = replace(result, themes=(*result.themes, ThemeScore("no_such_theme", 0.9, ())))
        return result


def test_database_failure_mid_feed_rolls_back_that_feed_only(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    urls = [
        web.feed(f"{WEB}/herald.rss").serves(fixture("outlet_b.rss")),
        web.feed(f"{WEB}/kyodo.atom").serves(fixture("kyodo_like_ja.atom"), content_type=None),
    ]
    feeds = add_feeds(sessions, *urls)
    pipeline = make_pipeline(sessions, _FailingTagger(tagger), web)  # type: ignore[arg-type]
    run = pipeline.refresh(feeds)
    herald = next(r for r in run.feeds if r.url.endswith("/herald.rss"))
    assert herald.outcome == "error" and herald.error.startswith("database error")
    assert items(sessions, feeds[0].id) == []  # the whole feed was rolled back
    assert len(items(sessions, feeds[1].id)) == 3
    herald_feed, kyodo_feed = reload(sessions, feeds)
    assert herald_feed.error_count == 1 and herald_feed.body_hash is None
    assert herald_feed.next_fetch_at is not None and herald_feed.next_fetch_at > NOW
    assert kyodo_feed.last_status == "ok"


def test_story_index_carries_across_runs_so_a_later_copy_joins_the_stored_story(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    first = add_feeds(
        sessions, web.feed(f"{WEB}/wire.rss").serves(fixture("yonhap_like.rss"), content_type=None)
    )
    pipeline = make_pipeline(sessions, tagger, web)
    pipeline.refresh(first)
    second = add_feeds(
        sessions, web.feed(f"{WEB}/herald.rss").serves(fixture("outlet_b.rss"), content_type=None)
    )
    make_pipeline(sessions, tagger, web).refresh(second)
    stored = items(sessions)
    lead = by_title(stored, "N. Korea fires ballistic missile")
    copy = by_title(stored, "North Korea fires ballistic missile into East Sea, says JCS")
    assert lead.story_id == lead.id and copy.story_id == lead.id


def test_configured_feed_language_wins_over_the_feed_declaration(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    feeds = add_feeds(
        sessions,
        web.feed(f"{WEB}/b.rss").serves(fixture("outlet_b.rss"), content_type=None),
        language="en",
    )
    make_pipeline(sessions, tagger, web).refresh(feeds)
    assert {row.language for row in items(sessions)} == {"en"}


def test_on_feed_callback_sees_every_report(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    feeds = add_feeds(
        sessions,
        web.feed(f"{WEB}/a.rss").serves(fixture("outlet_b.rss"), content_type=None),
        web.feed(f"{WEB}/x.rss").fails(404),
    )
    seen = []
    run = make_pipeline(sessions, tagger, web).refresh(feeds, on_feed=seen.append)
    assert sorted(r.feed_id for r in seen) == sorted(f.id for f in feeds)
    assert run.feeds == tuple(seen)


def test_a_feed_failing_as_often_as_the_policy_allows_is_disabled_with_the_reason(
    sessions: sessionmaker[Session], tagger: Tagger, web: FakeFeeds
) -> None:
    feeds = add_feeds(sessions, web.feed(f"{WEB}/dead.rss").fails(404, b"nope"))
    policy = SchedulePolicy(disable_after_errors=2)
    pipeline = Pipeline(
        sessions,
        PipelineSettings(fetch=FAST, policy=policy),
        tagger=tagger,
        clock=lambda: NOW,
        transport=web.transport,
    )
    pipeline.refresh(feeds)
    assert reload(sessions, feeds)[0].enabled
    pipeline.refresh(reload(sessions, feeds))
    feed = reload(sessions, feeds)[0]
    assert not feed.enabled and feed.error_count == 2
    assert feed.disabled_reason == "disabled after 2 failed attempts in a row"
