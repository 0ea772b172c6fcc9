"""The tagger's outputs, pinned: speed work on the matcher or scorer must not change one bit.

`data/tagging_golden.jsonl.gz` holds inputs with the exact `repr` of what `Tagger.tag` (and, for
every eighth input, `Tagger.explain`) returned for them before the tagger was optimised, against
a frozen copy of the taxonomy (`data/tagging_golden_themes.toml`), so edits to
`config/themes.toml` do not touch it. The inputs: the labelled sets (as given, and with a second
summary and a body added), and generated adversarial text built from the taxonomy's own terms
(full-width and half-width forms, case, plurals and inflections, punctuation at word edges, terms
glued to CJK, exclusion phrases, repeats past the caps, odd Unicode, empty fields, long texts),
with and without a language hint.

A deliberate change of tagging behaviour must regenerate the file; a speed-up must not.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from jkwatch.ingest.tagging import Tagger, load_taxonomy

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "tagging_golden.jsonl.gz"
TAXONOMY = DATA / "tagging_golden_themes.toml"


@pytest.fixture(scope="module")
def golden() -> list[dict]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy(TAXONOMY))


def _mismatches(golden: list[dict], tagger: Tagger, key: str) -> list[str]:
    out = []
    for index, case in enumerate(golden):
        if key not in case:
            continue
        method = tagger.tag if key == "tag" else tagger.explain
        got = repr(method(case["title"], case["summary"], case["body"], case["lang"]))
        if got != case[key]:
            out.append(f"#{index} {case['title'][:60]!r}\n  want {case[key]}\n  got  {got}")
    return out


def test_the_golden_set_covers_the_hard_paths(golden: list[dict]) -> None:
    tags = [case["tag"] for case in golden]
    assert len(golden) > 1000
    assert sum("themes=()" not in tag for tag in tags) > 300  # themed results with evidence
    assert any("count=3" in tag for tag in tags)  # repeat caps
    assert sum(case["lang"] is None for case in golden) > 300  # language detection
    assert any(case["body"] for case in golden)


def test_tag_outputs_are_unchanged_to_the_last_bit(golden: list[dict], tagger: Tagger) -> None:
    bad = _mismatches(golden, tagger, "tag")
    assert not bad, f"{len(bad)} changed results, first ones:\n" + "\n".join(bad[:5])


def test_explanations_are_unchanged(golden: list[dict], tagger: Tagger) -> None:
    bad = _mismatches(golden, tagger, "explain")
    assert not bad, f"{len(bad)} changed explanations, first ones:\n" + "\n".join(bad[:5])


def test_tagging_the_same_item_twice_gives_the_same_result(
    golden: list[dict], tagger: Tagger
) -> None:
    # Interned values and caches must not leak state from one item into the next.
    for case in golden[:200]:
        args = (case["title"], case["summary"], case["body"], case["lang"])
        first = tagger.tag(*args)
        assert tagger.tag(*args) == first
        assert repr(first) == case["tag"]
