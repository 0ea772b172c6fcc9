"""Storage layer of jkwatch: engine, schema, migrations and the read/write functions.

Everything outside ``db`` talks to storage through the functions in ``db.feeds``,
``db.items``, ``db.queries`` and the frozen dataclasses in ``db.records``; ORM objects
never leave this package. ``db`` imports neither ``ingest`` nor ``dashboard``.
"""
