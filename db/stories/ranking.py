"""How a story ranks in a range: the coverage it drew, as one score and one sentence.

``score = (outlets + 0.25 x (items - outlets) + (languages - 1)) x (0.5 + 0.5 x mean
relevance)``: each distinct outlet counts one, each further copy or follow-up a quarter, each
further language one, and the whole is scaled by how relevant its items are (a story of
items at relevance 1.0 keeps its full coverage, one at 0.0 half of it). Ties rank the
earlier story (smaller id) first. The figures are those of the story's items inside the range.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Coverage:
    items: int
    outlets: int
    languages: int
    relevance_sum: float

    @property
    def mean_relevance(self) -> float:
        return self.relevance_sum / self.items if self.items else 0.0


def story_score(coverage: Coverage) -> float:
    breadth = (
        coverage.outlets
        + 0.25 * (coverage.items - coverage.outlets)
        + max(0, coverage.languages - 1)
    )
    return round(breadth * (0.5 + 0.5 * coverage.mean_relevance), 4)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def story_why(coverage: Coverage, score: float) -> str:
    """One sentence stating the figures behind ``score``."""
    return (
        f"Covered by {_plural(coverage.outlets, 'outlet')} with "
        f"{_plural(coverage.items, 'item')} in {_plural(coverage.languages, 'language')} "
        f"(mean relevance {coverage.mean_relevance:.2f}): score {score:.2f}."
    )
