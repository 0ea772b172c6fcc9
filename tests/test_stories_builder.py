"""Stories built in storage, on SQLite and PostgreSQL: the builder at the store step (and the
real pipeline over local HTTP), ``jkwatch stories rebuild / show / split / merge``, corrections
kept by re-clustering, and ``db upgrade`` giving an existing database its stories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import delete, select

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.feeds import get_feed, upsert_feed
from jkwatch.db.models import Item, StoryMember
from jkwatch.db.stories import stories_in_range, story_detail, story_id_of_item
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.ingest.fetch import FetchSettings
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
from jkwatch.ingest.story_builder import StoryBuilder
from jkwatch.model import FeedSpec
from tests.factories import RSS_TYPE, Story, entry, feed_spec, rss
from tests.feedserver import Response

T0 = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
THEMES = [ThemeInfo("nk_weapons", "NK weapons", "", 0)]
EVENT = [
    ("a", "North Korea fires ballistic missile from Wonsan toward East Sea", 0),
    ("b", "Pyongyang launches ballistic missile from Wonsan, Seoul military says", 2),
    ("c", "Japan protests Wonsan ballistic missile launch by North Korea", 5),
]
OTHER = [
    ("a", "Defence ministers agree on military hotline in Tokyo", 3),
    ("b", "Chip exports rise for a fifth month on memory demand", 4),
    ("c", "Coast guard rescues eight fishermen near Hokkaido", 6),
    ("a", "Cherry blossoms open early in Osaka, weather office says", 7),
    ("b", "Central bank holds rates steady as inflation cools", 8),
    ("c", "Rail operator adds late trains for the holiday week", 9),
]


def _store(sessions, *, cluster: bool = True) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Three outlets, one event reported by each, and unrelated items; ids by title."""
    ids: dict[str, int] = {}
    with sessions.begin() as s:
        sync_themes(s, THEMES)
        feeds = {
            name: feed_store.upsert_feed(s, feed_spec(n, name=f"Outlet {name}"))[0]
            for n, name in enumerate("abc", start=1)
        }
        new: list[int] = []
        for outlet, title, hours in EVENT + OTHER:
            stored = item_store.store_entries(
                s,
                feeds[outlet],
                [
                    entry(
                        f"{outlet}-{title}",
                        title=title,
                        summary="",
                        published=T0 + timedelta(hours=hours),
                        url=f"https://{outlet}.example/{hours}",
                    )
                ],
            )
            ids[title] = stored.new_ids[0]
            new.extend(stored.new_ids)
        if cluster:
            StoryBuilder().assign(s, new)
    return ids


def _event_ids(ids: dict[str, int]) -> list[int]:
    return [ids[title] for _, title, _ in EVENT]


def _memberships(sessions) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return [tuple(r) for r in s.execute(select(StoryMember.item_id, StoryMember.story_id))]


def test_the_builder_puts_three_outlets_reports_of_one_event_into_one_story(sessions):
    ids = _store(sessions)
    first, *rest = _event_ids(ids)
    with sessions() as s:
        top = stories_in_range(s, date(2026, 3, 3), date(2026, 3, 3), limit=3)
        others = {story_id_of_item(s, ids[title]) for _, title, _ in OTHER}
    assert top[0].story_id == first and top[0].item_ids == (first, *rest)
    assert top[0].outlets == 3 and top[0].outlet_names == ("Outlet a", "Outlet b", "Outlet c")
    assert "3 outlets" in top[0].why
    assert len(others) == len(OTHER) and first not in others  # unrelated items stand alone


def test_rebuild_is_idempotent_and_gives_an_emptied_database_its_stories_again(sessions):
    _store(sessions)
    before = sorted(_memberships(sessions))
    StoryBuilder().rebuild(sessions)
    assert sorted(_memberships(sessions)) == before
    with sessions.begin() as s:
        s.execute(delete(StoryMember))
    report = StoryBuilder().rebuild(sessions, since=date(2026, 3, 1), until=date(2026, 3, 31))
    assert report.items == len(EVENT) + len(OTHER)
    assert sorted(_memberships(sessions)) == before


def _cli(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--db", url, *args], env={"JKWATCH_ANALYST": "kim"})


def test_show_split_and_merge_from_the_command_line_survive_a_rebuild(engine, sessions):
    ids = _store(sessions)
    url = engine.url.render_as_string(hide_password=False)
    first, second, third = _event_ids(ids)
    shown = _cli(url, "stories", "show", str(first))
    assert shown.exit_code == 0, shown.output
    assert "3 items, 3 outlets" in shown.output and "wonsan" in shown.output

    split = _cli(url, "stories", "split", str(third))
    assert split.exit_code == 0, split.output
    hotline = ids["Defence ministers agree on military hotline in Tokyo"]
    merged = _cli(url, "stories", "merge", str(first), str(hotline))
    assert merged.exit_code == 0, merged.output
    for _ in range(2):
        with sessions() as s:
            assert story_id_of_item(s, third) == third
            assert story_id_of_item(s, second) == first
            assert story_id_of_item(s, hotline) == first
            detail = story_detail(s, first)
            assert detail is not None and detail.summary.items == 3
        assert _cli(url, "stories", "rebuild").exit_code == 0


def test_unknown_ids_and_bad_dates_are_usage_errors(engine, sessions):
    ids = _store(sessions)
    url = engine.url.render_as_string(hide_password=False)
    first = _event_ids(ids)[0]
    assert _cli(url, "stories", "show", "999999").exit_code == 2
    assert _cli(url, "stories", "split", "999999").exit_code == 2
    assert _cli(url, "stories", "merge", str(first), "999999").exit_code == 2
    assert _cli(url, "stories", "merge", str(first), str(first)).exit_code == 2
    assert _cli(url, "stories", "rebuild", "--since", "yesterday").exit_code == 2
    bad_range = _cli(url, "stories", "rebuild", "--since", "2026-03-05", "--until", "2026-03-01")
    assert bad_range.exit_code == 2


def test_db_upgrade_gives_items_stored_before_stories_their_stories(engine, sessions):
    ids = _store(sessions, cluster=False)
    url = engine.url.render_as_string(hide_password=False)
    skipped = _cli(url, "db", "upgrade", "--no-stories")
    assert "stories rebuild" in skipped.output
    result = _cli(url, "db", "upgrade")
    assert result.exit_code == 0 and "clustered" in result.output
    first, *rest = _event_ids(ids)
    with sessions() as s:
        assert {story_id_of_item(s, i) for i in rest} == {first}
    assert "clustered" not in _cli(url, "db", "upgrade").output  # once only
    with sessions.begin() as s:  # a clustering that stopped half-way ...
        s.execute(delete(StoryMember).where(StoryMember.item_id.in_(rest)))
    finished = _cli(url, "db", "upgrade")  # ... is finished by rerunning the upgrade
    assert finished.exit_code == 0 and "clustered" in finished.output
    with sessions() as s:
        assert {story_id_of_item(s, i) for i in rest} == {first}


def test_stories_show_on_a_missing_database_says_so_and_creates_nothing(tmp_path):
    path = tmp_path / "none.db"
    result = _cli(f"sqlite:///{path}", "stories", "show", "1")
    assert result.exit_code == 2 and "no database" in result.output
    assert not path.exists()


FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5)


def test_the_pipeline_assigns_stories_when_it_stores_items(sessions, feed_server, tagger):
    for n, (outlet, title, hours) in enumerate(EVENT):
        story = Story(
            guid=f"g{n}",
            title=title,
            link=f"https://{outlet}.example/{n}",
            published=T0 + timedelta(hours=hours),
            description="The Joint Chiefs of Staff said the missile flew about 400 km.",
        )
        url = feed_server.route(f"/{outlet}.xml", Response(200, rss([story]), RSS_TYPE))
        with sessions.begin() as s:
            upsert_feed(s, FeedSpec(url=url, name=f"Outlet {outlet}"))
    with sessions() as s:
        feeds = [get_feed(s, feed_server.url(f"/{o}.xml")) for o, _, _ in EVENT]
    Pipeline(sessions, PipelineSettings(fetch=FAST), tagger=tagger).refresh(feeds)
    with sessions() as s:
        item_ids = list(s.scalars(select(Item.id).order_by(Item.published_at)))
        stories = {story_id_of_item(s, i) for i in item_ids}
    # One story; its id is the item stored first (feeds may answer in any order).
    assert len(item_ids) == 3 and len(stories) == 1 and stories <= set(item_ids)


def test_an_item_labelled_irrelevant_leaves_its_story_relevant_count(sessions):
    from jkwatch.corrections import LabelChange
    from jkwatch.db.labels import label_item

    ids = _store(sessions)
    first, second, third = _event_ids(ids)
    with sessions.begin() as s:
        label_item(s, second, LabelChange("kim", relevant=False))
    with sessions() as s:
        top = stories_in_range(s, date(2026, 3, 3), date(2026, 3, 3), limit=1)[0]
        every = stories_in_range(s, date(2026, 3, 3), date(2026, 3, 3), relevant_only=False)
    assert top.item_ids == (first, third)
    assert next(st for st in every if st.story_id == first).items == 3


def test_splitting_off_the_item_a_merge_was_made_by_keeps_the_rest_merged(engine, sessions):
    ids = _store(sessions)
    url = engine.url.render_as_string(hide_password=False)
    first, second, third = _event_ids(ids)
    hotline = ids["Defence ministers agree on military hotline in Tokyo"]
    assert _cli(url, "stories", "merge", str(first), str(hotline)).exit_code == 0
    split = _cli(url, "stories", "split", str(first))  # the merge's own anchor
    assert split.exit_code == 0, split.output
    for _ in range(2):
        with sessions() as s:
            assert story_id_of_item(s, first) == first
            together = {story_id_of_item(s, item) for item in (second, third, hotline)}
        assert len(together) == 1 and None not in together
        assert _cli(url, "stories", "rebuild").exit_code == 0
