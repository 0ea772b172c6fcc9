"""Scoring the tagger against a labelled set: per-theme and relevance precision/recall/F1.

Pure: `parse_labelled` turns JSON Lines text into `LabelledItem`s and `evaluate` runs a `Tagger`
over them; reading files and printing belong to the CLI. Predicted themes follow the `jkwatch tag`
contract: an item judged irrelevant contributes no themes, and gold themes of irrelevant items are
ignored (the labels say they have none).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jkwatch.ingest.tagging.schema import THEME_IDS
from jkwatch.ingest.tagging.tagger import Explanation, Tagger

__all__ = [
    "ErrorTerm",
    "EvalReport",
    "LabelledItem",
    "Miss",
    "PRF",
    "evaluate",
    "format_report",
    "parse_labelled",
    "report_json",
]

RELEVANCE_CAUSE = "relevance"
"""The ``cause`` of a term behind a false relevant verdict (others name the wrong theme)."""


@dataclass(frozen=True, slots=True)
class LabelledItem:
    id: str
    lang: str | None
    title: str
    summary: str
    relevant: bool
    themes: frozenset[str]


@dataclass(frozen=True, slots=True)
class PRF:
    """Counts and the derived precision, recall and F1 (1.0 when there is nothing to find)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass(frozen=True, slots=True)
class Miss:
    """An item where relevance or the theme set disagreed with the label."""

    item: LabelledItem
    relevance: float
    predicted_relevant: bool
    predicted: tuple[str, ...]
    evidence: str

    @property
    def missing(self) -> tuple[str, ...]:
        gold = self.item.themes if self.item.relevant else frozenset()
        return tuple(t for t in THEME_IDS if t in gold and t not in self.predicted)

    @property
    def extra(self) -> tuple[str, ...]:
        gold = self.item.themes if self.item.relevant else frozenset()
        return tuple(t for t in self.predicted if t not in gold)


@dataclass(frozen=True, slots=True)
class ErrorTerm:
    """A taxonomy term behind `count` errors: a theme wrongly given (`cause` is its id) or a
    false relevant verdict (`cause` is "relevance", the actor and security terms)."""

    term: str
    cause: str
    count: int


@dataclass(frozen=True, slots=True)
class EvalReport:
    items: int
    relevance: PRF
    themes: dict[str, PRF]
    misses: tuple[Miss, ...] = field(default=())
    error_terms: tuple[ErrorTerm, ...] = field(default=())
    """Terms that most often caused false positives, most frequent first."""

    @property
    def micro(self) -> PRF:
        return PRF(
            sum(m.tp for m in self.themes.values()),
            sum(m.fp for m in self.themes.values()),
            sum(m.fn for m in self.themes.values()),
        )

    @property
    def macro_f1(self) -> float:
        scored = [m.f1 for m in self.themes.values() if m.support or m.fp]
        return sum(scored) / len(scored) if scored else 1.0


def parse_labelled(lines: Iterable[str]) -> list[LabelledItem]:
    """Parse labelled JSON Lines; a bad line raises ValueError naming its line number."""
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
            themes = row.get("themes") or []
            unknown = [t for t in themes if t not in THEME_IDS]
            if unknown:
                raise ValueError(f"unknown theme id '{unknown[0]}'")
            items.append(
                LabelledItem(
                    id=str(row.get("id", number)),
                    lang=row.get("lang"),
                    title=str(row["title"]),
                    summary=str(row.get("summary") or ""),
                    relevant=bool(row["relevant"]),
                    themes=frozenset(themes),
                )
            )
        except (ValueError, KeyError, TypeError) as err:
            detail = f"missing field {err}" if isinstance(err, KeyError) else str(err)
            raise ValueError(f"line {number}: {detail}") from err
    return items


def evaluate(tagger: Tagger, items: Sequence[LabelledItem]) -> EvalReport:
    """Tag every item and compare with its labels."""
    rel = [0, 0, 0]
    counts = {theme_id: [0, 0, 0] for theme_id in THEME_IDS}
    misses = []
    causes: Counter[tuple[str, str]] = Counter()
    for item in items:
        explanation = tagger.explain(item.title, item.summary, lang=item.lang)
        result = explanation.result
        predicted = result.theme_ids if result.relevant else ()
        gold = item.themes if item.relevant else frozenset()
        if result.relevant and item.relevant:
            rel[0] += 1
        elif result.relevant:
            rel[1] += 1
        elif item.relevant:
            rel[2] += 1
        for theme_id in THEME_IDS:
            got, want = theme_id in predicted, theme_id in gold
            if got and want:
                counts[theme_id][0] += 1
            elif got:
                counts[theme_id][1] += 1
            elif want:
                counts[theme_id][2] += 1
        if result.relevant != item.relevant or set(predicted) != gold:
            shown = ", ".join(
                f"{name}={value}" for name, value in sorted(explanation.raw.items()) if value
            )
            misses.append(Miss(item, result.relevance, result.relevant, predicted, shown))
            _count_causes(causes, explanation, gold, item.relevant)
    themes = {theme_id: PRF(*c) for theme_id, c in counts.items()}
    ranked = sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))
    error_terms = tuple(ErrorTerm(term, cause, n) for (term, cause), n in ranked)
    return EvalReport(len(items), PRF(*rel), themes, tuple(misses), error_terms)


def _count_causes(
    causes: Counter[tuple[str, str]],
    explanation: Explanation,
    gold: frozenset[str],
    labelled_relevant: bool,
) -> None:
    """Count the terms behind a miss's false positives, once per item and cause."""
    result = explanation.result
    if not result.relevant:
        return  # a false negative: nothing matched wrongly
    found: set[tuple[str, str]] = set()
    for theme in result.themes:
        if theme.theme_id not in gold:
            found.update((e.term, theme.theme_id) for e in theme.evidence)
    if not labelled_relevant:
        for signal in ("actors", "security"):
            found.update((e.term, RELEVANCE_CAUSE) for e in explanation.signals.get(signal, ()))
    causes.update(found)


def format_report(report: EvalReport, misses: int = 20) -> str:
    """A plain-text table of the metrics, then up to `misses` misses."""
    lines = [f"items: {report.items}", "", f"{'theme':<22}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}"]
    for theme_id, m in report.themes.items():
        lines.append(f"{theme_id:<22}{m.precision:>7.3f}{m.recall:>7.3f}{m.f1:>7.3f}{m.support:>6}")
    micro = report.micro
    lines += [
        "",
        f"theme micro   P {micro.precision:.3f}  R {micro.recall:.3f}  F1 {micro.f1:.3f}",
        f"theme macro   F1 {report.macro_f1:.3f}",
        f"relevance     P {report.relevance.precision:.3f}  R {report.relevance.recall:.3f}"
        f"  F1 {report.relevance.f1:.3f}",
        "",
        f"misses: {len(report.misses)}",
    ]
    for miss in report.misses[:misses]:
        item = miss.item
        verdict = ""
        if miss.predicted_relevant != item.relevant:
            verdict = "false positive" if miss.predicted_relevant else "false negative"
            verdict = f" relevance {verdict} ({miss.relevance:.2f})"
        lines.append(f"- {item.id}{verdict}: {item.title}")
        if miss.missing or miss.extra:
            lines.append(
                f"    missing: {', '.join(miss.missing) or '-'}; extra: {', '.join(miss.extra) or '-'}"
            )
        lines.append(f"    raw: {miss.evidence or '-'}")
    if len(report.misses) > misses:
        lines.append(f"... {len(report.misses) - misses} more (use --misses N)")
    if report.error_terms:
        lines += ["", "terms behind the errors (term -> wrong theme, or relevance):"]
        for term in report.error_terms[:ERROR_TERMS_SHOWN]:
            lines.append(f"{term.count:>5}  {term.term} -> {term.cause}")
    return "\n".join(lines)


ERROR_TERMS_SHOWN = 15
"""How many of the terms behind the errors the report lists."""


def report_json(report: EvalReport, misses: int = 20) -> dict[str, Any]:
    """The report as a JSON-ready dict (the same figures as `format_report`)."""

    def prf(m: PRF) -> dict[str, Any]:
        return {
            "precision": round(m.precision, 4),
            "recall": round(m.recall, 4),
            "f1": round(m.f1, 4),
            "tp": m.tp,
            "fp": m.fp,
            "fn": m.fn,
        }

    return {
        "items": report.items,
        "themes": {theme_id: prf(m) for theme_id, m in report.themes.items()},
        "micro": prf(report.micro),
        "macro_f1": round(report.macro_f1, 4),
        "relevance": prf(report.relevance),
        "misses": [
            {
                "id": miss.item.id,
                "title": miss.item.title,
                "relevant": miss.item.relevant,
                "predicted_relevant": miss.predicted_relevant,
                "relevance": miss.relevance,
                "missing": list(miss.missing),
                "extra": list(miss.extra),
                "raw": miss.evidence,
            }
            for miss in report.misses[:misses]
        ],
        "misses_total": len(report.misses),
        "error_terms": [
            {"term": t.term, "cause": t.cause, "count": t.count}
            for t in report.error_terms[:ERROR_TERMS_SHOWN]
        ],
    }
