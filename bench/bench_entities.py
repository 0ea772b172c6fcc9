"""What entity matching adds to the tagging stage, per item, on one core.

Items are the tagging benchmark's (``bench.bench_tagging.sample_items``: the labelled sets'
English, Japanese and Korean wire copy, distinct title + summary pairs). Both stages run as the
pipeline runs them: ``Tagger.tag`` and ``EntityMatcher.match`` on the same title and summary;
the analysers are loaded first (loading Kiwi takes seconds once per process, not per item),
and their caches are emptied before every timed run, as for new items, which nobody has
analysed yet. Timing is CPU time of this process, median of ``--runs`` interleaved runs.

Target: matching adds at most 20% to the tagger's time (the stage it runs beside).

    python -m bench.bench_entities [--items 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics

from bench.bench_tagging import cpu_seconds, sample_items
from bench.common import Row, report
from jkwatch.entities import load_gazetteer
from jkwatch.ingest.entities import EntityMatcher
from jkwatch.ingest.tagging import Tagger, load_taxonomy, segment


def forget_analyses() -> None:
    """Empty the analysers' caches: a new item's fields have never been analysed."""
    for cached in (
        segment._cached,
        segment._nouns_cached,
        segment._korean_tokens_cached,
        segment._japanese_tokens_cached,
    ):
        cached.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    gazetteer = load_gazetteer()
    matcher = EntityMatcher(gazetteer)
    tagger = Tagger(load_taxonomy())
    items = sample_items(args.items)
    for lang, title, summary in items[:50]:  # load both analysers before timing
        matcher.match(title, summary, lang)
        tagger.tag(title, summary, "", lang)

    def run_tagger() -> None:
        for lang, title, summary in items:
            tagger.tag(title, summary, "", lang)

    def run_matcher() -> None:
        for lang, title, summary in items:
            matcher.match(title, summary, lang)

    tag_times, match_times = [], []
    for _ in range(args.runs):
        forget_analyses()
        tag_times.append(cpu_seconds(run_tagger))
        forget_analyses()
        match_times.append(cpu_seconds(run_matcher))
    tag_s, match_s = statistics.median(tag_times), statistics.median(match_times)
    named = sum(1 for lang, t, s in items if matcher.match(t, s, lang))
    share = match_s / tag_s
    report(
        "entities",
        [
            Row("items", len(items), "items"),
            Row("gazetteer entities", len(gazetteer), "entities"),
            Row("items naming an entity", round(100 * named / len(items), 1), "%"),
            Row("tagger", round(len(items) / tag_s), "items/s", runs=tag_times),
            Row("entity matcher", round(len(items) / match_s), "items/s", runs=match_times),
            Row("matching / tagging", round(100 * share, 1), "%", "<= 20", share <= 0.20),
        ],
        {"items": args.items, "runs": args.runs},
    )


if __name__ == "__main__":
    main()
