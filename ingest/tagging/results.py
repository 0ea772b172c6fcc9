"""Result values of tagging: what storage persists and the `jkwatch tag` contract prints.

Plain frozen dataclasses so they cross the ingest -> db boundary unchanged; `to_json()` gives the
dict shapes of the CLI contract (`{"id", "score", "evidence": [{"term", "field", "count"}]}`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
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


# Fast builders for the two values the tagger creates for nearly every item. The generated
# __init__ of a frozen dataclass sets each field through object.__setattr__; writing the slots
# through their descriptors gives the same object (fields, equality, hash, repr) in about half
# the time. Only for classes without __post_init__ (checked below, at import). The slot
# descriptors are read from the class dict: they are what `ThemeScore.score` is at run time.
_new = object.__new__
_set_theme_id, _set_score, _set_evidence = (
    vars(ThemeScore)[name].__set__ for name in ("theme_id", "score", "evidence")
)
_set_relevance, _set_relevant, _set_themes = (
    vars(TagResult)[name].__set__ for name in ("relevance", "relevant", "themes")
)
assert not hasattr(ThemeScore, "__post_init__") and not hasattr(TagResult, "__post_init__")
assert [f.name for f in fields(ThemeScore)] == ["theme_id", "score", "evidence"]
assert [f.name for f in fields(TagResult)] == ["relevance", "relevant", "themes"]


def build_theme_score(theme_id: str, score: float, evidence: tuple[Evidence, ...]) -> ThemeScore:
    """`ThemeScore(theme_id, score, evidence)`, built without the dataclass __init__."""
    value = _new(ThemeScore)
    _set_theme_id(value, theme_id)
    _set_score(value, score)
    _set_evidence(value, evidence)
    return value


def build_tag_result(relevance: float, relevant: bool, themes: tuple[ThemeScore, ...]) -> TagResult:
    """`TagResult(relevance, relevant, themes)`, built without the dataclass __init__."""
    value = _new(TagResult)
    _set_relevance(value, relevance)
    _set_relevant(value, relevant)
    _set_themes(value, themes)
    return value
