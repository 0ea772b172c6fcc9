"""The story builder: puts stored items into stories, called by the orchestrators.

The pipeline's store step, document import and ``retag`` call ``StoryBuilder.assign`` with
the ids of items just written, inside their own transaction: the items are clustered
(``ingest.stories.cluster``) against the members of their languages published within 72 hours
of them and, for cross-language links, the members of other languages naming one of their
specific entities within 48 hours (an index lookup on ``item_entities``; the names a linked
member used are read after clustering, for the linked members only), with the analyst's
corrections applied; entity types come from the gazetteer. ``refresh`` copies changed item
columns (relevance, language, themes, entities) to their story rows. ``rebuild`` re-clusters a date range from scratch in windows
of ``REBUILD_WINDOW_DAYS``, one transaction per window, each seeing the members of the 72
hours before it as context: idempotent (the same items give the same stories), and safe to
rerun after a crash (a finished window is committed, an unfinished one left as it was).

Stages do not call each other: this module reads and writes through ``db.stories`` and
hands plain values to the pure clustering.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db.stories import inputs as story_inputs
from jkwatch.db.stories.writes import copy_item_columns, save_assignments
from jkwatch.entities import Gazetteer, default_gazetteer
from jkwatch.ingest.stories.cluster import Doc, Settings, cluster
from jkwatch.ingest.stories.crosslang import EntityWeights
from jkwatch.ingest.stories.features import features
from jkwatch.model import StoryInput

REBUILD_WINDOW_DAYS = 7
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildReport:
    items: int
    stories: int
    windows: int


def _doc(item: StoryInput) -> Doc:
    terms = (
        item.terms
        if item.story_id is not None
        else features(item.title, item.summary, item.language)
    )
    return Doc(
        item_id=item.item_id,
        published_at=item.published_at,
        language=item.language,
        terms=terms,
        near_dup=item.near_dup,
        story_id=item.story_id,
        entities=item.entities,
        themes=item.themes,
        entity_names=item.entity_names,
    )


def _types_and_labels(gazetteer: Gazetteer) -> tuple[dict[str, str], dict[str, str]]:
    """Each entity's type (its weight in a link) and label (shown when a side's own names
    are unknown)."""
    return (
        {e.id: e.type for e in gazetteer.entities},
        {e.id: e.label for e in gazetteer.entities},
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


class StoryBuilder:
    """Clusters items into stories in the caller's transactions (see the module docstring)."""

    def __init__(
        self,
        settings: Settings | None = None,
        gazetteer: Gazetteer | None = None,
        *,
        entity_types: Mapping[str, str] | None = None,
        entity_labels: Mapping[str, str] | None = None,
    ) -> None:
        """``gazetteer`` (default: the configured one, read when first needed) gives each
        entity's type and label for cross-language links; ``entity_types`` replaces it (an
        empty mapping: stories per language only)."""
        self.settings = settings or Settings()
        self.gazetteer = gazetteer
        self._types = entity_types
        self._labels = entity_labels

    @property
    def entity_types(self) -> Mapping[str, str]:
        if self._types is None:
            self._types, self._labels = _types_and_labels(self.gazetteer or default_gazetteer())
        return self._types

    @property
    def entity_labels(self) -> Mapping[str, str]:
        types = self.entity_types
        return self._labels if self._labels is not None else {e: e for e in types}

    @property
    def cross_language(self) -> bool:
        return self.settings.xlang.enabled and bool(self.entity_types)

    def assign(self, session: Session, item_ids: Sequence[int]) -> int:
        """Put those of ``item_ids`` that belong to no story yet into stories; returns how
        many were placed."""
        todo = story_inputs.items_to_cluster(session, item_ids)
        if not todo:
            return 0
        window = self.settings.window
        start = min(i.published_at for i in todo) - window
        end = max(i.published_at for i in todo) + window
        languages = sorted({i.language for i in todo})
        context = story_inputs.members_between(session, start, end, languages=languages)
        if self.cross_language:
            context += self._other_language_candidates(session, todo, languages)
        self._cluster_and_save(session, todo, context)
        return len(todo)

    def assign_safely(
        self, session: Session, new_ids: Sequence[int], updated_ids: Sequence[int]
    ) -> None:
        """``assign`` the new items and ``refresh`` the updated ones in a savepoint: a failure
        is logged and leaves the items unclustered (the next ``retag`` or ``stories rebuild``
        places them) instead of losing the caller's transaction."""
        if not new_ids and not updated_ids:
            return
        try:
            with session.begin_nested():
                self.assign(session, new_ids)
                self.refresh(session, updated_ids)
        except Exception:  # noqa: BLE001 - the items are stored; their stories can wait
            log.exception("story assignment failed for %d items", len(new_ids) + len(updated_ids))

    def refresh(self, session: Session, item_ids: Sequence[int]) -> None:
        """Copy the changed columns of stored items to their story rows (after an update or
        a retag); items without a story yet are assigned."""
        if item_ids:
            copy_item_columns(session, list(item_ids))
            self.assign(session, item_ids)

    def _cluster_and_save(
        self, session: Session, todo: Sequence[StoryInput], context: Sequence[StoryInput]
    ) -> int:
        docs = [_doc(i) for i in todo] + [_doc(c) for c in context]
        corrections = story_inputs.story_corrections(session)
        partners = {i for pair in corrections.merges for i in pair}
        known = story_inputs.stories_of_items(session, partners) if partners else {}
        starts = story_inputs.story_starts(session, {c.story_id for c in context if c.story_id})
        assignments = cluster(
            docs,
            corrections,
            self.settings,
            story_starts=starts,
            known_stories=known,
            entity_types=self.entity_types if self.cross_language else None,
            entity_labels=self.entity_labels,
            entity_names=lambda ids: story_inputs.entity_names(session, ids),
        )
        save_assignments(session, assignments)
        return len({a.story_id for a in assignments})

    def _specific(self, items: Sequence[StoryInput]) -> set[str]:
        weights = EntityWeights(self.entity_types)
        return {e for item in items for e in item.entities if weights.specific(e)}

    def _other_language_candidates(
        self, session: Session, todo: Sequence[StoryInput], languages: Sequence[str]
    ) -> list[StoryInput]:
        """Members of the other languages a new item could link to: those naming one of the
        new items' specific entities within the cross-language window (an index lookup; the
        members of the batch's own languages are read whole for the word links anyway)."""
        specific = self._specific(todo)
        if not specific:
            return []
        window = self.settings.xlang.window
        return story_inputs.members_naming(
            session,
            sorted(specific),
            min(i.published_at for i in todo) - window,
            max(i.published_at for i in todo) + window,
            exclude_languages=languages,
        )

    def rebuild(
        self,
        sessions: sessionmaker[Session],
        since: date | None = None,
        until: date | None = None,
        progress: Callable[[date, int], None] | None = None,
    ) -> RebuildReport:
        """Re-cluster the items published on ``since..until`` (UTC days, inclusive; None:
        from the first or to the last item), one transaction per window."""
        with sessions() as session:
            first, last = story_inputs.published_span(session)
        if first is None or last is None:
            return RebuildReport(0, 0, 0)
        start_day = max(since or first.date(), first.date())
        end_day = min(until or last.date(), last.date())
        items = stories = windows = 0
        day = start_day
        while day <= end_day:
            stop = min(day + timedelta(days=REBUILD_WINDOW_DAYS), end_day + timedelta(days=1))
            with sessions.begin() as session:
                todo = story_inputs.items_between(session, _midnight(day), _midnight(stop))
                context = story_inputs.members_between(
                    session,
                    _midnight(day) - self.settings.window,
                    _midnight(day) - timedelta(microseconds=1),
                    exclude=[t.item_id for t in todo],
                )
                if todo:
                    stories += self._cluster_and_save(session, todo, context)
            items += len(todo)
            windows += 1
            if progress:
                progress(day, len(todo))
            day = stop
        return RebuildReport(items=items, stories=stories, windows=windows)
