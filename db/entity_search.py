"""Entity-aware search: a query that names a gazetteer entity finds the items naming it in
any language (a search for 독도 also finds the items that say 竹島 or Dokdo).

``expand`` reads the query (pure: no database); ``db.search`` then reads the items of the
entity from ``item_entities``, whose key starts with ``entity_id`` (an index range, never a
scan). Items are linked to an entity by the entity matcher of the pipeline, which matches names
as words (word edges of the Japanese and Korean analysers, English word boundaries): a search
for an entity therefore never returns an item that merely holds the characters of one of its
names inside another word, as a plain full-text match of a one-character short form would.

A query mixing a name with other words ("독도 missile", "\"Liancourt Rocks\" drill") is the
items of the entity AND the full-text match of the remaining words. One entity is expanded per
query: the whole query if it is a name, else the first quoted phrase that is one, else the
longest (then leftmost) run of words that is one; any further names are matched as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import ColumnElement, select

from jkwatch.db.models import Item, ItemEntity

_QUOTED = re.compile(r"[\"“”„「『]([^\"“”„」』]+)[\"“”„」』]")
_QUOTES = "\"'“”„「」『』"


class NamedEntity(Protocol):
    """What search needs of an entity (``jkwatch.entities.Entity`` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...

    def all_names(self) -> tuple[str, ...]: ...


class EntityLookup(Protocol):
    """What search needs of the gazetteer (``jkwatch.entities.Gazetteer`` is one)."""

    def lookup(self, text: str) -> NamedEntity | None: ...


@dataclass(frozen=True)
class Expansion:
    """The entity a query was expanded to, and the words left for the full-text match."""

    entity_id: str
    label: str
    names: tuple[str, ...]
    """Every name of the entity, in every language (English first)."""
    matched: str
    """The name as the query gave it."""
    rest: str = ""
    """The other words of the query, matched as full text (blank: none)."""

    def other_names(self) -> tuple[str, ...]:
        """The names the search adds to the one typed (for "also 竹島, 독도, ...")."""
        typed = self.matched.casefold()
        return tuple(name for name in self.names if name.casefold() != typed)


def expand(query: str, gazetteer: EntityLookup | None) -> Expansion | None:
    """The entity ``query`` names (see the module docstring for which one), or None."""
    text = " ".join((query or "").split())
    if not text or gazetteer is None:
        return None
    whole = text.strip(_QUOTES).strip()
    if whole:
        entity = gazetteer.lookup(whole)
        if entity is not None:
            return _expansion(entity, whole, "")
    for quoted in _QUOTED.finditer(text):
        name = " ".join(quoted.group(1).split())
        entity = gazetteer.lookup(name) if name else None
        if entity is not None:
            rest = text[: quoted.start()] + " " + text[quoted.end() :]
            return _expansion(entity, name, rest)
    words = text.split()
    for start, stop in _runs(len(words)):
        name = " ".join(words[start:stop]).strip(_QUOTES)
        entity = gazetteer.lookup(name) if name else None
        if entity is not None:
            return _expansion(entity, name, " ".join(words[:start] + words[stop:]))
    return None


def _runs(n: int) -> Iterator[tuple[int, int]]:
    """Word runs ``[start, stop)`` of a query of ``n`` words, longest first, then leftmost."""
    for size in range(n, 0, -1):
        for start in range(n - size + 1):
            yield start, start + size


def _expansion(entity: NamedEntity, matched: str, rest: str) -> Expansion:
    return Expansion(
        entity_id=entity.id,
        label=entity.label,
        names=tuple(entity.all_names()),
        matched=matched,
        rest=" ".join(rest.split()),
    )


def entity_rows(
    entity_id: str, start: date | None = None, end: date | None = None
) -> list[ColumnElement[bool]]:
    """Conditions on ``item_entities``: the entity's rows, on the UTC days ``start``..``end``
    if given (``day`` is the item's UTC day, as on ``items``)."""
    out = [ItemEntity.entity_id == entity_id]
    if start is not None:
        out.append(ItemEntity.day >= start)
    if end is not None:
        out.append(ItemEntity.day <= end)
    return out


def names_entity(
    entity_id: str, start: date | None = None, end: date | None = None
) -> ColumnElement[bool]:
    """Items naming the entity (on a day in ``start``..``end``), as a condition on ``items``."""
    return Item.id.in_(select(ItemEntity.item_id).where(*entity_rows(entity_id, start, end)))
