"""Stories: items about the same event across outlets and languages (pure).

* ``features``: the words an item is recognised by (nouns from the tagger's analysers for
  Japanese and Korean, English content words).
* ``cluster``: the deterministic, explainable clustering (IDF-weighted similarity, a
  threshold, shared specific words, the 72-hour window, near-duplicates kept together,
  analyst splits and merges) and the representative headline.
* ``crosslang``: the cross-language link (shared gazetteer entities and a theme, weighted by
  entity type, a shorter window) and its explanation.
* ``evaluation``: pairwise and B³ scores against a labelled set.

Nothing here imports storage; ``jkwatch.ingest.story_builder`` reads and writes the database
around it.
"""

from jkwatch.ingest.stories.cluster import Doc, Settings, cluster
from jkwatch.ingest.stories.features import features

__all__ = ["Doc", "Settings", "cluster", "features"]
