"""``retag``: every stored item gets the current taxonomy's tags; rollups stay exact."""

from __future__ import annotations

from sqlalchemy import func, select

from jkwatch.cli.main import cli
from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.models import DailyThemeCount, Item, ItemTheme
from jkwatch.db.themes import get_meta
from jkwatch.ingest.retag import TAXONOMY_META_KEY, retag_all
from jkwatch.ingest.tag_values import sync_taxonomy
from jkwatch.ingest.tagging import load_taxonomy
from tests.factories import entry, feed_spec

HEADLINES = [
    ("North Korea fires ballistic missile into East Sea, JCS says", "en"),
    ("北朝鮮が弾道ミサイル発射、防衛省発表", "ja"),
    ("北, 동해상으로 탄도미사일 발사…합참", "ko"),
    ("Samsung shares rise as chip demand recovers", "en"),
    ("Japan and South Korea agree to resume defence ministers' talks", "en"),
]


def _store_untagged(sessions) -> list[int]:
    taxonomy = load_taxonomy()
    with sessions.begin() as s:
        sync_taxonomy(s, taxonomy)
        feed, _ = feed_store.upsert_feed(s, feed_spec())
        batch = [
            entry(f"k{i}", title=title, summary="", themes=(), relevance=0.0, language=lang)
            for i, (title, lang) in enumerate(HEADLINES)
        ]
        return list(item_store.store_entries(s, feed, batch).new_ids)


def test_retag_tags_every_item_and_keeps_rollups_exact(sessions):
    ids = _store_untagged(sessions)
    taxonomy = load_taxonomy()
    report = retag_all(sessions, taxonomy, batch_size=2)
    assert report.items == len(ids) and report.batches == 3
    with sessions.begin() as s:
        tagged = dict(s.execute(select(Item.id, Item.relevant)).all())
        themes = set(s.execute(select(ItemTheme.item_id, ItemTheme.theme_id)).all())
        per_theme = dict(
            s.execute(select(ItemTheme.theme_id, func.count()).group_by(ItemTheme.theme_id)).all()
        )
        rolled = dict(
            s.execute(
                select(DailyThemeCount.theme_id, func.sum(DailyThemeCount.items)).group_by(
                    DailyThemeCount.theme_id
                )
            ).all()
        )
        assert get_meta(s, TAXONOMY_META_KEY) == taxonomy.fingerprint
        assert set(s.scalars(select(Item.tagged_with))) == {taxonomy.fingerprint}
    assert tagged[ids[0]] and tagged[ids[1]] and tagged[ids[2]] and not tagged[ids[3]]
    assert (ids[0], "nk_weapons") in themes and (ids[2], "nk_weapons") in themes
    assert {k: int(v) for k, v in rolled.items()} == per_theme


def test_retag_only_stale_skips_items_already_current(sessions):
    _store_untagged(sessions)
    taxonomy = load_taxonomy()
    retag_all(sessions, taxonomy)
    again = retag_all(sessions, taxonomy, only_stale=True)
    assert again.items == 0


def test_retag_command_reports_the_items_it_retagged(sqlite_url):
    from click.testing import CliRunner

    from jkwatch.db.engine import make_engine, make_sessionmaker
    from jkwatch.db.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    _store_untagged(make_sessionmaker(engine))
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "retag", "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"retagged {len(HEADLINES)} items" in result.output


def test_retag_with_a_broken_taxonomy_names_the_problem_and_exits_2(sqlite_url, tmp_path):
    from click.testing import CliRunner

    bad = tmp_path / "themes.toml"
    bad.write_text("version = 1\n[[themes]]\nid = 'nope'\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", sqlite_url, "retag", "--themes", str(bad)])
    assert result.exit_code == 2
    assert "error:" in result.output and "themes.toml" in result.output


def test_a_second_retag_with_the_same_taxonomy_rewrites_nothing(sessions):
    ids = _store_untagged(sessions)
    taxonomy = load_taxonomy()
    first = retag_all(sessions, taxonomy)
    with sessions.begin() as s:
        before = sorted(
            s.execute(select(ItemTheme.item_id, ItemTheme.theme_id, ItemTheme.score)).all()
        )
    second = retag_all(sessions, taxonomy)
    with sessions.begin() as s:
        after = sorted(
            s.execute(select(ItemTheme.item_id, ItemTheme.theme_id, ItemTheme.score)).all()
        )
    assert first.changed > 0
    assert second.items == len(ids) and second.changed == 0
    assert before == after
