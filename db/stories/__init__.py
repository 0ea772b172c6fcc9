"""Stories in storage: the members of each story, range reads, and analyst corrections.

* ``reads``: ``stories_in_range``, ``story_detail``, ``story_id_of_item`` (the shared contract
  of issue 15; frozen ``StorySummary`` / ``StoryDetail`` values from ``jkwatch.model``).
* ``ranking``: the score of a story in a range and the sentence that explains it.
* ``writes``: the clustering's assignments stored (``save_assignments``), the whole-story rows
  recomputed, copied item columns refreshed.
* ``inputs``: what the clustering reads (items to cluster, members nearby with their terms,
  story starts) and the analyst's story corrections (``add_correction``).

Every function takes the caller's session first and never commits.
"""

from jkwatch.db.stories.reads import stories_in_range, story_detail, story_id_of_item

__all__ = ["stories_in_range", "story_detail", "story_id_of_item"]
