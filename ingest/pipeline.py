"""The ingest orchestrator: the one place that sequences the stages and owns the session.

    due feeds ⇒ fetch ⇒ parse → normalise → language → dedupe → tag → store ⇒ db

Only fetching runs concurrently (``ingest.fetch.iter_fetch`` yields results as they complete);
each result is then read by the pure stages, handed to the update planner
(``ingest.planner.plan_update``, which decides what happens to the feed: validators, next
check time, error streak, disabling, URL move, whether entries are stored) and the plan is
carried out in one transaction per feed: the items, their themes and rollups, and the attempt
in the fetch log are committed together or not at all. If that transaction fails, the attempt
is recorded as an error in a fresh transaction with the retry time the plan computed first,
so every exit path stores a next check time; one feed's failure never touches another.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from jkwatch.clock import utcnow
from jkwatch.db.entities import note_gazetteer
from jkwatch.db.errors import DatabaseUnavailable
from jkwatch.db.feeds import record_attempt
from jkwatch.db.items import recent_fingerprints, store_entries, stories_by_entry_key
from jkwatch.errors import first_line
from jkwatch.ingest.dedupe import StoryIndex
from jkwatch.ingest.entities import EntityMatcher, default_matcher
from jkwatch.ingest.fetch import FetchSettings, iter_fetch
from jkwatch.ingest.fetch_api import FetchRequest, FetchResult
from jkwatch.ingest.language import entry_language
from jkwatch.ingest.normalize import FeedContext, normalize_entry
from jkwatch.ingest.parse import ParseError, parse_feed
from jkwatch.ingest.planner import Processed, UpdatePlan, plan_update
from jkwatch.ingest.schedule import SchedulePolicy
from jkwatch.ingest.story_builder import StoryBuilder
from jkwatch.ingest.tag_values import sync_taxonomy, theme_ins
from jkwatch.ingest.tagging import Tagger, configured_tagger
from jkwatch.model import EntryIn, FeedRecord, FetchOutcome, Outcome, StoreResult

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
    outcome: Outcome
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
    """A fetch result carried through the pure stages: entries to store, what the planner needs."""

    entries: tuple[EntryIn, ...] = ()
    processed: Processed = Processed()


class Pipeline:
    """Refresh feeds and store what they bring; see the module docstring for the flow."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: PipelineSettings = PipelineSettings(),
        tagger: Tagger | None = None,
        clock: Callable[[], datetime] = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
        entity_matcher: EntityMatcher | None = None,
    ) -> None:
        """``transport`` replaces the network for fetching (tests hand in canned responses);
        ``entity_matcher`` defaults to the configured gazetteer's."""
        self.sessions = sessions
        self.transport = transport
        self.settings = settings
        self.tagger = tagger if tagger is not None else configured_tagger()
        self.entity_matcher = entity_matcher or default_matcher()
        self.clock = clock
        self._themes_synced = False
        self.story_builder = StoryBuilder(gazetteer=self.entity_matcher.gazetteer)

    # -- setup --------------------------------------------------------------------------

    def _sync_themes(self) -> None:
        """item_themes has a foreign key to themes: the taxonomy's ids must exist first.

        Also notes which gazetteer the stored entities come from: an empty database takes the
        current one; a database matched with another is logged once (``entities rematch``)."""
        if self._themes_synced:
            return
        try:
            with self.sessions.begin() as session:
                sync_taxonomy(session, self.tagger.taxonomy)
                note_gazetteer(session, self.entity_matcher.gazetteer.fingerprint)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"cannot write to the database: {first_line(getattr(exc, 'orig', None) or exc)}"
            ) from exc
        self._themes_synced = True

    def sync_themes(self) -> None:
        """What storing needs first, for orchestrators other than ``refresh`` (backfill)."""
        self._sync_themes()

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
            for result in iter_fetch(requests, self.settings.fetch, stop, self.transport):
                report = self._refresh_one(by_id[result.request.feed_id], result, index)
                reports.append(report)
                if on_feed is not None:
                    on_feed(report)
        return RunReport(tuple(reports), started_at, int((time.monotonic() - began) * 1000))

    def _refresh_one(self, feed: FeedRecord, result: FetchResult, index: StoryIndex) -> FeedReport:
        """Read, plan, store; a failure to store is recorded in a transaction of its own."""
        began = time.monotonic()
        now = self.clock()
        prepared = self._prepare_safely(feed, result, now, index)
        plan = plan_update(feed, result, prepared.processed, now, self.settings.policy)
        attempt = _Attempt(now - timedelta(milliseconds=result.elapsed_ms), began, result, plan)
        try:
            recorded = self._store(feed, prepared, plan, attempt, now, index)
        except (SQLAlchemyError, OSError) as exc:
            index.forget_pending()
            recorded = self._record_failure(feed, prepared, plan, attempt, exc)
        report = _report(feed, result, recorded, plan)
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

    def _prepare_safely(
        self, feed: FeedRecord, result: FetchResult, now: datetime, index: StoryIndex
    ) -> _Prepared:
        try:
            return self._prepare(feed, result, now, index)
        except Exception as exc:  # noqa: BLE001 - a bug in one feed's data must not stop the run
            log.exception("processing failed feed_url=%s feed_id=%s", feed.url, feed.id)
            index.forget_pending()
            return _Prepared(processed=Processed(error=f"could not process the feed: {exc}"))

    def _store(
        self,
        feed: FeedRecord,
        prepared: _Prepared,
        plan: UpdatePlan,
        attempt: _Attempt,
        now: datetime,
        index: StoryIndex,
    ) -> FetchOutcome:
        """The feed's one transaction: its entries, their stories and the attempt, or nothing."""
        entries = prepared.entries if plan.store_entries else ()
        with self.sessions.begin() as session:
            stored = store_entries(session, feed, entries, now) if entries else None
            if stored:
                self.story_builder.assign_safely(session, stored.new_ids, stored.updated_ids)
            stories = (
                stories_by_entry_key(session, feed.id, [e.entry_key for e in entries])
                if stored and stored.new_ids
                else {}
            )
            outcome = attempt.outcome(len(entries), stored, plan.error, self.settings.worker)
            record_attempt(session, feed.id, outcome, plan.update)
        index.add_stored(stories)
        return outcome

    def _record_failure(
        self,
        feed: FeedRecord,
        prepared: _Prepared,
        plan: UpdatePlan,
        attempt: _Attempt,
        exc: BaseException,
    ) -> FetchOutcome:
        """The failure path: the attempt as an error, with the retry time planned up front."""
        reason = f"database error: {first_line(getattr(exc, 'orig', None) or exc)}"
        log.error("storing failed feed_url=%s feed_id=%s error=%s", feed.url, feed.id, reason)
        seen = len(prepared.entries) if plan.store_entries else 0
        outcome = attempt.outcome(seen, None, reason, self.settings.worker)
        try:
            with self.sessions.begin() as session:
                record_attempt(session, feed.id, outcome, plan.failed(feed, self.settings.policy))
        except (SQLAlchemyError, OSError):
            log.exception("could not record the failure feed_url=%s feed_id=%s", feed.url, feed.id)
        return outcome

    # -- the pure stages ----------------------------------------------------------------

    def _prepare(
        self, feed: FeedRecord, result: FetchResult, now: datetime, index: StoryIndex
    ) -> _Prepared:
        if result.kind != "ok":
            return _Prepared()
        try:
            parsed = parse_feed(result.body or b"", result.headers)
        except ParseError as exc:
            return _Prepared(processed=Processed(error=str(exc)))
        base = _absolute(parsed.link) or result.final_url or feed.url
        context = FeedContext(link=base, fetched_at=now)
        declared = feed.language or parsed.language
        entries = [normalize_entry(raw, context) for raw in parsed.entries]
        entries = [
            replace(entry, language=entry_language(declared, entry.title, entry.summary))
            for entry in entries
        ]
        tagged = tuple(self.tag(entry) for entry in index.assign(entries))
        times = tuple(entry.published_at for entry in tagged if not entry.date_flag)
        return _Prepared(tagged, Processed(parsed, times))

    def tag(self, entry: EntryIn) -> EntryIn:
        """The entry with relevance, relevant, themes, the taxonomy fingerprint and the
        entities it names filled in."""
        result = self.tagger.tag(entry.title, entry.summary, entry.body or "", lang=entry.language)
        return replace(
            entry,
            relevance=result.relevance,
            relevant=result.relevant,
            themes=theme_ins(result),
            tagged_with=self.tagger.taxonomy.fingerprint,
            entities=self.entity_matcher.match(entry.title, entry.summary, entry.language),
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
            stored = store_entries(session, feed, [entry], self.clock())
            self.story_builder.assign_safely(session, stored.new_ids, stored.updated_ids)
            return stored


def _absolute(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


@dataclass(frozen=True)
class _Attempt:
    """When an attempt began and what it fetched, to turn into its fetch-log row."""

    started_at: datetime
    began: float
    result: FetchResult
    plan: UpdatePlan

    def outcome(
        self, seen: int, stored: StoreResult | None, error: str | None, worker: str | None
    ) -> FetchOutcome:
        spent = int((time.monotonic() - self.began) * 1000)
        return FetchOutcome(
            started_at=self.started_at,
            duration_ms=self.result.elapsed_ms + spent,
            outcome="error" if error else self.plan.outcome,
            http_status=self.result.status,
            items_seen=seen,
            items_new=stored.items_new if stored else 0,
            items_updated=stored.items_updated if stored else 0,
            error=error,
            warning=self.plan.warning,
            worker=worker,
        )


def _report(
    feed: FeedRecord, result: FetchResult, recorded: FetchOutcome, plan: UpdatePlan
) -> FeedReport:
    failed = recorded.outcome == "error"
    return FeedReport(
        feed_id=feed.id,
        url=feed.url,
        name=feed.display_name,
        outcome=recorded.outcome,
        http_status=result.status,
        items_seen=recorded.items_seen,
        items_new=recorded.items_new,
        items_updated=recorded.items_updated,
        error=recorded.error,
        warning=recorded.warning,
        duration_ms=recorded.duration_ms,
        next_fetch_at=plan.retry_at if failed else plan.next_fetch_at,
    )
