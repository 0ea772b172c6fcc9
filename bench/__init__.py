"""Benchmarks for jkwatch (``make bench``; not part of ``make test``)."""
