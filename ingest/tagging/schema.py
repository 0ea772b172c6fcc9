"""The taxonomy's value types: terms, themes, scoring settings, and the fixed theme ids.

Split from `taxonomy` (which loads and validates the file) so the immutable values the matcher and
tagger compile from live apart from the hand-edited file's validation rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jkwatch.config import shipped

if TYPE_CHECKING:  # learned.py imports this module for TaxonomyError
    from jkwatch.ingest.tagging.learned import LearnedModel

__all__ = [
    "DEFAULT_PATH",
    "ENV_VAR",
    "LANGS",
    "THEME_IDS",
    "RelevanceConfig",
    "ScoringConfig",
    "TaggingError",
    "Taxonomy",
    "TaxonomyError",
    "Term",
    "Theme",
]

#: The fixed theme ids, in display order. Dashboards, exports and evaluations rely on them.
THEME_IDS: tuple[str, ...] = (
    "jk_cooperation",
    "collective_security",
    "us_alliance",
    "nk_weapons",
    "inter_korean",
    "russia_nk",
    "china_pressure",
    "taiwan_strait",
    "missile_defense",
    "defense_buildup",
    "security_autonomy",
    "history_disputes",
    "ukraine_war",
    "defense_industry",
)
LANGS: tuple[str, ...] = ("en", "ja", "ko")
ENV_VAR = "JKWATCH_THEMES"
DEFAULT_PATH = shipped("themes.toml")
"""The taxonomy that ships with jkwatch; ``load_taxonomy()`` prefers the user's (jkwatch.config)."""


class TaggingError(Exception):
    """Base class for errors raised by the tagging package."""


class TaxonomyError(TaggingError, ValueError):
    """The taxonomy file is missing, unreadable or invalid; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Term:
    """One term as written in the file: `text` is what evidence shows, `weight` its strength."""

    text: str
    lang: str
    weight: float = 1.0
    exact: bool = False  # English only: no generated plural/-ed/-ing forms
    # Theme terms only: the term counts for its theme only when the item also matches the
    # theme's anchors (a generic word such as "missile" stands for North Korea's programme
    # only beside a North Korea anchor).
    needs_anchor: bool = False


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    label: str
    description: str
    terms: tuple[Term, ...]
    exclude: tuple[Term, ...] = ()
    # How much of this theme's evidence stands in for a named actor in relevance (None: the
    # [relevance] default). 0 for themes about third parties, e.g. the war in Ukraine itself.
    actor_share: float | None = None
    # Anchor groups: a `needs_anchor` term counts only when every group has a match anywhere
    # in the item (title, summary or body). Empty: the theme has no context rules.
    anchors: tuple[tuple[Term, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class RelevanceConfig:
    """How actor, security and off-topic evidence combine into a relevance score."""

    threshold: float
    actor_scale: float
    security_scale: float
    theme_share: float
    off_topic_penalty: float
    theme_actor_share: float
    actors: tuple[Term, ...]
    security: tuple[Term, ...]
    off_topic: tuple[Term, ...]
    exclude: tuple[Term, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Field weights and the squashing of raw theme evidence into [0, 1] scores."""

    title: float = 1.0
    summary: float = 0.75
    body: float = 0.5
    repeat_bonus: float = 0.25
    max_repeats: float = 2.0
    theme_scale: float = 2.0
    theme_threshold: float = 0.5
    # A theme without title evidence, when the strongest theme has some, needs at least this
    # share of the strongest theme's raw evidence (0: no such rule).
    secondary_share: float = 0.0


@dataclass(frozen=True, slots=True)
class Taxonomy:
    version: int
    themes: tuple[Theme, ...]
    relevance: RelevanceConfig
    scoring: ScoringConfig
    fingerprint: str
    source: str = "themes.toml"
    # The learned layer (`[learned]` in the file; see `learned.py`), when one is configured.
    learned: LearnedModel | None = None

    @property
    def theme_ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)
