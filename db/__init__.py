"""Storage layer of jkwatch: engine, schema, migrations and the read/write functions by domain.

Everything outside ``db`` talks to storage through the functions of the domain modules below
and the frozen values they return (``jkwatch.model`` and the dataclasses beside each query);
ORM objects never leave this package. Every function takes the caller's session first and
never commits. ``db`` imports neither ``ingest``, ``dashboard`` nor the CLI.

* set-up: ``engine`` (URLs, SQLite pragmas, read-only readers), ``models``, ``types``,
  ``migrate`` and ``migrations/`` (Alembic), ``errors``.
* ``dialect``: every SQLite/PostgreSQL difference as SQLAlchemy constructs; no other module
  asks which backend runs (``engine`` and the migrations aside; a test scans for it).
* ``driver_sql``: plain SQL through the DB-API driver for the million-row write paths.
* feeds: ``feeds`` (configuration, attempts, the fetch log and its pruning) and ``leases``
  (claim due feeds, renew, release, when the next one falls due).
* items with their stories (write side): ``items``; ``themes`` (the stored taxonomy, ``meta``).
* ``search``: the indexed text of an item and the full-text search over it.
* the dashboard's reads, all speaking ``query_filters.Filters``: ``trends`` (theme series,
  spikes), ``item_lists`` (the items behind a number, list pages, evidence), ``theme_detail``,
  ``overview`` (totals, the demo flag, filter choices); ``queries`` (feed health).
* ``export``: the item stream of ``jkwatch export``.
"""
