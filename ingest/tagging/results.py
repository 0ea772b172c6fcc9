"""Result values of tagging: what storage persists and the `jkwatch tag` contract prints.

Plain frozen dataclasses so they cross the ingest -> db boundary unchanged; `to_json()` gives the
dict shapes of the CLI contract (`{"id", "score", "evidence": [{"term", "field", "count"}]}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FIELDS", "Evidence", "TagResult", "ThemeScore"]

#: Item fields evidence can come from, in weight order.
FIELDS: tuple[str, ...] = ("title", "summary", "body")


@dataclass(frozen=True, slots=True)
class Evidence:
    """`term` (as written in the taxonomy) matched `count` times in `field`."""

    term: str
    field: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"term": self.term, "field": self.field, "count": self.count}


@dataclass(frozen=True, slots=True)
class ThemeScore:
    """A theme assigned to an item: score in [0, 1] (3 decimals) and the evidence behind it."""

    theme_id: str
    score: float
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.theme_id,
            "score": self.score,
            "evidence": [evidence.to_json() for evidence in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class TagResult:
    """Relevance of an item to Japan/Korea security, and its themes (highest score first).

    `themes` is filled even when the item is not relevant: storage keeps them and readers filter
    on `relevant`. The CLI contract prints themes only for relevant items (`to_json`).
    """

    relevance: float
    relevant: bool
    themes: tuple[ThemeScore, ...]

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(theme.theme_id for theme in self.themes)

    def to_json(self, *, all_themes: bool = False) -> dict[str, Any]:
        """The contract dict; themes are empty for irrelevant items unless `all_themes`."""
        themes = self.themes if (self.relevant or all_themes) else ()
        return {
            "relevant": self.relevant,
            "relevance": self.relevance,
            "themes": [theme.to_json() for theme in themes],
        }
