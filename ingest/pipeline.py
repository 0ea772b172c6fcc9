"""The ingest orchestrator: the one place that sequences the stages and owns the session.

    due feeds ⇒ fetch ⇒ parse → normalise → language → dedupe → tag → store ⇒ db

Only fetching runs concurrently (``ingest.fetch.iter_fetch`` yields results as they complete);
each result is then processed and stored on this thread, one transaction per feed: the items,
their themes and rollups, and the attempt in the fetch log are committed together or not at
all. If that transaction fails, the feed's attempt is recorded as an error in a fresh
transaction; one feed's failure never touches another. The next fetch time is computed before
anything can fail, so every exit path stores one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.clock import utcnow
from jkwatch.db.errors import DatabaseUnavailable
from jkwatch.db.feeds import record_attempt
from jkwatch.db.items import recent_fingerprints, store_entries, stories_by_entry_key
from jkwatch.errors import first_line
from jkwatch.ingest.dedupe import StoryIndex
from jkwatch.ingest.fetch import FetchSettings, iter_fetch
from jkwatch.ingest.fetch_api import FetchRequest, FetchResult
from jkwatch.ingest.language import entry_language, normalize_language
from jkwatch.ingest.normalize import FeedContext, normalize_entry
from jkwatch.ingest.parse import ParsedFeed, ParseError, parse_feed
from jkwatch.ingest.schedule import Observation, SchedulePolicy, next_fetch
from jkwatch.ingest.tag_values import sync_taxonomy, theme_ins
from jkwatch.ingest.tagging import Tagger, load_taxonomy
from jkwatch.model import EntryIn, FeedRecord, FeedUpdate, FetchOutcome, StoreResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipelineSettings:
    fetch: FetchSettings = FetchSettings()
    policy: SchedulePolicy = SchedulePolicy()
    worker: str | None = None
    dedupe_window_h: int = 72


@dataclass(frozen=True)
class FeedReport:
    """What one feed's refresh did (also what ``jkwatch ingest`` prints per feed)."""

    feed_id: int
    url: str
    name: str
    outcome: str
    http_status: int | None = None
    items_seen: int = 0
    items_new: int = 0
    items_updated: int = 0
    error: str | None = None
    warning: str | None = None
    duration_ms: int = 0
    next_fetch_at: datetime | None = None


@dataclass(frozen=True)
class RunReport:
    feeds: tuple[FeedReport, ...]
    started_at: datetime
    duration_ms: int

    @property
    def items_seen(self) -> int:
        return sum(report.items_seen for report in self.feeds)

    @property
    def items_new(self) -> int:
        return sum(report.items_new for report in self.feeds)

    @property
    def items_updated(self) -> int:
        return sum(report.items_updated for report in self.feeds)

    @property
    def errors(self) -> int:
        return sum(1 for report in self.feeds if report.outcome == "error")


@dataclass(frozen=True)
class _Prepared:
    """A fetch result carried through the pure stages, ready to store."""

    outcome: str
    entries: tuple[EntryIn, ...] = ()
    parsed: ParsedFeed | None = None
    error: str | None = None


class Pipeline:
    """Refresh feeds and store what they bring; see the module docstring for the flow."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: PipelineSettings = PipelineSettings(),
        tagger: Tagger | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.tagger = tagger if tagger is not None else Tagger(load_taxonomy())
        self.clock = clock
        self._themes_synced = False

    # -- setup --------------------------------------------------------------------------

    def _sync_themes(self) -> None:
        """item_themes has a foreign key to themes: the taxonomy's ids must exist first."""
        if self._themes_synced:
            return
        try:
            with self.sessions.begin() as session:
                sync_taxonomy(session, self.tagger.taxonomy)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"cannot write to the database: {first_line(getattr(exc, 'orig', None) or exc)}"
            ) from exc
        self._themes_synced = True

    def _story_index(self, now: datetime) -> StoryIndex:
        window = timedelta(hours=self.settings.dedupe_window_h)
        try:
            with self.sessions() as session:
                fingerprints = recent_fingerprints(session, now - window * 2)
        except SQLAlchemyError as exc:
            # Clustering against earlier items is an improvement, not a precondition: a
            # locked or flaky database must not stop the run (each feed records its own fate).
            log.warning(
                "story index unavailable, clustering within this run only: %s", first_line(exc)
            )
            fingerprints = []
        return StoryIndex.from_fingerprints(fingerprints, window)

    # -- the run ------------------------------------------------------------------------

    def refresh(
        self,
        feeds: Sequence[FeedRecord],
        stop: threading.Event | None = None,
        on_feed: Callable[[FeedReport], None] | None = None,
    ) -> RunReport:
        """Fetch ``feeds`` concurrently and store each as it arrives; returns what happened."""
        started_at = self.clock()
        began = time.monotonic()
        reports: list[FeedReport] = []
        if feeds:
            self._sync_themes()
            index = self._story_index(started_at)
            by_id = {feed.id: feed for feed in feeds}
            requests = [
                FetchRequest(feed.id, feed.url, feed.etag, feed.last_modified, feed.body_hash)
                for feed in feeds
            ]
            for result in iter_fetch(requests, self.settings.fetch, stop):
                report = self._refresh_one(by_id[result.request.feed_id], result, index)
                reports.append(report)
                if on_feed is not None:
                    on_feed(report)
        return RunReport(tuple(reports), started_at, int((time.monotonic() - began) * 1000))

    def _refresh_one(self, feed: FeedRecord, result: FetchResult, index: StoryIndex) -> FeedReport:
        began = time.monotonic()
        now = self.clock()
        started_at = now - timedelta(milliseconds=result.elapsed_ms)
        # The schedule for the failure path first: whatever happens below, one gets stored.
        error_next, _ = self._schedule(feed, result, now, "error", ())
        try:
            prepared = self._prepare(feed, result, now, index)
        except Exception as exc:  # noqa: BLE001 - a bug in one feed's data must not stop the run
            log.exception("processing failed feed_url=%s feed_id=%s", feed.url, feed.id)
            index.forget_pending()
            prepared = _Prepared("error", error=f"could not process the feed: {exc}")
        publish_times = [entry.published_at for entry in prepared.entries if not entry.date_flag]
        next_at, interval = (
            (error_next, None)
            if prepared.outcome == "error"
            else self._schedule(feed, result, now, prepared.outcome, publish_times, prepared.parsed)
        )
        parsed = prepared.parsed
        warning = parsed.warning if parsed else None
        update = FeedUpdate(
            next_fetch_at=next_at,
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=result.body_hash,
            interval_s=interval,
            feed_ttl_s=parsed.ttl_s if parsed else None,
            title=parsed.title if parsed else None,
            site_url=parsed.link if parsed else None,
            language=normalize_language(parsed.language) if parsed else None,
            new_url=result.permanent_redirect if prepared.outcome != "error" else None,
            disable_reason=_gone_reason(result) if prepared.outcome == "gone" else None,
            keep_validators=prepared.outcome not in ("ok", "unchanged"),
        )

        def outcome(stored: StoreResult | None, error: str | None) -> FetchOutcome:
            return FetchOutcome(
                started_at=started_at,
                duration_ms=result.elapsed_ms + int((time.monotonic() - began) * 1000),
                outcome="error" if error else prepared.outcome,
                http_status=result.status,
                items_seen=len(prepared.entries),
                items_new=stored.items_new if stored else 0,
                items_updated=stored.items_updated if stored else 0,
                error=error,
                warning=warning,
                worker=self.settings.worker,
            )

        try:
            with self.sessions.begin() as session:
                stored = (
                    store_entries(session, feed, prepared.entries, now)
                    if prepared.entries
                    else None
                )
                stories = (
                    stories_by_entry_key(session, feed.id, [e.entry_key for e in prepared.entries])
                    if stored and stored.new_ids
                    else {}
                )
                fetch_outcome = outcome(stored, prepared.error)
                record_attempt(session, feed.id, fetch_outcome, update)
            index.add_stored(stories)
        except (SQLAlchemyError, OSError) as exc:
            index.forget_pending()
            reason = f"database error: {first_line(getattr(exc, 'orig', None) or exc)}"
            log.error("storing failed feed_url=%s feed_id=%s error=%s", feed.url, feed.id, reason)
            fetch_outcome = outcome(None, reason)
            self._record_failure(feed, fetch_outcome, error_next)
        report = FeedReport(
            feed_id=feed.id,
            url=feed.url,
            name=feed.display_name,
            outcome=fetch_outcome.outcome,
            http_status=result.status,
            items_seen=fetch_outcome.items_seen,
            items_new=fetch_outcome.items_new,
            items_updated=fetch_outcome.items_updated,
            error=fetch_outcome.error,
            warning=fetch_outcome.warning,
            duration_ms=fetch_outcome.duration_ms,
            next_fetch_at=error_next if fetch_outcome.outcome == "error" else next_at,
        )
        log.info(
            "feed refreshed feed_url=%s feed_id=%s outcome=%s items_seen=%d items_new=%d error=%s",
            feed.url,
            feed.id,
            report.outcome,
            report.items_seen,
            report.items_new,
            report.error,
        )
        return report

    def _record_failure(self, feed: FeedRecord, outcome: FetchOutcome, next_at: datetime) -> None:
        try:
            with self.sessions.begin() as session:
                record_attempt(
                    session,
                    feed.id,
                    outcome,
                    FeedUpdate(next_fetch_at=next_at, keep_validators=True),
                )
        except (SQLAlchemyError, OSError):
            log.exception("could not record the failure feed_url=%s feed_id=%s", feed.url, feed.id)

    def _schedule(
        self,
        feed: FeedRecord,
        result: FetchResult,
        now: datetime,
        outcome: str,
        publish_times: Sequence[datetime],
        parsed: ParsedFeed | None = None,
    ) -> tuple[datetime, int]:
        observation = Observation(
            outcome=outcome,
            error_count=(feed.error_count + 1) if outcome == "error" else 0,
            publish_times=publish_times,
            feed_ttl_s=(parsed.ttl_s if parsed else None) or feed.feed_ttl_s,
            max_age_s=result.max_age_s,
            retry_after_s=result.retry_after_s,
            feed_min_interval_s=feed.min_interval_s,
            previous_interval_s=feed.interval_s,
        )
        return next_fetch(now, observation, self.settings.policy, key=feed.url)

    # -- the pure stages ----------------------------------------------------------------

    def _prepare(
        self, feed: FeedRecord, result: FetchResult, now: datetime, index: StoryIndex
    ) -> _Prepared:
        if result.kind != "ok":
            return _Prepared(result.kind, error=result.error if result.kind == "error" else None)
        try:
            parsed = parse_feed(result.body or b"", result.headers)
        except ParseError as exc:
            return _Prepared("error", error=str(exc))
        base = _absolute(parsed.link) or result.final_url or feed.url
        context = FeedContext(link=base, fetched_at=now)
        declared = feed.language or parsed.language
        entries = [normalize_entry(raw, context) for raw in parsed.entries]
        entries = [
            replace(entry, language=entry_language(declared, entry.title, entry.summary))
            for entry in entries
        ]
        entries = index.assign(entries)
        return _Prepared("ok", tuple(self.tag(entry) for entry in entries), parsed)

    def tag(self, entry: EntryIn) -> EntryIn:
        """The entry with relevance, relevant, themes and the taxonomy fingerprint filled in."""
        result = self.tagger.tag(entry.title, entry.summary, entry.body or "", lang=entry.language)
        return replace(
            entry,
            relevance=result.relevance,
            relevant=result.relevant,
            themes=theme_ins(result),
            tagged_with=self.tagger.taxonomy.fingerprint,
        )

    # -- documents ------------------------------------------------------------------------

    def store_document(self, feed: FeedRecord, entry: EntryIn) -> StoreResult:
        """Store one normalised document in ``feed`` (an import pseudo-feed), tagged and clustered."""
        self._sync_themes()
        entry = replace(entry, language=entry_language(entry.language, entry.title, entry.summary))
        index = self._story_index(entry.published_at)
        (entry,) = index.assign([entry])
        entry = self.tag(entry)
        with self.sessions.begin() as session:
            return store_entries(session, feed, [entry], self.clock())


def _absolute(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def _gone_reason(result: FetchResult) -> str:
    return result.error or f"HTTP {result.status or 410}: the publisher says the feed is gone"
