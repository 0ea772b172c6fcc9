"""The backfill orchestrator: for each source, query and window not yet done, fetch, read,
normalise, tag and store through the live pipeline's code, one transaction per window.

A window's items (grouped into one never-fetched pseudo-feed per outlet, with their stories and
rollups) and its ``backfill_windows`` row are committed together, so kill -9 at any point loses
nothing and duplicates nothing, and a rerun fetches only windows without a settled row (see
``db.backfill.WindowRow.settled``). A full response splits its window in halves (the split is
recorded in a transaction of its own; the halves are windows of their own). A window that fails
(a network error, an HTML page, a malformed body) is tried ``attempts`` times, then recorded as
"failed" with the error and the run goes on; the next run tries it again. The same article found
twice (two queries, windows or languages) is stored once: ``store_entries`` skips an entry whose
canonical URL is already stored, in any feed. Items dated outside the requested range are
dropped (the services are loose at the edges of a window).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from jkwatch.clock import utcnow
from jkwatch.db.backfill import (
    WindowResult,
    WindowRow,
    record_window,
    stored_titles,
    window_rows,
)
from jkwatch.db.feeds import ensure_backfill_feed
from jkwatch.db.items import recent_fingerprints, store_entries, stories_by_entry_key
from jkwatch.ingest.backfill.copies import DAYS_APART, copies, publisher_domain
from jkwatch.ingest.backfill.polite import PoliteClient, RequestFailed
from jkwatch.ingest.backfill.queries import SearchQuery
from jkwatch.ingest.backfill.source import Found, Page, Source, SourceError
from jkwatch.ingest.backfill.windows import Window, initial_windows, is_full
from jkwatch.ingest.dedupe import StoryIndex
from jkwatch.ingest.language import entry_language
from jkwatch.ingest.normalize import FeedContext, normalize_entry
from jkwatch.ingest.pipeline import Pipeline
from jkwatch.model import EntryIn

log = logging.getLogger(__name__)

ATTEMPTS = 3


@dataclass(frozen=True)
class Job:
    """One query at one source."""

    source: Source
    query: SearchQuery


@dataclass
class SourceReport:
    """What a run did at one source."""

    source: str
    done: int = 0
    split: int = 0
    failed: int = 0
    skipped: int = 0
    items_seen: int = 0
    items_new: int = 0
    capped_days: list[date] = field(default_factory=list)


@dataclass
class BackfillReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)
    interrupted: bool = False

    def of(self, source: str) -> SourceReport:
        return self.sources.setdefault(source, SourceReport(source))

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.sources.values())

    @property
    def items_new(self) -> int:
        return sum(r.items_new for r in self.sources.values())


@dataclass(frozen=True)
class WindowEvent:
    """A window settled in this run (what the CLI shows as progress)."""

    source: str
    language: str
    window: Window
    status: str
    """"done", "split", "failed" or "skipped"."""
    items_seen: int = 0
    items_new: int = 0
    error: str | None = None
    top_level: bool = False
    """An initial window finished with everything under it (progress counts these)."""
    predicted: bool = False
    """A split made without asking (the query's last window was that dense)."""


def _result(job: Job, window: Window, status: str, **counts: Any) -> WindowResult:
    """The progress row of ``window`` of ``job`` with ``status`` (and counts, error)."""
    query = job.query
    return WindowResult(
        job.source.name,
        query.key,
        query.language,
        query.text,
        window.first,
        window.last,
        status,
        **counts,
    )


class Stopped(Exception):
    """The stop event was set: the run ends between two windows."""


class BackfillRunner:
    """Runs jobs over a range of days; see the module docstring."""

    def __init__(
        self,
        pipeline: Pipeline,
        clients: Mapping[str, PoliteClient],
        clock: Callable[[], datetime] = utcnow,
        attempts: int = ATTEMPTS,
        stop: threading.Event | None = None,
        on_window: Callable[[WindowEvent], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.sessions = pipeline.sessions
        self.clients = clients
        """One polite client per source name: each service gets its own pace."""
        self.clock = clock
        self.attempts = max(1, attempts)
        self.stop = stop or threading.Event()
        self.on_window = on_window
        self._uncovered_logged: set[str] = set()
        self._density: dict[tuple[str, str], float] = {}
        """Entries a day in the last window each query answered without the cap."""

    def total_windows(self, jobs: Sequence[Job], since: date, until: date) -> int:
        """How many initial windows the run walks (the progress bar's length)."""
        return len(jobs) * len(initial_windows(since, until))

    def run(self, jobs: Sequence[Job], since: date, until: date) -> BackfillReport:
        """Backfill ``since..until`` (UTC days, inclusive) for every job."""
        report = BackfillReport()
        for job in jobs:
            report.of(job.source.name)
        if not jobs:
            return report
        self.pipeline.sync_themes()
        try:
            for job in jobs:
                with self.sessions() as session:
                    rows = window_rows(session, job.source.name, job.query.key, since, until)
                for window in initial_windows(since, until):
                    status = self._window(job, window, rows, (since, until), report)
                    self._emit(job, window, status, top_level=True)
        except Stopped:
            report.interrupted = True
        return report

    # -- one window, recursively ---------------------------------------------------------

    def _window(
        self,
        job: Job,
        window: Window,
        rows: dict[tuple[date, date], WindowRow],
        bounds: tuple[date, date],
        report: BackfillReport,
    ) -> str:
        """Settle ``window`` (and its halves); returns its status."""
        source, query = job.source, job.query
        out = report.of(source.name)
        today = self.clock().date()
        row = rows.get((window.first, window.last))
        if row is not None and row.settled:
            if row.status == "split":
                for half in window.halves():
                    self._window(job, half, rows, bounds, report)
                return "split"
            out.skipped += 1
            return "skipped"
        if not source.covers(window.last, today):
            out.skipped += 1
            if source.name not in self._uncovered_logged:
                self._uncovered_logged.add(source.name)
                log.warning(
                    "backfill source=%s skips windows before its coverage (e.g. %s): the "
                    "public service only searches recent months",
                    source.name,
                    window,
                )
            return "skipped"
        if self.stop.is_set():
            raise Stopped
        if window.days > 1 and self._expects_full(job, window):
            return self._split_ahead(job, window, rows, bounds, report)
        page, error, tries = self._fetch(job, window)
        if page is None and self.stop.is_set():
            raise Stopped  # retries cut short by Ctrl-C: not a failure, the next run asks again
        if page is None:
            self._record(
                _result(
                    job,
                    window,
                    "failed",
                    attempts=tries,
                    error=error,
                )
            )
            out.failed += 1
            log.error(
                "backfill window failed source=%s language=%s window=%s attempts=%d error=%s",
                source.name,
                query.language,
                window,
                tries,
                error,
            )
            self._emit(job, window, "failed", error=error)
            return "failed"
        full = is_full(page.listed, source.cap)
        if full and window.days > 1:
            self._record(
                _result(
                    job,
                    window,
                    "split",
                    items_seen=page.listed,
                    attempts=tries,
                )
            )
            out.split += 1
            log.info(
                "backfill window full, splitting source=%s language=%s window=%s items_seen=%d",
                source.name,
                query.language,
                window,
                page.listed,
            )
            self._emit(job, window, "split", items_seen=page.listed)
            for half in window.halves():
                self._window(job, half, rows, bounds, report)
            return "split"
        if full:
            out.capped_days.append(window.first)
            log.warning(
                "backfill source=%s language=%s: day %s still hits the cap of %d; some items "
                "of that day are missing",
                source.name,
                query.language,
                window.first,
                source.cap,
            )
        seen, new = self._store(job, window, page, bounds, tries)
        self._density[(source.name, query.key)] = page.listed / window.days
        out.done += 1
        out.items_seen += seen
        out.items_new += new
        log.info(
            "backfill window done source=%s language=%s window=%s items_seen=%d items_new=%d",
            source.name,
            query.language,
            window,
            seen,
            new,
        )
        self._emit(job, window, "done", items_seen=seen, items_new=new)
        return "done"

    def _expects_full(self, job: Job, window: Window) -> bool:
        """Whether the query's last answered window was dense enough that this one would come
        back full: asking it would cost a request (and a parse of ``cap`` entries) only to be
        split. Splitting is always safe (the halves cover the window), so a wrong guess costs
        one request, as a full answer does."""
        density = self._density.get((job.source.name, job.query.key))
        return density is not None and density * window.days >= job.source.cap

    def _split_ahead(
        self,
        job: Job,
        window: Window,
        rows: dict[tuple[date, date], WindowRow],
        bounds: tuple[date, date],
        report: BackfillReport,
    ) -> str:
        """Split ``window`` without asking for it (see ``_expects_full``); recorded as split, so
        a resumed run walks the same halves."""
        source, query = job.source, job.query
        self._record(
            _result(
                job,
                window,
                "split",
                attempts=0,
            )
        )
        report.of(source.name).split += 1
        log.info(
            "backfill window split ahead source=%s language=%s window=%s (the last window held "
            "%.0f items a day)",
            source.name,
            query.language,
            window,
            self._density[(source.name, query.key)],
        )
        self._emit(job, window, "split", predicted=True)
        for half in window.halves():
            self._window(job, half, rows, bounds, report)
        return "split"

    def _fetch(self, job: Job, window: Window) -> tuple[Page | None, str | None, int]:
        """The window's page, or None and the last error after ``attempts`` tries."""
        url = job.source.request_url(job.query.text, job.query.language, window.first, window.last)
        error = None
        for attempt in range(1, self.attempts + 1):
            try:
                answer = self.clients[job.source.name].get(url)
                return job.source.read(answer.body, answer.headers), None, attempt
            except (RequestFailed, SourceError) as exc:
                error = str(exc)
                log.warning(
                    "backfill request failed source=%s window=%s attempt=%d error=%s",
                    job.source.name,
                    window,
                    attempt,
                    error,
                )
            if self.stop.is_set():
                break
        return None, error, attempt

    # -- storing ---------------------------------------------------------------------------

    def _entries(
        self, found: Sequence[Found], language: str, bounds: tuple[date, date], now: datetime
    ) -> list[tuple[Found, EntryIn]]:
        """Normalised entries dated inside the requested range (others are dropped)."""
        out = []
        context = FeedContext(link=None, fetched_at=now)
        for item in found:
            entry = normalize_entry(item.raw, context)
            if entry.date_flag in ("missing", "future"):
                continue  # a backfilled item without its own date has no place in history
            if not bounds[0] <= entry.published_at.date() <= bounds[1]:
                continue
            language_of = entry_language(language, entry.title, entry.summary)
            out.append((item, replace(entry, language=language_of)))
        return out

    def _story_index(self, window: Window) -> StoryIndex:
        span = timedelta(hours=self.pipeline.settings.dedupe_window_h)
        start = datetime.combine(window.first, time(), UTC) - span
        end = datetime.combine(window.last + timedelta(days=1), time(), UTC) + span
        with self.sessions() as session:
            fingerprints = recent_fingerprints(session, start, until=end)
        return StoryIndex.from_fingerprints(fingerprints, span)

    def _store(
        self, job: Job, window: Window, page: Page, bounds: tuple[date, date], tries: int
    ) -> tuple[int, int]:
        """Store the window's entries and its "done" row in one transaction."""
        now = self.clock()
        pairs = self._entries(page.entries, job.query.language, bounds, now)
        seen = len(pairs)
        pairs = self._without_stored_copies(pairs, window)
        index = self._story_index(window)
        assigned = index.assign([entry for _, entry in pairs])
        groups: dict[tuple[str, str | None, str | None], list[EntryIn]] = {}
        for (item, _), entry in zip(pairs, assigned, strict=True):
            key = (item.outlet, item.site_url, item.country)
            groups.setdefault(key, []).append(self.pipeline.tag(entry))
        new = 0
        stories: dict[str, int] = {}
        source = job.source
        try:
            with self.sessions.begin() as session:
                for (outlet, site, country), entries in groups.items():
                    feed = ensure_backfill_feed(session, source.name, outlet, site, country)
                    stored = store_entries(session, feed, entries, now)
                    self.pipeline.story_builder.assign_safely(
                        session, stored.new_ids, stored.updated_ids
                    )
                    if stored.new_ids:
                        stories.update(
                            stories_by_entry_key(session, feed.id, [e.entry_key for e in entries])
                        )
                    new += stored.items_new
                record_window(
                    session,
                    _result(
                        job,
                        window,
                        "done",
                        items_seen=seen,
                        items_stored=new,
                        attempts=tries,
                    ),
                    now,
                )
        except BaseException:
            index.forget_pending()
            raise
        index.add_stored(stories)
        return seen, new

    def _without_stored_copies(
        self, pairs: list[tuple[Found, EntryIn]], window: Window
    ) -> list[tuple[Found, EntryIn]]:
        """``pairs`` less the articles a feed (or another backfill) already stored under
        another link: same publisher, language and title, a day apart at most."""
        if not pairs:
            return pairs
        margin = timedelta(days=DAYS_APART)
        with self.sessions() as session:
            stored = stored_titles(
                session,
                window.first - margin,
                window.last + margin,
                {entry.title for _, entry in pairs},
            )
        candidates = [
            (
                publisher_domain(item.site_url) or publisher_domain(entry.url),
                entry.language,
                entry.title,
                entry.published_at.date(),
            )
            for item, entry in pairs
        ]
        held = copies(candidates, stored)
        return [pair for index, pair in enumerate(pairs) if index not in held]

    def _record(self, result: WindowResult) -> None:
        with self.sessions.begin() as session:
            record_window(session, result, self.clock())

    def _emit(
        self,
        job: Job,
        window: Window,
        status: str,
        items_seen: int = 0,
        items_new: int = 0,
        error: str | None = None,
        top_level: bool = False,
        predicted: bool = False,
    ) -> None:
        if self.on_window is not None:
            self.on_window(
                WindowEvent(
                    job.source.name,
                    job.query.language,
                    window,
                    status,
                    items_seen,
                    items_new,
                    error,
                    top_level,
                    predicted,
                )
            )
