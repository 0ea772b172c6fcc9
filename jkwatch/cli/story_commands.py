"""``jkwatch stories ...``: re-cluster, show a story, split an item off, merge two stories.

Splits and merges are analyst corrections stored in ``story_corrections`` and kept by every
re-clustering (``rebuild``, later ingests). After recording one, the command re-clusters the
days the story covers (plus the 72-hour window after it) so the change shows at once.
Unknown ids are usage errors (exit 2).
"""

from __future__ import annotations

from datetime import date, timedelta

import click

from jkwatch.cli.context import AppContext
from jkwatch.cli.errors import UserError
from jkwatch.cli.label_commands import default_analyst
from jkwatch.cli.terminal import clean, table
from jkwatch.cli.usage import OneLineGroup
from jkwatch.clock import utcnow
from jkwatch.corrections import ANALYST_LIMIT
from jkwatch.countries import COUNTRY_LABELS
from jkwatch.entities import Gazetteer
from jkwatch.model import STORY_WINDOW_HOURS, StoryDetail, link_reason

_AFTER = timedelta(hours=STORY_WINDOW_HOURS)


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"expected a date like 2026-11-02, got {value!r}", param_hint=f"'{option}'"
        ) from None


def _gazetteer() -> Gazetteer:
    """The configured gazetteer (cross-language links weigh its entity types); a broken
    entities file is a one-line error (exit 2) before anything is re-clustered."""
    from jkwatch.entities import EntitiesError, default_gazetteer

    try:
        return default_gazetteer()
    except EntitiesError as exc:
        raise UserError(f"entities: {exc}") from None


def _analyst(by: str | None) -> str:
    analyst = (by if by is not None else default_analyst()).strip()
    if not analyst or len(analyst) > ANALYST_LIMIT:
        raise click.BadParameter(f"must be 1 to {ANALYST_LIMIT} characters", param_hint="'--by'")
    return analyst


@click.group("stories", cls=OneLineGroup)
def stories_group() -> None:
    """Stories: items about one event across outlets (re-cluster, show, split, merge)."""


@stories_group.command("rebuild")
@click.option("--since", help="First UTC day to re-cluster (YYYY-MM-DD). Default: the first item.")
@click.option("--until", help="Last UTC day to re-cluster (YYYY-MM-DD). Default: the last item.")
@click.pass_obj
def rebuild_command(app: AppContext, since: str | None, until: str | None) -> None:
    """Re-cluster the stories of a date range (idempotent; safe to rerun after a crash).

    One transaction per week of items; the analyst's splits and merges are kept.
    """
    from jkwatch.ingest.story_builder import StoryBuilder

    first, last = _day(since, "--since"), _day(until, "--until")
    if first and last and first > last:
        raise click.BadParameter("--since is after --until", param_hint="'--since'")
    report = StoryBuilder(gazetteer=_gazetteer()).rebuild(app.sessions(), first, last)
    click.echo(
        f"re-clustered {report.items} items into {report.stories} stories "
        f"({report.windows} windows)"
    )


def _print_detail(detail: StoryDetail, links: dict[int, tuple[float, tuple[str, ...]]]) -> None:
    s = detail.summary
    click.echo(f"story {s.story_id}: {clean(s.title)}")
    click.echo(
        f"{s.items} items, {s.outlets} outlets ({clean(', '.join(s.outlet_names))}), "
        f"languages {', '.join(s.languages)}, themes {', '.join(s.themes) or 'none'}"
    )
    for country, names in s.outlets_by_country.items():
        click.echo(f"  {COUNTRY_LABELS.get(country, country)}: {clean(', '.join(names))}")
    click.echo(
        f"first seen {s.first_seen:%Y-%m-%d %H:%M}, last seen {s.last_seen:%Y-%m-%d %H:%M} UTC"
    )
    click.echo(clean(s.why))
    rows = [["item", "published (UTC)", "outlet", "lang", "linked by", "title"]]
    for m in detail.members:
        similarity, words = links.get(m.item_id, (0.0, ()))
        reason = link_reason(words) if words else "first item"
        if words and similarity and not words[0].startswith("("):
            reason += f" ({similarity:.2f})"
        rows.append(
            [
                str(m.item_id),
                f"{m.published_at:%Y-%m-%d %H:%M}",
                clean(m.feed_name, 24),
                m.language,
                clean(reason, 60),
                clean(m.title, 60),
            ]
        )
    click.echo(table(rows))


@stories_group.command("show")
@click.argument("story_id", type=int)
@click.pass_obj
def show_command(app: AppContext, story_id: int) -> None:
    """Show story STORY_ID: figures, ranking sentence, and every item with why it is there."""
    from jkwatch.db.stories import story_detail
    from jkwatch.db.stories.reads import member_links

    with app.read_only_sessions()() as session:
        detail = story_detail(session, story_id)
        links = member_links(session, story_id)
    if detail is None:
        raise click.BadParameter(f"no story {story_id}", param_hint="'STORY_ID'")
    _print_detail(detail, links)


def _recluster(app: AppContext, details: list[StoryDetail], gazetteer: Gazetteer) -> int | None:
    """Re-cluster the days of ``details``' stories (and the window after); the item's new
    story is read by the caller."""
    from jkwatch.ingest.story_builder import StoryBuilder

    first = min(d.summary.first_seen for d in details).date()
    last = (max(d.summary.last_seen for d in details) + _AFTER).date()
    StoryBuilder(gazetteer=gazetteer).rebuild(app.sessions(), first, last)
    return None


@stories_group.command("split")
@click.argument("item_id", type=int)
@click.option("--note", help="Why (kept with the correction).")
@click.option("--by", "by", help="Analyst name. Default: $JKWATCH_ANALYST, else the OS user.")
@click.pass_obj
def split_command(app: AppContext, item_id: int, note: str | None, by: str | None) -> None:
    """Split item ITEM_ID off its story: it stands alone, also after re-clustering."""
    from jkwatch.db.stories import story_detail, story_id_of_item
    from jkwatch.db.stories.inputs import add_correction

    analyst = _analyst(by)
    gazetteer = _gazetteer()  # a broken entities file stops here, before anything is recorded
    with app.sessions().begin() as session:
        story_id = story_id_of_item(session, item_id)
        detail = story_detail(session, story_id) if story_id is not None else None
        if detail is None:
            raise click.BadParameter(
                f"item {item_id} does not exist or is in no story yet", param_hint="'ITEM_ID'"
            )
        add_correction(session, "split", item_id, None, analyst, utcnow(), note)
    _recluster(app, [detail], gazetteer)
    with app.sessions()() as session:
        now_in = story_id_of_item(session, item_id)
    click.echo(f"item {item_id} split off story {story_id}: it is now story {now_in}")


@stories_group.command("merge")
@click.argument("story_a", type=int)
@click.argument("story_b", type=int)
@click.option("--note", help="Why (kept with the correction).")
@click.option("--by", "by", help="Analyst name. Default: $JKWATCH_ANALYST, else the OS user.")
@click.pass_obj
def merge_command(
    app: AppContext, story_a: int, story_b: int, note: str | None, by: str | None
) -> None:
    """Merge stories STORY_A and STORY_B into one, also after re-clustering."""
    from jkwatch.db.stories import story_detail, story_id_of_item
    from jkwatch.db.stories.inputs import add_correction

    analyst = _analyst(by)
    gazetteer = _gazetteer()  # a broken entities file stops here, before anything is recorded
    if story_a == story_b:
        raise click.BadParameter("give two different stories", param_hint="'STORY_B'")
    with app.sessions().begin() as session:
        details = []
        for story_id, hint in ((story_a, "'STORY_A'"), (story_b, "'STORY_B'")):
            detail = story_detail(session, story_id)
            if detail is None:
                raise click.BadParameter(f"no story {story_id}", param_hint=hint)
            details.append(detail)
        first_a, first_b = details[0].members[0].item_id, details[1].members[0].item_id
        add_correction(session, "merge", first_a, first_b, analyst, utcnow(), note)
    _recluster(app, details, gazetteer)
    with app.sessions()() as session:
        merged = story_id_of_item(session, first_a)
    click.echo(f"stories {story_a} and {story_b} merged: story {merged}")
