"""Story clustering quality on every labelled set ``tests/data/stories_*.jsonl``.

Each set has a floor (pairwise precision, pairwise F1, B³ F1); a set this file does not know
gets the default floor. Gold stories are same-language (an event's items in one language;
see ``ingest.stories.evaluation.gold_clusters``). Thresholds were tuned on the dev set only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jkwatch.ingest.stories import Doc, cluster, features
from jkwatch.ingest.stories.evaluation import Scores, gold_clusters, load_set, score

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_FLOOR = {"precision": 0.75, "f1": 0.60, "b3_f1": 0.85}
FLOORS: dict[str, dict[str, float]] = {
    # measured: P 0.895, F1 0.883, B3 F1 0.980
    "stories_dev.jsonl": {"precision": 0.85, "f1": 0.83, "b3_f1": 0.95},
    # written by another writer, never looked at while tuning; scored once when it was added
    # (2026-12-06): P 0.865, R 0.738, F1 0.796, B3 F1 0.943. The floor leaves room for noise, not
    # for tuning on it.
    "stories_blind.jsonl": {"precision": 0.80, "f1": 0.72, "b3_f1": 0.92},
    # measured: P 1.000, F1 0.919, B3 F1 0.971 (small: the unit tests' own set)
    "stories_mini.jsonl": {"precision": 0.95, "f1": 0.85, "b3_f1": 0.93},
}
SETS = sorted(p for p in DATA.glob("stories_*.jsonl") if not p.name.startswith("stories_xlang_"))
"""The cross-language sets have their own test (``test_stories_xlang_quality``): one or two
items per language and event, gold stories across languages."""


def _scores(path: Path) -> Scores:
    items = load_set(path)
    docs = [
        Doc(n, item.published_at, item.lang, features(item.title, item.summary, item.lang))
        for n, item in enumerate(items, start=1)
    ]
    predicted = {items[a.item_id - 1].id: a.story_id for a in cluster(docs)}
    return score(gold_clusters(items), predicted)


@pytest.mark.slow
@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_each_labelled_set_clusters_above_its_floor(path: Path) -> None:
    floor = FLOORS.get(path.name, DEFAULT_FLOOR)
    scores = _scores(path)
    assert scores.precision >= floor["precision"], scores.describe()
    assert scores.f1 >= floor["f1"], scores.describe()
    assert scores.b3_f1 >= floor["b3_f1"], scores.describe()


def test_the_dev_set_is_present() -> None:
    assert (DATA / "stories_dev.jsonl").exists()
