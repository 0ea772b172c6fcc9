"""The shipped defaults (taxonomy, feeds), installed as package data; see ``jkwatch.config``."""
