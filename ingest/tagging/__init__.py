"""Theme tagging: taxonomy loading and validation, matching, relevance, evidence, evaluation.

Pure: the only I/O is reading the taxonomy TOML. Typical use::

    tagger = Tagger(load_taxonomy())          # build once: compiles one automaton
    result = tagger.tag(title, summary, lang="ko")
    result.relevant, result.relevance, [t.to_json() for t in result.themes]
"""

from __future__ import annotations

from pathlib import Path

from ingest.tagging import native

# Before anything imports the compiled modules: run their source where a build is stale.
native.select(__name__, Path(__file__).resolve().parent)

from ingest.tagging.results import FIELDS, Evidence, TagResult, ThemeScore
from ingest.tagging.schema import (
    DEFAULT_PATH,
    ENV_VAR,
    LANGS,
    THEME_IDS,
    TaggingError,
    Taxonomy,
    TaxonomyError,
    Theme,
)
from ingest.tagging.tagger import Explanation, Tagger, tag_many
from ingest.tagging.taxonomy import load_taxonomy, parse_taxonomy

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
    "load_taxonomy",
    "parse_taxonomy",
    "tag_many",
]
