"""Collecting the news: fetch, parse, normalise, dedupe, tag, and the pipeline and scheduler that drive those stages (writes through ``jkwatch.db``)."""
