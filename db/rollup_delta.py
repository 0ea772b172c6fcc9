"""Signed changes to the rollups, netted per cell and written in one pass per table.

A writer (ingest, ``retag``) that adds or removes items and theme rows records each change
here, in the same transaction; ``apply`` then writes one upsert per touched fine cell
(``daily_totals``, ``daily_theme_counts``) and drops cells left at zero. A cell that loses
and regains an item in the same batch is not written at all.

The coarse sums (``daily_sums``, ``feed_sums``, ``daily_theme_sums``) follow the fine
rollups. On PostgreSQL their statement-level triggers do it with one grouped upsert per
statement. SQLite only has row triggers, which ran six extra statements per fine row
(most of ``retag``'s database time); so on SQLite ``apply`` marks the transaction with
the ``meta`` row ``PAUSE_KEY`` (migration 0004 makes those triggers skip while it exists),
writes the coarse sums itself from the same netted changes, and removes the mark before it
returns. The mark never outlives the transaction, so every other writer still goes
through the triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from jkwatch.db.driver_sql import is_sqlite, run_many

PAUSE_KEY = "rollup_sums_written_by_writer"
"""``meta`` key that makes the SQLite coarse-sum triggers stand aside (see migration 0004)."""

Day = date | str
# (day, feed_id, language, rel_bucket) and the same plus theme_id.
TotalKey = tuple[Day, int, str, int]
CountKey = tuple[Day, int, str, int, str]


@dataclass(frozen=True)
class _Table:
    name: str
    keys: tuple[str, ...]
    order: tuple[int, ...]
    """Positions of ``keys`` in the global write order (one lock order for all workers)."""

    def upsert_sql(self) -> str:
        cols = ", ".join(self.keys)
        marks = ", ".join("?" * (len(self.keys) + 2))
        return (
            f"INSERT INTO {self.name} ({cols}, items, stories) VALUES ({marks}) "
            f"ON CONFLICT ({cols}) DO UPDATE SET items = {self.name}.items + excluded.items, "
            f"stories = {self.name}.stories + excluded.stories"
        )

    def drop_sql(self) -> str:
        match = " AND ".join(f"{key} = ?" for key in self.keys)
        return f"DELETE FROM {self.name} WHERE {match} AND items = 0 AND stories = 0"


_TOTALS = _Table("daily_totals", ("day", "feed_id", "language", "rel_bucket"), (0, 2, 3, 1))
_COUNTS = _Table(
    "daily_theme_counts", ("day", "feed_id", "language", "rel_bucket", "theme_id"), (0, 4, 3, 2, 1)
)
_DAILY_SUMS = _Table("daily_sums", ("day", "language", "rel_bucket"), (0, 1, 2))
_FEED_SUMS = _Table("feed_sums", ("feed_id", "rel_bucket"), (0, 1))
_THEME_SUMS = _Table("daily_theme_sums", ("day", "theme_id", "rel_bucket"), (0, 1, 2))


@dataclass
class RollupDelta:
    """Net (items, stories) changes per fine rollup cell."""

    totals: dict[TotalKey, list[int]] = field(default_factory=dict)
    counts: dict[CountKey, list[int]] = field(default_factory=dict)

    def item(self, key: TotalKey, lead: bool, sign: int = 1) -> None:
        """An item entering (``sign=1``) or leaving (``-1``) a ``daily_totals`` cell."""
        _add(self.totals, key, lead, sign)

    def theme(self, key: CountKey, lead: bool, sign: int = 1) -> None:
        """A theme row entering or leaving a ``daily_theme_counts`` cell."""
        _add(self.counts, key, lead, sign)

    def apply(self, session: Session) -> None:
        """Write the net changes (and, on SQLite, the coarse sums) in this transaction."""
        sqlite = is_sqlite(session)
        totals = _net(self.totals, sqlite)
        counts = _net(self.counts, sqlite)
        if not totals and not counts:
            return
        if sqlite:
            run_many(session, "INSERT INTO meta (key, value) VALUES (?, ?)", [(PAUSE_KEY, "1")])
        _write(session, _TOTALS, totals)
        _write(session, _COUNTS, counts)
        if sqlite:
            _write(session, _DAILY_SUMS, _coarse(totals, lambda k: (k[0], k[2], k[3])))
            _write(session, _FEED_SUMS, _coarse(totals, lambda k: (k[1], k[3])))
            _write(session, _THEME_SUMS, _coarse(counts, lambda k: (k[0], k[4], k[3])))
            run_many(session, "DELETE FROM meta WHERE key = ?", [(PAUSE_KEY,)])


def _net(cells: dict, sqlite: bool) -> dict[tuple, tuple[int, int]]:
    """Cells whose change is not zero, with days as the driver stores them."""
    net: dict[tuple, tuple[int, int]] = {}
    for key, (items, stories) in cells.items():
        if items or stories:
            day = key[0]
            stored = (day.isoformat() if sqlite and isinstance(day, date) else day, *key[1:])
            old = net.get(stored, (0, 0))
            net[stored] = (old[0] + items, old[1] + stories)
    return net


def _coarse(
    cells: dict[tuple, tuple[int, int]], project: Callable[[tuple], tuple]
) -> dict[tuple, tuple[int, int]]:
    """Fine changes summed into the cells of a coarser rollup."""
    summed: dict[tuple, list[int]] = {}
    for key, (items, stories) in cells.items():
        cell = summed.setdefault(project(key), [0, 0])
        cell[0] += items
        cell[1] += stories
    return {key: (items, stories) for key, (items, stories) in summed.items() if items or stories}


def _write(session: Session, table: _Table, cells: dict[tuple, tuple[int, int]]) -> None:
    """Upsert the changes in the global order; drop cells that reached zero.

    On SQLite a trigger (migration 0004) deletes a rollup row as soon as it is updated to
    zero; PostgreSQL needs a second pass over the cells that shrank.
    """
    if not cells:
        return
    ordered = sorted(cells, key=lambda key: tuple(key[i] for i in table.order))
    run_many(session, table.upsert_sql(), [(*key, *cells[key]) for key in ordered])
    if not is_sqlite(session):
        shrunk: Sequence[tuple] = [key for key in ordered if cells[key][0] < 0]
        run_many(session, table.drop_sql(), shrunk)


def _add(cells: dict, key: tuple, lead: bool, sign: int) -> None:  # type: ignore[type-arg]
    """Net one row into its cell's [items, stories] (stories count story leads only)."""
    cell = cells.get(key)
    if cell is None:
        cells[key] = [sign, sign if lead else 0]
    else:
        cell[0] += sign
        if lead:
            cell[1] += sign
