"""The labelling guide's entry for one theme, shown on the theme-detail page.

The guide (docs/themes.md, shipped as `labelling-guide.md` beside the default taxonomy) is the
rule book analysts correct tags by; showing a theme's "covers / does not cover / borderline"
next to its numbers lets a reader judge what the count means. It is the project's own text, not
feed text, so it may be rendered as Markdown.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jkwatch.config import shipped

__all__ = ["GUIDE_NAME", "theme_section"]

GUIDE_NAME = "labelling-guide.md"
_HEADING = re.compile(r"^### `(?P<id>[a-z_]+)`", re.MULTILINE)


@lru_cache(maxsize=1)
def _sections() -> dict[str, str]:
    try:
        text = shipped(GUIDE_NAME).read_text(encoding="utf-8")
    except OSError:
        return {}
    starts = list(_HEADING.finditer(text))
    sections = {}
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        body = text[match.end() : end]
        body = body.split("\n## ", 1)[0]  # the last theme stops at the next chapter
        _, _, body = body.partition("\n")  # drop the rest of the heading line
        sections[match["id"]] = body.strip()
    return sections


def theme_section(theme_id: str) -> str | None:
    """The guide's text for `theme_id` (what it covers, does not, borderline cases), if any."""
    return _sections().get(theme_id)
