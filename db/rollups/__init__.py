"""The one write path of every rollup table, fine and coarse, on SQLite and PostgreSQL alike.

Trend queries read exact counts of items (and of story leads) per cell:

========================  ===========================================  ======================
table                     cell                                         derived from
========================  ===========================================  ======================
``daily_totals``          day, feed, language, relevance bucket        ``items``
``daily_theme_counts``    day, feed, language, bucket, theme           ``item_themes``
``daily_sums``            day, language, bucket                        ``daily_totals``
``feed_sums``             feed, bucket                                 ``daily_totals``
``daily_theme_sums``      day, theme, bucket                           ``daily_theme_counts``
``weekly_sums``           week (Monday), language, bucket              ``daily_totals``
``weekly_theme_sums``     week (Monday), theme, bucket                 ``daily_theme_counts``
========================  ===========================================  ======================

Writers describe what they changed as signed per-cell changes of the two fine tables in a
``RollupDelta`` (an item entering or leaving a cell, a theme row doing so, an item gaining
or losing its story lead). ``apply`` nets them, derives the coarse changes from the same
netted changes, upserts every touched cell table by table in one global order (tables in
``_TABLES`` order, cells sorted by key: one lock order for concurrent PostgreSQL workers, so
two workers never deadlock on a shared coarse row), and deletes the cells it left at zero.
It runs in the caller's transaction: a failure anywhere rolls the rollups back with the
items. No trigger and no other code writes these tables (migration 0005 dropped the
triggers that used to keep the coarse sums).

Recounts (``refresh_cells`` for re-ingested items, ``forget_feed``, the repair
``rebuild_all``) compare the true counts from ``items``/``item_themes`` with what is stored
and apply the difference through the same ``apply``.

``delta`` holds the changes and ``apply``; ``recount`` the recounts.
"""

from __future__ import annotations

from jkwatch.db.rollups.delta import CountKey, RollupDelta, TotalKey, add_new_items, apply
from jkwatch.db.rollups.recount import Cell, forget_feed, rebuild_all, refresh_cells

__all__ = [
    "Cell",
    "CountKey",
    "RollupDelta",
    "TotalKey",
    "add_new_items",
    "apply",
    "forget_feed",
    "rebuild_all",
    "refresh_cells",
]
