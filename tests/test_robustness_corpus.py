"""The robustness corpus, ingested in one run through the real pipeline into a real database.

Every file in ``tests/fixtures/robustness`` is served by a local HTTP server and refreshed in a
single ``Pipeline.refresh`` call, as a user's mixed feed list would be. ``MANIFEST.toml`` says
what each file must yield (N items stored, or an error recorded in words); on top of that the
run as a whole must never store XML-attack output, control characters, markup or unsafe links,
and must never fetch anything a document points at.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.models import Feed, FetchRun, Item
from jkwatch.ingest.parse import parse_feed
from jkwatch.ingest.pipeline import RunReport
from tests.factories import add_feeds
from tests.feedserver import FeedServer, Response
from tests.reliability_support import run_pipeline

CORPUS = Path(__file__).parent / "fixtures" / "robustness"
MANIFEST: list[dict[str, Any]] = tomllib.loads((CORPUS / "MANIFEST.toml").read_text("utf-8"))[
    "feed"
]
LEAK_MARKER = "root:x:0:0"
"""What /etc/passwd (or our fake secret endpoints) would leak if an external entity resolved."""
BAIT_PATHS = ("/ssrf-secret", "/evil.dtd", "/external.dtd")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _body(spec: dict[str, Any], server: FeedServer) -> bytes:
    raw = (CORPUS / spec["file"]).read_bytes()
    return raw.replace(b"@@SERVER@@", f"http://{server.host}:{server.port}".encode())


def _serve_corpus(server: FeedServer) -> dict[str, str]:
    """Route every corpus file and the XXE bait endpoints; returns file name -> URL."""
    for path in BAIT_PATHS:
        bait = f'<!ENTITY leak "{LEAK_MARKER}">{LEAK_MARKER}'.encode()
        server.route(path, Response(body=bait, headers={"Content-Type": "application/xml-dtd"}))
    urls = {}
    for spec in MANIFEST:
        content_type = spec.get("content_type", "application/rss+xml")
        urls[spec["file"]] = server.route(
            f"/corpus/{spec['file']}",
            Response(body=_body(spec, server), headers={"Content-Type": content_type}),
        )
    return urls


def _ingest_corpus(sessions: sessionmaker[Session], urls: dict[str, str]) -> RunReport:
    return run_pipeline(sessions, add_feeds(sessions, list(urls.values())))


def test_manifest_covers_every_corpus_file_and_at_least_forty() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix != ".toml"}
    listed = [spec["file"] for spec in MANIFEST]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert files == set(listed)
    assert len(files) >= 40


@pytest.mark.slow  # about 2-4 s: a whole run
def test_every_corpus_file_is_ingested_in_one_run_as_its_manifest_says(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    try:
        with FeedServer() as server:
            urls = _serve_corpus(server)
            report = _ingest_corpus(sessions, urls)
            bait_hits = [r.path for r in server.requests if r.path in BAIT_PATHS]
        by_url = {feed_report.url: feed_report for feed_report in report.feeds}
        assert set(by_url) == set(urls.values()), "every feed gets a report: nothing crashed"

        with sessions() as session:
            counts = dict(
                session.execute(select(Item.feed_id, func.count()).group_by(Item.feed_id)).all()
            )
            feeds = {feed.url: feed for feed in session.scalars(select(Feed))}
            runs = dict(
                session.execute(
                    select(FetchRun.feed_id, func.count()).group_by(FetchRun.feed_id)
                ).all()
            )
            items = list(session.scalars(select(Item)))

        problems: list[str] = []
        for spec in MANIFEST:
            name, url = spec["file"], urls[spec["file"]]
            feed, feed_report = feeds[url], by_url[url]
            stored = counts.get(feed.id, 0)
            if runs.get(feed.id) != 1:
                problems.append(f"{name}: {runs.get(feed.id)} fetch-log rows, expected 1")
            if "error" in spec:
                if stored or not feed.last_error or spec["error"] not in feed.last_error:
                    problems.append(
                        f"{name}: expected error containing {spec['error']!r}, "
                        f"got stored={stored} error={feed.last_error!r}"
                    )
                continue
            low = spec.get("items", spec.get("items_min", 0))
            high = spec.get("items", spec.get("items_max", 10**9))
            if feed_report.outcome == "error" and "items" in spec:
                problems.append(f"{name}: unexpected error {feed_report.error!r}")
            own = [item for item in items if item.feed_id == feed.id]
            if "canonical_url" in spec and spec["canonical_url"] not in {
                item.canonical_url for item in own
            }:
                problems.append(
                    f"{name}: no item with canonical URL {spec['canonical_url']}: "
                    f"{sorted(str(item.canonical_url) for item in own)}"
                )
            wanted = spec.get("title_contains") if "decode_bug" not in spec else None
            if wanted and not any(wanted in item.title for item in own):
                problems.append(f"{name}: no title contains {wanted!r}")
            if not low <= stored <= high:
                problems.append(
                    f"{name}: stored {stored}, expected {low}..{high} "
                    f"(outcome={feed_report.outcome}, error={feed_report.error!r})"
                )
        assert not problems, "\n".join(problems)

        assert bait_hits == [], "a document made the parser fetch a URL it named"
        for item in items:
            texts = {"title": item.title, "summary": item.summary, "body": item.body or ""}
            for field, text in texts.items():
                assert LEAK_MARKER not in text, f"XXE content stored in {field}"
                assert "lollollol" not in text, f"entity expansion stored in {field}"
                assert not _CONTROL.search(text), (
                    f"control character kept in {field}: {text[:80]!r}"
                )
                assert "<script" not in text.lower(), f"markup kept in {field}"
            assert len(item.title) <= 10_000, "a 1 MB title is truncated"
            canonical = item.canonical_url
            assert canonical is None or canonical.startswith(("http://", "https://")), canonical
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_second_run_over_the_corpus_stores_nothing_new(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    try:
        with FeedServer() as server:
            urls = _serve_corpus(server)
            first = _ingest_corpus(sessions, urls)
            with sessions() as session:
                before = session.scalar(select(func.count()).select_from(Item))
            second = _ingest_corpus(sessions, urls)
        with sessions() as session:
            after = session.scalar(select(func.count()).select_from(Item))
        assert first.items_new == before > 100
        assert second.items_new == 0
        assert after == before
    finally:
        engine.dispose()


_DECODING = [spec for spec in MANIFEST if "title_contains" in spec]


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(
            spec,
            id=spec["file"],
            marks=[pytest.mark.xfail(strict=True, reason=spec["decode_bug"])]
            if "decode_bug" in spec
            else [],
        )
        for spec in _DECODING
    ],
)
def test_text_in_legacy_and_unicode_encodings_survives_decoding(spec: dict[str, Any]) -> None:
    body = (CORPUS / spec["file"]).read_bytes()
    headers = {"Content-Type": spec.get("content_type", "application/rss+xml")}
    titles = [entry.title for entry in parse_feed(body, headers).entries]
    assert any(spec["title_contains"] in title for title in titles), titles
