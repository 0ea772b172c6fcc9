"""A small corpus for entity-aware search: one island dispute reported in three languages, an
unrelated item holding 北 inside another word (北海道), and a gazetteer naming the island.

The items' entities are found by the pipeline's entity matcher (``ingest.entities``) with this
gazetteer and stored with the items by the store step, as ingestion does; ``seed`` checks that
the matcher found exactly the entities planned. Headlines are written for these tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from jkwatch.db import feeds as feed_store
from jkwatch.db import items as item_store
from jkwatch.db.engine import make_engine, make_sessionmaker
from jkwatch.db.migrate import upgrade
from jkwatch.db.themes import ThemeInfo, sync_themes
from jkwatch.entities import load_gazetteer
from jkwatch.ingest.entities import EntityMatcher
from tests.databases import postgres_schema
from tests.factories import entry, feed_spec

GAZETTEER = """
[[entity]]
id = "dokdo"
type = "place"
label = "Dokdo / Takeshima"
en = ["Dokdo", "Takeshima", "Liancourt Rocks"]
ja = ["竹島", "独島"]
ko = ["독도", "獨島"]

[[entity]]
id = "north_korea"
type = "country"
en = ["North Korea", "DPRK"]
ja = ["北朝鮮", "北"]
ko = ["북한", "北"]

[[entity]]
id = "gsomia"
type = "agreement"
en = ["GSOMIA"]
ja = ["軍事情報包括保護協定"]
ko = ["지소미아", "군사정보보호협정"]
"""

START = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Planned:
    key: str
    language: str
    title: str
    summary: str
    hours: int
    """Hours after ``START``: the order of publication."""
    entities: tuple[tuple[str, tuple[str, ...]], ...] = ()
    relevance: float = 0.9

    @property
    def published_at(self) -> datetime:
        return START + timedelta(hours=self.hours)


PLAN = (
    Planned(
        "ko-dokdo-drill",
        "ko",
        "해군, 독도 방어훈련 실시…일본 정부 항의",
        "군은 올해 두 번째 독도 방어훈련을 이틀 일정으로 시작했다.",
        1,
        (("dokdo", ("독도",)),),
    ),
    Planned(
        "ja-takeshima-protest",
        "ja",
        "竹島周辺での韓国軍訓練に政府が抗議",
        "外務省は在日韓国大使館の公使を呼び、訓練の中止を求めた。",
        5,
        (("dokdo", ("竹島",)),),
    ),
    Planned(
        "en-dokdo-drill",
        "en",
        "South Korea holds Dokdo defence drill as Tokyo protests",
        "The two-day exercise near the islets drew a formal protest from Japan.",
        9,
        (("dokdo", ("Dokdo",)),),
    ),
    Planned(
        "en-liancourt-essay",
        "en",
        "Why the Liancourt Rocks still divide Seoul and Tokyo",
        "An essay on the islets and the limits of the two allies' cooperation.",
        27,
        (("dokdo", ("Liancourt Rocks",)),),
        relevance=0.3,
    ),
    Planned(
        "ja-hokkaido-snow",
        "ja",
        "北海道で記録的な大雪、空の便に乱れ",
        "札幌では一晩で60センチの積雪を観測した。",
        17,
    ),
    Planned(
        "ko-gsomia",
        "ko",
        "한일 지소미아 정상화 이후 첫 정보 교환",
        "국방부는 북한 미사일 발사 직후 일본과 정보를 주고받았다고 밝혔다.",
        21,
        (("gsomia", ("지소미아",)), ("north_korea", ("북한",))),
    ),
    Planned(
        "ja-nk-launch",
        "ja",
        "北朝鮮、東岸沖へ短距離弾道ミサイル2発",
        "防衛省によると、いずれも日本の排他的経済水域の外に落下したとみられる。",
        23,
        (("north_korea", ("北朝鮮",)),),
    ),
    Planned(
        "ja-unrelated",
        "ja",
        "防衛省、来年度予算の概算要求を公表",
        "長射程ミサイルの取得費が大きく伸びた。",
        25,
    ),
)

DOKDO = [p.key for p in PLAN if any(e == "dokdo" for e, _ in p.entities)]


def newest_first(keys: list[str]) -> list[str]:
    by_key = {p.key: p for p in PLAN}
    return sorted(keys, key=lambda k: by_key[k].published_at, reverse=True)


def write_gazetteer(directory: Path) -> Path:
    path = directory / "entities.toml"
    path.write_text(GAZETTEER, encoding="utf-8")
    return path


def seed(sessions: sessionmaker[Session], gazetteer: Path) -> dict[str, int]:
    """Store ``PLAN`` (one feed per language) with the entities the matcher finds in it under
    ``gazetteer``; returns item ids by key."""
    matcher = EntityMatcher(load_gazetteer(gazetteer))
    found = {p.key: matcher.match(p.title, p.summary, p.language) for p in PLAN}
    for p in PLAN:
        assert tuple((m.entity_id, m.names) for m in found[p.key]) == p.entities, p.key
    ids: dict[str, int] = {}
    with sessions.begin() as session:
        sync_themes(session, [ThemeInfo("territory", "Territorial disputes", "", 0)])
        for n, language in enumerate(("en", "ja", "ko"), start=1):
            feed = feed_store.upsert_feed(
                session, feed_spec(n, name=f"Outlet {language}", language=language)
            )[0]
            own = [p for p in PLAN if p.language == language]
            batch = [
                entry(
                    p.key,
                    title=p.title,
                    summary=p.summary,
                    published=p.published_at,
                    relevance=p.relevance,
                    themes=("territory",) if p.entities else (),
                    language=p.language,
                    url=f"https://example.{language}/{p.key}",
                    entities=found[p.key],
                )
                for p in own
            ]
            new = item_store.store_entries(session, feed, batch).new_ids
            ids.update(zip([p.key for p in own], new, strict=True))
    return ids


@contextmanager
def seeded_database(backend: str, directory: Path) -> Iterator[tuple[str, dict[str, int], Path]]:
    """A migrated database holding ``PLAN`` for read-only tests: its URL, the item ids by key
    and the gazetteer file."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{directory / 'search.db'}"
        else:
            url = stack.enter_context(postgres_schema())
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        gazetteer = write_gazetteer(directory)
        yield url, seed(make_sessionmaker(engine), gazetteer), gazetteer
