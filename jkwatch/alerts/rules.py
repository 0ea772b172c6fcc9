"""Rule evaluation: what a rule finds now, as messages with stable event keys.

``evaluate(session, rule, now)`` only reads. Each message's ``event_key`` names the event, not
the evaluation, so evaluating again (later, on another worker, after a restart) finds the same
key and the ledger sends nothing twice:

* spike: ``spike:<theme>:<first day of the episode>``: a rise found by
  ``db.trends.spikes_in_range`` (relevant items; the spike method's own floor z >= 2, at least
  5 items, ratio >= 1.5, then the rule's ``min_z`` and ``min_count``) still running within
  the lookback;
* story: ``story:<story id>:outlets>=N`` (and/or ``:both-countries``): a story first seen within
  the lookback that reached the outlets (and both Japanese and Korean outlets);
* watch: ``watch:<rule>:item:<item id>``: an item published within the lookback matching
  the query, entity and themes.

Feed text is untrusted: titles are folded onto one line here; channels escape for their medium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from jkwatch.alerts.config import ANY_THEME, Rule
from jkwatch.alerts.message import ItemLink, Message
from jkwatch.db.alert_reads import watch_hits
from jkwatch.db.item_lists import ItemHit, item_hits, items_behind
from jkwatch.db.query_filters import RELEVANT_BUCKET, Filters
from jkwatch.db.stories import stories_in_range
from jkwatch.db.themes import list_themes
from jkwatch.db.trends import spikes_in_range

ITEMS_PER_MESSAGE = 20
SPIKE_SCAN_DAYS = 28
"""Spikes are scanned over this many days back, so an episode keeps its first day (its key)
while it runs for up to four weeks."""
STORY_SCAN = 200


def one_line(text: str, limit: int = 200) -> str:
    """Feed text on one line (no newlines or control characters), cut to ``limit``."""
    folded = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def links(hits: Sequence[ItemHit]) -> tuple[ItemLink, ...]:
    return tuple(
        ItemLink(
            item_id=hit.id,
            title=one_line(hit.title),
            url=hit.url,
            outlet=one_line(hit.feed_name, 100),
            published_at=hit.published_at,
        )
        for hit in hits
    )


def items_text(items: Sequence[ItemLink]) -> str:
    lines = []
    for link in items:
        when = link.published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"- {link.title} ({link.outlet}, {when})")
        if link.url:
            lines.append(f"  {link.url}")
    return "\n".join(lines)


def theme_labels(session: Session) -> dict[str, str]:
    return {theme.id: theme.label for theme in list_themes(session)}


def evaluate(session: Session, rule: Rule, now: datetime) -> list[Message]:
    """The messages ``rule`` yields at ``now`` (one per event, oldest event first)."""
    if rule.type == "spike":
        return spike_messages(session, rule, now)
    if rule.type == "story":
        return story_messages(session, rule, now)
    return watch_messages(session, rule, now)


def spike_messages(session: Session, rule: Rule, now: datetime) -> list[Message]:
    today = now.astimezone(UTC).date()
    recent = (now - rule.lookback).astimezone(UTC).date()
    themes = () if rule.theme == ANY_THEME else (rule.theme,)
    filters = Filters(themes=themes, min_bucket=RELEVANT_BUCKET)
    episodes = spikes_in_range(session, filters, today - timedelta(days=SPIKE_SCAN_DAYS), today)
    labels = theme_labels(session)
    out = []
    for episode in episodes:
        if episode.direction != "rise" or episode.end < recent:
            continue
        if episode.z < rule.min_z or episode.count < rule.min_count:
            continue
        page = items_behind(
            session,
            episode.theme_id,
            episode.start,
            episode.end,
            Filters(min_bucket=RELEVANT_BUCKET),
            page_size=ITEMS_PER_MESSAGE,
        )
        items = links(page.items)
        label = labels.get(episode.theme_id, episode.theme_id)
        span = f"{episode.start.isoformat()}..{episode.end.isoformat()}"
        text = (
            f"{label} ({episode.theme_id}) is spiking: {episode.count} relevant items in "
            f"{span} (UTC days) against a baseline of {episode.baseline:g} for that many days "
            f"(z = {episode.z:g}).\n\nItems ({len(items)} of {page.total}, newest first):\n"
            + items_text(items)
        )
        out.append(
            Message(
                event_key=f"spike:{episode.theme_id}:{episode.start.isoformat()}",
                kind="spike",
                rule=rule.name,
                subject=f"[jkwatch] Spike: {label}: {episode.count} items (z {episode.z:g})",
                text=text,
                created_at=now,
                items=items,
                data={
                    "rule": rule.name,
                    "theme": episode.theme_id,
                    "theme_label": label,
                    "start": episode.start.isoformat(),
                    "end": episode.end.isoformat(),
                    "count": episode.count,
                    "baseline": episode.baseline,
                    "z": episode.z,
                    "items_total": page.total,
                },
            )
        )
    return out


def _story_key(story_id: int, rule: Rule) -> str:
    parts = [f"story:{story_id}"]
    if rule.min_outlets is not None:
        parts.append(f"outlets>={rule.min_outlets}")
    if rule.both_countries:
        parts.append("both-countries")
    return ":".join(parts)


def _countries_text(by_country: Mapping[str, Sequence[str]]) -> str:
    return "; ".join(
        f"{country}: {', '.join(one_line(n, 100) for n in names)}"
        for country, names in by_country.items()
    )


def story_messages(session: Session, rule: Rule, now: datetime) -> list[Message]:
    since = now - rule.lookback
    stories = stories_in_range(
        session,
        since.astimezone(UTC).date(),
        now.astimezone(UTC).date(),
        themes=rule.themes,
        limit=STORY_SCAN,
    )
    out = []
    for story in sorted(stories, key=lambda s: (s.first_seen, s.story_id)):
        if story.first_seen < since:
            continue
        if rule.min_outlets is not None and story.outlets < rule.min_outlets:
            continue
        if rule.both_countries and not {"jp", "kr"} <= set(story.outlets_by_country):
            continue
        items = links(item_hits(session, story.item_ids[:ITEMS_PER_MESSAGE]))
        title = one_line(story.title)
        text = (
            f"New story: {title}\n{story.outlets} outlets, {story.items} items, languages "
            f"{', '.join(story.languages)}; themes {', '.join(story.themes) or '-'}.\n"
            f"Outlets by country: {_countries_text(story.outlets_by_country)}\n\n"
            f"Items:\n{items_text(items)}"
        )
        out.append(
            Message(
                event_key=_story_key(story.story_id, rule),
                kind="story",
                rule=rule.name,
                subject=f"[jkwatch] Story in {story.outlets} outlets: {one_line(title, 120)}",
                text=text,
                created_at=now,
                items=items,
                data={
                    "rule": rule.name,
                    "story_id": story.story_id,
                    "title": title,
                    "outlets": story.outlets,
                    "items": story.items,
                    "languages": list(story.languages),
                    "themes": list(story.themes),
                    "outlets_by_country": {
                        c: [one_line(n, 100) for n in names]
                        for c, names in story.outlets_by_country.items()
                    },
                    "first_seen": story.first_seen.isoformat(),
                },
            )
        )
    return out


def watch_messages(session: Session, rule: Rule, now: datetime) -> list[Message]:
    hits = watch_hits(
        session,
        now - rule.lookback,
        query=rule.query,
        entity_id=rule.entity,
        themes=rule.themes,
        min_relevance=rule.min_relevance,
    )
    watched = ", ".join(
        part
        for part in (
            f'query "{rule.query}"' if rule.query else "",
            f"entity {rule.entity}" if rule.entity else "",
            f"themes {', '.join(rule.themes)}" if rule.themes else "",
        )
        if part
    )
    out = []
    for hit in sorted(hits, key=lambda h: (h.published_at, h.id)):
        (link,) = links([hit])
        out.append(
            Message(
                event_key=f"watch:{rule.name}:item:{hit.id}",
                kind="watch",
                rule=rule.name,
                subject=f"[jkwatch] {rule.name}: {one_line(hit.title, 120)}",
                text=(
                    f"An item matches the watch {rule.name} ({watched}); relevance "
                    f"{hit.relevance:.2f}, themes {', '.join(hit.themes) or '-'}.\n\n"
                    + items_text([link])
                ),
                created_at=now,
                items=(link,),
                data={
                    "rule": rule.name,
                    "item_id": hit.id,
                    "relevance": round(hit.relevance, 3),
                    "themes": list(hit.themes),
                    "query": rule.query,
                    "entity": rule.entity,
                },
            )
        )
    return out
