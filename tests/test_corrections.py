"""Analyst corrections on SQLite and PostgreSQL: applied on top of the tagger, counted in the
rollups exactly, kept by ``retag`` and by a second ingest of the same item (real HTTP, real
feedparser), dropped by a reset, refused whole for an unknown id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from jkwatch.corrections import LabelChange
from jkwatch.db import corrections as correction_store
from jkwatch.db import labels
from jkwatch.db.export import ExportFilter, iter_items
from jkwatch.db.feeds import get_feed, upsert_feed
from jkwatch.db.models import CorrectionLog, DailyTotal, Item, ItemCorrection, ItemTheme
from jkwatch.ingest.fetch import FetchSettings
from jkwatch.ingest.pipeline import Pipeline, PipelineSettings
from jkwatch.ingest.retag import retag_all
from jkwatch.ingest.tagging import load_taxonomy
from jkwatch.model import FeedSpec
from tests.factories import RSS_TYPE, Story, rss
from tests.feedserver import Response
from tests.test_retag_rollups import _assert_rollups_equal_a_rebuild

FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5)
PUBLISHED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MISSILE = Story(
    guid="m1",
    title="North Korea fires ballistic missile into East Sea, JCS says",
    link="https://news.example/m/1",
    published=PUBLISHED,
    description="The missile flew about 600 km, the Joint Chiefs of Staff said.",
)
TALKS = Story(
    guid="t1",
    title="Japan and South Korea agree to resume defence ministers' talks",
    link="https://news.example/t/1",
    published=PUBLISHED,
    description="Seoul and Tokyo will hold security talks next month.",
)
MARKET = Story(
    guid="s1",
    title="Samsung shares rise as chip demand recovers",
    link="https://news.example/s/1",
    published=PUBLISHED,
    description="Investors cheered the results.",
)


def _ingest(sessions, feed_server, tagger, stories):  # type: ignore[no-untyped-def]
    """Serve ``stories`` as one RSS feed over local HTTP and run the real pipeline once."""
    url = feed_server.route("/corrections.xml", Response(200, rss(stories), RSS_TYPE))
    with sessions.begin() as s:
        upsert_feed(s, FeedSpec(url=url, name="Corrections"))
        feed = get_feed(s, url)
    Pipeline(sessions, PipelineSettings(fetch=FAST), tagger=tagger).refresh([feed])


def _item_id(sessions, guid: str) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return int(s.scalar(select(Item.id).where(Item.guid == guid)))


def _tags(sessions, item_id: int) -> tuple[bool, float, dict[str, list]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        item = s.execute(select(Item.relevant, Item.relevance).where(Item.id == item_id)).one()
        themes = dict(
            s.execute(
                select(ItemTheme.theme_id, ItemTheme.evidence).where(ItemTheme.item_id == item_id)
            ).all()
        )
    return bool(item.relevant), float(item.relevance), themes


def _label(sessions, item_id: int, **change):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        return labels.label_item(s, item_id, LabelChange(**change))


@pytest.fixture
def stored(sessions, feed_server, tagger):  # type: ignore[no-untyped-def]
    _ingest(sessions, feed_server, tagger, [MISSILE, TALKS, MARKET])
    return {guid: _item_id(sessions, guid) for guid in ("m1", "t1", "s1")}


def test_a_label_sets_the_final_tags_and_counts_them_in_the_rollups_exactly(sessions, stored):
    missile = stored["m1"]
    relevant, relevance, themes = _tags(sessions, missile)
    assert relevant and "nk_weapons" in themes
    result = _label(
        sessions,
        missile,
        analyst="alice",
        relevant=False,
        add=("jk_cooperation",),
        remove=("nk_weapons",),
        note="a drill report",
    )
    assert result.changed and not result.tags.relevant
    relevant, relevance, themes = _tags(sessions, missile)
    assert not relevant and relevance < 0.5
    assert "nk_weapons" not in themes
    assert themes["jk_cooperation"] == [
        {"term": "corrected by alice", "field": "analyst", "count": 1}
    ]
    _assert_rollups_equal_a_rebuild(sessions)
    # Marked relevant, an off-topic item enters the relevant counts with the added theme.
    market = stored["s1"]
    assert not _tags(sessions, market)[0]
    _label(sessions, market, analyst="bob", relevant=True, add=("history_disputes",))
    relevant, relevance, themes = _tags(sessions, market)
    assert relevant and relevance >= 0.5 and "history_disputes" in themes
    _assert_rollups_equal_a_rebuild(sessions)
    with sessions() as s:
        relevant_items = s.scalar(
            select(func.sum(DailyTotal.items)).where(DailyTotal.rel_bucket >= 5)
        )
        assert relevant_items == s.scalar(
            select(func.count()).select_from(Item).where(Item.relevant.is_(True))
        )


def test_labelling_again_merges_and_the_log_keeps_every_action(sessions, stored):
    talks = stored["t1"]
    _label(sessions, talks, analyst="alice", add=("history_disputes",), remove=("jk_cooperation",))
    _label(sessions, talks, analyst="bob", add=("jk_cooperation",), note="it is cooperation")
    _, _, themes = _tags(sessions, talks)
    assert "history_disputes" in themes and "jk_cooperation" in themes  # bob's word on it wins
    with sessions() as s:
        row = s.get(ItemCorrection, talks)
        assert row is not None
        assert row.themes == {
            "history_disputes": {"added": True, "by": "alice"},
            "jk_cooperation": {"added": True, "by": "bob"},
        }
        assert row.analyst == "bob" and row.note == "it is cooperation"
        log = correction_store.history(s, talks)
    assert [(e.analyst, e.added, e.removed) for e in log] == [
        ("alice", ("history_disputes",), ("jk_cooperation",)),
        ("bob", ("jk_cooperation",), ()),
    ]
    _assert_rollups_equal_a_rebuild(sessions)


def test_a_retag_keeps_corrections_and_still_reaches_the_rest_of_the_item(sessions, stored):
    missile = stored["m1"]
    before = _tags(sessions, missile)
    _label(sessions, missile, analyst="alice", remove=("nk_weapons",), add=("history_disputes",))
    corrected = _tags(sessions, missile)
    # Simulate a stale item: the stored tags and the kept tagger output are wiped, as if an
    # older taxonomy had tagged it with nothing. The retag must rebuild both.
    with sessions.begin() as s:
        s.execute(ItemCorrection.__table__.update().values(tagger_themes=[]))
    report = retag_all(sessions, load_taxonomy(), batch_size=2)
    assert report.items == 3
    assert _tags(sessions, missile) == corrected
    with sessions() as s:
        kept = correction_store.corrections_for(s, [missile])[missile]
    assert {t.theme_id for t in kept.tagger.themes} == set(before[2])
    _assert_rollups_equal_a_rebuild(sessions)


def test_a_second_ingest_of_the_same_item_keeps_its_correction(
    sessions, stored, feed_server, tagger
):
    missile = stored["m1"]
    _label(sessions, missile, analyst="alice", relevant=False, add=("jk_cooperation",))
    corrected = _tags(sessions, missile)
    # The same feed again, unchanged: nothing to store.
    _ingest(sessions, feed_server, tagger, [MISSILE, TALKS, MARKET])
    assert _tags(sessions, missile) == corrected
    # The publisher edits the item: it is re-tagged and stored again, correction on top.
    edited = Story(
        guid=MISSILE.guid,
        title=MISSILE.title,
        link=MISSILE.link,
        published=PUBLISHED,
        description="Japan's defence ministry said the missile fell outside its EEZ.",
    )
    _ingest(sessions, feed_server, tagger, [edited, TALKS, MARKET])
    relevant, relevance, themes = _tags(sessions, missile)
    with sessions() as s:
        assert s.scalar(select(Item.summary).where(Item.id == missile)) == edited.description
        kept = correction_store.corrections_for(s, [missile])[missile]
    assert not relevant and relevance < 0.5
    assert {"term": "corrected by alice", "field": "analyst", "count": 1} in themes[
        "jk_cooperation"
    ]
    assert kept.tagger.relevant and "nk_weapons" in {t.theme_id for t in kept.tagger.themes}
    _assert_rollups_equal_a_rebuild(sessions)


def test_a_reset_restores_the_tagger_output_and_the_rollups(sessions, stored):
    missile = stored["m1"]
    original = _tags(sessions, missile)
    _label(sessions, missile, analyst="alice", relevant=False, remove=("nk_weapons",))
    with sessions.begin() as s:
        result = labels.reset_item(s, missile, "alice")
    assert result.changed and result.correction is None
    assert _tags(sessions, missile) == original
    with sessions() as s:
        assert s.get(ItemCorrection, missile) is None
        assert [e.action for e in correction_store.history(s, missile)] == ["label", "reset"]
    _assert_rollups_equal_a_rebuild(sessions)


@pytest.mark.parametrize(
    ("item", "change", "message"),
    [
        (10_000, {"relevant": False}, "no item with id 10000"),
        (None, {"add": ("no_such_theme",)}, "unknown theme id 'no_such_theme'"),
        (None, {"remove": ("nope",)}, "unknown theme id 'nope'"),
        (
            None,
            {"add": ("history_disputes",), "remove": ("history_disputes",)},
            "both added and removed",
        ),
    ],
)
def test_an_unknown_id_changes_nothing(sessions, stored, item, change, message):
    item_id = item or stored["m1"]
    with sessions() as s:
        before = (_tags(sessions, stored["m1"]), s.scalar(select(func.count(CorrectionLog.id))))
    with pytest.raises(labels.LabelError, match=message), sessions.begin() as s:
        labels.label_item(s, item_id, LabelChange(analyst="alice", **change))
    with sessions() as s:
        after = (_tags(sessions, stored["m1"]), s.scalar(select(func.count(CorrectionLog.id))))
        assert s.scalar(select(func.count()).select_from(ItemCorrection)) == 0
    assert after == before


def test_export_flags_corrected_items_and_labels_export_lists_only_them(sessions, stored):
    _label(sessions, stored["s1"], analyst="bob", relevant=True, add=("history_disputes",))
    _label(sessions, stored["m1"], analyst="bob", relevant=False)
    with sessions() as s:
        flags = {row.id: row.corrected for row in iter_items(s, ExportFilter())}
        rows = [row.to_json() for row in labels.labelled_items(s)]
    assert flags == {stored["m1"]: True, stored["t1"]: False, stored["s1"]: True}
    assert [row["id"] for row in rows] == [stored["m1"], stored["s1"]]
    missile, market = rows
    assert missile["relevant"] is False and missile["themes"] == []
    assert market["relevant"] is True and "history_disputes" in market["themes"]
    assert market["url"] == MARKET.link and market["title"] == MARKET.title
