"""Scores of a story clustering against a gold standard: pairwise P/R/F1 and B³ F1.

Gold and predicted clusterings map item ids to a cluster key; an item whose gold ``event`` is
null is a singleton (its own key). Pairwise: over all pairs of items, a pair is positive
when both items share a cluster; precision = shared-in-both / shared-in-predicted, recall =
shared-in-both / shared-in-gold (1.0 when the denominator is empty). B³: per item, precision
is the share of its predicted cluster that is in its gold cluster, recall the share of its
gold cluster found in its predicted cluster; both averaged over items, F1 of the averages.

``load_set`` reads a ``tests/data/stories_*.jsonl`` file: one JSON object per line with
``id, event, lang, outlet, published_at, title, summary``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class LabelledItem:
    id: str
    event: str | None
    lang: str
    outlet: str
    published_at: datetime
    title: str
    summary: str


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    b3_precision: float
    b3_recall: float
    b3_f1: float

    def describe(self) -> str:
        return (
            f"pairwise P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f}; "
            f"B3 P {self.b3_precision:.3f} R {self.b3_recall:.3f} F1 {self.b3_f1:.3f}"
        )


def load_set(path: Path) -> list[LabelledItem]:
    out: list[LabelledItem] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        published = datetime.fromisoformat(str(row["published_at"]).replace("Z", "+00:00"))
        out.append(
            LabelledItem(
                id=str(row["id"]),
                event=row.get("event"),
                lang=str(row.get("lang") or "und"),
                outlet=str(row.get("outlet") or ""),
                published_at=published,
                title=str(row.get("title") or ""),
                summary=str(row.get("summary") or ""),
            )
        )
    return out


def gold_clusters(items: list[LabelledItem], *, per_language: bool = True) -> dict[str, Hashable]:
    """Item id -> gold cluster. Stories are same-language by definition (cross-language
    linking is a later issue), so by default an event's items in one language are one gold
    story; ``per_language=False`` scores against the event across languages (for
    information: the recall a cross-language linker would have to add)."""
    out: dict[str, Hashable] = {}
    for item in items:
        if item.event is None:
            out[item.id] = ("single", item.id)
        else:
            out[item.id] = (item.event, item.lang) if per_language else item.event
    return out


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _groups(labels: Mapping[str, Hashable]) -> dict[Hashable, set[str]]:
    groups: dict[Hashable, set[str]] = defaultdict(set)
    for item, key in labels.items():
        groups[key].add(item)
    return groups


def score(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> Scores:
    """Scores of ``predicted`` against ``gold`` over the items of ``gold``."""
    items = sorted(gold)
    pred = {item: predicted.get(item, ("missing", item)) for item in items}
    gold_groups, pred_groups = _groups(gold), _groups(pred)

    def pairs(groups: dict[Hashable, set[str]]) -> int:
        return sum(len(g) * (len(g) - 1) // 2 for g in groups.values())

    both = 0
    for group in pred_groups.values():
        counts: dict[Hashable, int] = defaultdict(int)
        for item in group:
            counts[gold[item]] += 1
        both += sum(n * (n - 1) // 2 for n in counts.values())
    pred_pairs, gold_pairs = pairs(pred_groups), pairs(gold_groups)
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / gold_pairs if gold_pairs else 1.0

    b3_p = b3_r = 0.0
    for item in items:
        mine = pred_groups[pred[item]]
        truth = gold_groups[gold[item]]
        overlap = len(mine & truth)
        b3_p += overlap / len(mine)
        b3_r += overlap / len(truth)
    n = len(items) or 1
    b3_p, b3_r = b3_p / n, b3_r / n
    return Scores(precision, recall, _f1(precision, recall), b3_p, b3_r, _f1(b3_p, b3_r))
