"""Cross-language story quality on ``tests/data/stories_xlang_*.jsonl``: gold stories are whole
events across languages; entities are given per item (ids and the names used), with their
types below (gazetteer facts, not tuning). The constants were tuned on the dev set only; the
blind set was scored once, after tuning ended."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jkwatch.ingest.stories import Doc, Settings, cluster, features
from jkwatch.ingest.stories.evaluation import Scores, gold_clusters, load_set, score

DATA = Path(__file__).resolve().parent / "data"
TYPES = {
    **dict.fromkeys(
        ["ishiba", "lee_jae_myung", "albanese", "trump", "nakatani", "ahn_gyu_back", "marcos",
         "hayashi"],
        "person",
    ),
    **dict.fromkeys(
        ["east_sea", "dokdo", "yasukuni", "yonaguni", "hokkaido", "okinawa", "yellow_sea",
         "hiroshima", "seongju", "guam", "nll"],
        "place",
    ),
    **dict.fromkeys(
        ["hwasong_18", "kn_23", "liaoning", "mogami_frigate", "thaad", "tomahawk", "aegis"],
        "weapon",
    ),
    **dict.fromkeys(["gsomia", "camp_david", "raa", "ncg"], "agreement"),
    **dict.fromkeys(["mod_japan", "mofa_korea", "j_alert", "jcg"], "organization"),
    **dict.fromkeys(["jcs", "freedom_edge", "usfk", "msdf"], "military"),
    **dict.fromkeys(["japan", "south_korea", "north_korea", "china", "usa", "australia"], "country"),
}  # fmt: skip
FLOORS = {
    # tuned on (threshold 0.4 of a 0.3-0.5 plateau, min_weight 1.1): P 1.000, R 0.756,
    # F1 0.861; B3 F1 0.921 (2026-12-06). Recall lost: reports sharing one entity only.
    "stories_xlang_dev.jsonl": {"precision": 0.95, "f1": 0.82, "b3_f1": 0.90},
    # scored once, after tuning ended (2026-12-06): P 1.000, R 0.636, F1 0.778; B3 F1 0.881.
    # Written before tuning and never looked at item by item; the floor leaves room for noise.
    "stories_xlang_blind.jsonl": {"precision": 0.85, "f1": 0.70, "b3_f1": 0.83},
}
SETS = sorted(DATA.glob("stories_xlang_*.jsonl"))


def _background() -> list[Doc]:
    """The same-language dev set (other dates, no entities) as the surrounding pool: word
    weights in a pool of a few dozen headlines would make "japan" a rare word."""
    return [
        Doc(10_000 + n, item.published_at, item.lang, features(item.title, item.summary, item.lang))
        for n, item in enumerate(load_set(DATA / "stories_dev.jsonl"))
    ]


def _scores(path: Path, settings: Settings | None = None) -> Scores:
    items = load_set(path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    docs = []
    for n, (item, row) in enumerate(zip(items, rows, strict=True), start=1):
        names = tuple((e, tuple(v)) for e, v in sorted(row["entities"].items()))
        docs.append(
            Doc(
                n,
                item.published_at,
                item.lang,
                features(item.title, item.summary, item.lang),
                entities=tuple(e for e, _ in names),
                themes=tuple(row["themes"]),
                entity_names=names,
            )
        )
    assignments = cluster([*docs, *_background()], settings=settings, entity_types=TYPES)
    predicted = {
        items[a.item_id - 1].id: a.story_id for a in assignments if a.item_id <= len(items)
    }
    return score(gold_clusters(items, per_language=False), predicted)


@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_each_cross_language_set_links_its_events_above_its_floor(path: Path) -> None:
    floor = FLOORS[path.name]
    scores = _scores(path)
    assert scores.precision >= floor["precision"], scores.describe()
    assert scores.f1 >= floor["f1"], scores.describe()
    assert scores.b3_f1 >= floor["b3_f1"], scores.describe()


def test_every_entity_of_the_sets_has_a_type() -> None:
    for path in SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            assert set(json.loads(line)["entities"]) <= set(TYPES), line
