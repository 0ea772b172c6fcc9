"""Theme tagging: taxonomy loading and validation, matching, relevance, evidence, evaluation.

Pure: the only I/O is reading the taxonomy TOML. Typical use::

    tagger = Tagger(load_taxonomy())          # build once: compiles one automaton
    result = tagger.tag(title, summary, lang="ko")
    result.relevant, result.relevance, [t.to_json() for t in result.themes]
"""

from __future__ import annotations

from jkwatch.ingest.tagging.results import FIELDS, Evidence, TagResult, ThemeScore
from jkwatch.ingest.tagging.schema import (
    DEFAULT_PATH,
    ENV_VAR,
    LANGS,
    THEME_IDS,
    TaggingError,
    Taxonomy,
    TaxonomyError,
    Theme,
)
from jkwatch.ingest.tagging.shared import configured_tagger
from jkwatch.ingest.tagging.tagger import Explanation, Tagger, tag_many
from jkwatch.ingest.tagging.taxonomy import load_taxonomy, parse_taxonomy

__all__ = [
    "DEFAULT_PATH",
    "ENV_VAR",
    "FIELDS",
    "LANGS",
    "THEME_IDS",
    "Evidence",
    "Explanation",
    "TagResult",
    "Tagger",
    "TaggingError",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "ThemeScore",
    "configured_tagger",
    "load_taxonomy",
    "parse_taxonomy",
    "tag_many",
]
