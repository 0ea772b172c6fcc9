"""Full-text search: the indexed text of an item, and the search over it.

The writer (``db.items``) stores ``search_text`` for every item; ``search_items`` segments the
user's query the same way and hands the phrases to ``db.dialect.text_match`` (FTS5 on SQLite,
a tsvector on PostgreSQL). Every phrase is a bound parameter: quotes, ``%``, ``*``, ``NEAR``,
``OR`` or parentheses in the input are matched as text, never read as syntax.

FTS5's ``unicode61`` tokenizer and PostgreSQL's ``simple`` configuration split on spaces
and punctuation, which leaves Japanese (no spaces) as one huge token and Korean words glued
to their particles. Like Lucene's CJK analyzer we index CJK runs as overlapping character
bigrams; a query is segmented the same way and matched as a phrase, so "北朝鮮" finds
"北朝鮮が" and "미사일" finds "미사일을". Other text is lower-cased and kept as words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from jkwatch.db.dialect import Phrase, serial, text_match, text_matches_up_to
from jkwatch.db.entity_search import Expansion, entity_rows, names_entity
from jkwatch.db.item_lists import (
    HIT_COLUMNS,
    MAX_PAGE_SIZE,
    ItemHit,
    ItemPage,
    count_where,
    fetch_hits,
    item_conditions,
    rollup_total,
)
from jkwatch.db.models import Item, ItemEntity
from jkwatch.db.query_filters import Filters

_CJK_CLASS = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\u1100-\u11ff"  # Hangul jamo
    "\u3130-\u318f"  # Hangul compatibility jamo
)
# One pass over the text: a run of CJK characters, or a run of other word characters.
_RUNS = re.compile(f"([{_CJK_CLASS}]+)|([^\\W{_CJK_CLASS}]+)")
_ONE_CJK = re.compile(f"[{_CJK_CLASS}]")


def _is_cjk(char: str) -> bool:
    return _ONE_CJK.fullmatch(char) is not None


def tokens(text: str) -> list[str]:
    """Search tokens: lower-cased words, CJK runs as bigrams (a lone CJK char stays itself)."""
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    out: list[str] = []
    for cjk, word in _RUNS.findall(normal):
        if word:
            out.append(word)
        elif len(cjk) == 1:
            out.append(cjk)
        else:
            out.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
    return out


def search_text(title: str, summary: str) -> str:
    """The indexed text of an item: its title and summary, tokenised."""
    return " ".join(tokens(f"{title}\n{summary}"))


def query_phrases(query: str) -> list[list[str]]:
    """A user's query as phrases (one per whitespace-separated term), each a token list.

    Quotes, operators and wildcards are not syntax here: every term is matched literally,
    so user input can never be read as FTS5 or tsquery syntax.
    """
    phrases = []
    for term in (query or "").split():
        toks = tokens(term)
        if toks:
            phrases.append(toks)
    return phrases


def single_char_tokens(phrase: list[str]) -> bool:
    """True when the phrase is one lone CJK character, matched as a prefix of bigrams."""
    return len(phrase) == 1 and len(phrase[0]) == 1 and _is_cjk(phrase[0])


def phrases(query: str) -> list[Phrase]:
    """The query's phrases as the dialect matches them (a lone CJK character as a prefix)."""
    return [Phrase(tuple(toks), single_char_tokens(toks)) for toks in query_phrases(query)]


SEARCH_COUNT_LIMIT = 500
"""A common word's matches are counted up to here ("500+", 20 pages of 25): counting and
sorting 34,000 matches of "missile" cost ~180 ms at a million items on SQLite, 150 ms on
PostgreSQL, far over the 20 ms a search may take."""
RARE_MATCHES = 2_000
"""Below this many full-text matches, the matches are fetched and sorted; above it, the
``published_at`` index is walked newest first and stops after one page."""


def search_items(
    session: Session,
    query: str,
    filters: Filters,
    page: int = 1,
    page_size: int = 25,
    expansion: Expansion | None = None,
) -> ItemPage:
    """Items matching ``query`` (all items when it is blank) and the filters, newest first.

    Blank queries and common words walk the ``published_at`` index from the newest item and
    stop after one page (the date range is given on ``published_at``, which ``day`` is
    the UTC date of); a common word's total is counted up to ``SEARCH_COUNT_LIMIT``
    (``ItemPage.total_exact`` is then False). Rare words fetch their few matches and sort.

    With an ``expansion`` (``db.entity_search.expand``: the query names an entity), the items
    are those naming the entity in any language (``item_entities``) AND matching the other
    words of the query (``expansion.rest``) as full text; ``query`` itself is then not matched
    as text. The total is counted up to ``SEARCH_COUNT_LIMIT`` as for a common word
    (``_entity_page``).
    """
    page = max(1, page)
    page_size = max(1, min(MAX_PAGE_SIZE, page_size))
    where = item_conditions(filters)
    terms = phrases(expansion.rest if expansion is not None else query)
    if expansion is not None:
        return _entity_page(session, expansion.entity_id, terms, filters, where, page, page_size)
    elif not terms:
        rolled = rollup_total(session, filters)
        total = rolled if rolled is not None else count_where(session, where)
    elif _matches_at_least(session, terms, RARE_MATCHES):
        where.append(text_match(Item.id, terms, walk=True))
        newest = select(Item.id).where(*where).order_by(Item.published_at.desc(), Item.id.desc())
        return _walk_page(session, newest, page, page_size)
    else:
        where.append(text_match(Item.id, terms))
        total = count_where(session, where)
    statement = (
        select(*HIT_COLUMNS)
        .where(*where)
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return ItemPage(
        total=total, page=page, page_size=page_size, items=fetch_hits(session, statement)
    )


def _entity_page(
    session: Session,
    entity_id: str,
    terms: list[Phrase],
    filters: Filters,
    where: list[Any],
    page: int,
    page_size: int,
) -> ItemPage:
    """A page of the items naming an entity (and the words ``terms``), newest first.

    The entity's ``item_entities`` rows are walked newest day first on the ``(day,
    entity_id)`` index, each joined to its item for the filters and the time within the day,
    until ``SEARCH_COUNT_LIMIT + 1`` match: the cost follows the page, not how many items name
    the entity (a million-item corpus: ~115,000 name North Korea). Words beside the name are
    the full-text match: a common word's matches are a set each walked item is checked in; a
    rare word's few matches may drive the query instead (the planner's choice).
    """
    if terms:
        common = _matches_at_least(session, terms, RARE_MATCHES)
        where.append(text_match(Item.id, terms, walk=common))
    statement = (
        select(Item.id)
        .join(ItemEntity, ItemEntity.item_id == Item.id)
        .where(*entity_rows(entity_id, filters.start, filters.end), *where)
        # ``day`` is the UTC day of ``published_at``: this is newest first, by the index.
        .order_by(ItemEntity.day.desc(), Item.published_at.desc(), Item.id.desc())
    )
    # Over all history PostgreSQL would start parallel workers for a walk that stops early.
    with serial(session):
        return _walk_page(session, statement, page, page_size)


def _walk_page(session: Session, statement: Any, page: int, page_size: int) -> ItemPage:
    """One page of many matches: one newest-first walk (``statement``, ids in order) collects
    the ids of up to ``SEARCH_COUNT_LIMIT + 1`` matches; the (capped) total and the page both
    come from it."""
    ids = _walk_ids(session, statement.limit(SEARCH_COUNT_LIMIT + 1))
    exact = len(ids) <= SEARCH_COUNT_LIMIT
    total = min(len(ids), SEARCH_COUNT_LIMIT)
    wanted = list(ids[(page - 1) * page_size : page * page_size])
    hits = (
        fetch_hits(
            session,
            select(*HIT_COLUMNS)
            .where(Item.id.in_(wanted))
            .order_by(Item.published_at.desc(), Item.id.desc()),
        )
        if wanted
        else ()
    )
    return ItemPage(total, page, page_size, hits, total_exact=exact)


def _walk_ids(session: Session, statement: Any) -> list[int]:
    return list(session.scalars(statement))


def _matches_at_least(session: Session, terms: list[Phrase], n: int) -> bool:
    """Whether the text query alone has at least ``n`` matches (reads at most ``n``)."""
    return int(session.scalar(select(text_matches_up_to(Item.id, terms, n))) or 0) >= n


def iter_matches(
    session: Session,
    query: str,
    filters: Filters,
    chunk: int = 1_000,
    expansion: Expansion | None = None,
) -> Iterator[tuple[ItemHit, ...]]:
    """Every item matching ``query`` and the filters, newest first, ``chunk`` at a time.

    Keyset pagination on ``(published_at, id)`` (never OFFSET, never one huge result): the
    memory held is one chunk, whatever the number of matches. For the items CSV download,
    which must hold every match and not only the page shown. ``expansion`` as in
    ``search_items``.
    """
    where = item_conditions(filters)
    terms = phrases(expansion.rest if expansion is not None else query)
    if terms:
        where.append(text_match(Item.id, terms))
    if expansion is not None:
        where.append(names_entity(expansion.entity_id, filters.start, filters.end))
    after: tuple[Any, int] | None = None
    while True:
        statement = select(*HIT_COLUMNS).where(*where)
        if after is not None:
            published, item_id = after
            statement = statement.where(
                or_(
                    Item.published_at < published,
                    and_(Item.published_at == published, Item.id < item_id),
                )
            )
        hits = fetch_hits(
            session,
            statement.order_by(Item.published_at.desc(), Item.id.desc()).limit(max(1, chunk)),
        )
        if not hits:
            return
        yield hits
        if len(hits) < chunk:
            return
        after = (hits[-1].published_at, hits[-1].id)
