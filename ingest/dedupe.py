"""Near-duplicate story clustering: copies of one wire story, or a retouched headline, share a story.

Pure: the pipeline feeds in recent fingerprints from the database once per run and the entries
of each feed as they arrive; this module fills ``simhash`` and ``story_id`` (an existing story)
or ``story_of_entry`` (an earlier entry of the same batch) on each ``EntryIn``.

How: each title becomes a set of tokens (lower-cased words for Latin text; character bigrams
for Japanese and Korean runs, so it works without a segmenter and tolerates particles). An
inverted index from token to recent items gives the candidates in time proportional to the
matches, not to the number of stored items; tokens so common they say nothing (more than
``_MAX_POSTING`` items) are skipped, and only the ``_MAX_CANDIDATES`` items sharing the most
tokens are compared. A candidate joins the story when the Dice similarity of the
titles reaches ``threshold`` and both were published within ``window`` of each other. Different
languages share no tokens, so stories never cross languages. The 64-bit SimHash over title and
summary shingles is stored with each item for exact-copy checks and later analysis; identical
texts (SimHash distance <= 3 with a shared token) join whatever their headline similarity.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from jkwatch.model import EntryIn, Fingerprint

DEFAULT_WINDOW = timedelta(hours=72)
DEFAULT_THRESHOLD = 0.5
SIMHASH_NEAR = 3
_MAX_POSTING = 64
_MAX_CANDIDATES = 20
_WORD = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]+")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "says",
        "said",
        "that",
        "the",
        "to",
        "was",
        "were",
        "with",
        "after",
        "over",
        "amid",
        "says:",
        "will",
        "than",
        "this",
    ]
)
_SHIFTS = np.arange(64, dtype=np.uint64)
_SHINGLE = 4
_SIGN_BIT = 1 << 63


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def title_tokens(title: str) -> frozenset[str]:
    """Words (Latin) and character bigrams (CJK) of a title, for fuzzy matching."""
    text = _fold(title)
    tokens = {word for word in _WORD.findall(text) if word not in _STOPWORDS}
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            tokens.add(run)
        else:
            tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(tokens)


_PRIME = np.uint64(1_000_003)


def _shingle_hashes(text: str, size: int = 4) -> np.ndarray:
    """Hashes of the character ``size``-grams of ``text``, computed in numpy."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codes = codes.astype(np.uint64)
    width = min(size, len(codes))
    count = len(codes) - width + 1
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        hashes = hashes * _PRIME + codes[offset : offset + count]
    return _mix64(hashes)  # repeated shingles weigh more, as term frequency should


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised: spreads the shingle hashes over all 64 bits."""
    x = values.astype(np.uint64)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def simhash(text: str) -> int:
    """64-bit SimHash over character 4-gram shingles, as a signed 64-bit int (fits BIGINT)."""
    text = " ".join(_fold(text).split())
    if not text:
        return 0
    hashes = _shingle_hashes(text)
    ones = ((hashes[:, None] >> _SHIFTS) & np.uint64(1)).sum(axis=0)
    bits = (ones * 2 > len(hashes)).astype(np.uint64) << _SHIFTS
    value = int(np.bitwise_or.reduce(bits))
    return value - (1 << 64) if value & _SIGN_BIT else value


def simhash_many(texts: Sequence[str]) -> list[int]:
    """``[simhash(t) for t in texts]``, vectorised over the whole batch.

    Per-text numpy calls cost more than the arithmetic on a 300-character text, so the
    shingles of every text are hashed in one pass over the concatenated code points and
    the bit votes are summed per text with ``reduceat``. Same values as ``simhash``.
    """
    folded = [" ".join(_fold(text).split()) for text in texts]
    out = [0] * len(folded)
    long_ones = [i for i, text in enumerate(folded) if len(text) >= _SHINGLE]
    for i, text in enumerate(folded):
        if text and len(text) < _SHINGLE:
            out[i] = simhash(text)
    if not long_ones:
        return out
    parts = [
        np.frombuffer(folded[i].encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        for i in long_ones
    ]
    lengths = np.array([len(part) for part in parts], dtype=np.int64)
    codes = np.concatenate(parts).astype(np.uint64)
    count = len(codes) - _SHINGLE + 1
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(_SHINGLE):
        hashes = hashes * _PRIME + codes[offset : offset + count]
    # Keep only windows that lie inside one text.
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    windows = lengths - _SHINGLE + 1
    keep = np.concatenate([np.arange(s, s + w) for s, w in zip(starts, windows, strict=True)])
    hashes = _mix64(hashes[keep]).astype("<u8")
    # Column k of the unpacked bits is bit k of the hash (little-endian bytes and bits).
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    offsets = np.concatenate(([0], np.cumsum(windows)[:-1]))
    ones = np.add.reduceat(bits, offsets, axis=0, dtype=np.uint32)
    majority = (ones * 2 > windows[:, None]).astype(np.uint8)
    values = np.packbits(majority, axis=1, bitorder="little").view("<u8").reshape(-1)
    for i, value in zip(long_ones, values.tolist(), strict=True):
        out[i] = value - (1 << 64) if value & _SIGN_BIT else value
    return out


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


@dataclass
class _Known:
    story_id: int | None
    entry_key: str | None
    tokens: frozenset[str]
    simhash: int
    published_at: datetime


class StoryIndex:
    """Recent items by title token; ``assign`` clusters entries, ``add_stored`` records them."""

    def __init__(
        self, window: timedelta = DEFAULT_WINDOW, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self.window = window
        self.threshold = threshold
        self._known: list[_Known] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._by_key: dict[str, int] = {}

    @classmethod
    def from_fingerprints(
        cls,
        fingerprints: Iterable[Fingerprint],
        window: timedelta = DEFAULT_WINDOW,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> StoryIndex:
        index = cls(window, threshold)
        for fp in fingerprints:
            index._add(
                _Known(fp.story_id, None, title_tokens(fp.title), fp.simhash, fp.published_at)
            )
        return index

    def __len__(self) -> int:
        return len(self._known)

    def _add(self, known: _Known) -> int:
        position = len(self._known)
        self._known.append(known)
        for token in known.tokens:
            self._postings[token].append(position)
        if known.entry_key:
            self._by_key[known.entry_key] = position
        return position

    def _best_match(self, tokens: frozenset[str], sig: int, published: datetime) -> int | None:
        counts: Counter[int] = Counter()
        for token in tokens:
            posting = self._postings.get(token)
            if posting and len(posting) <= _MAX_POSTING:
                counts.update(posting)
        best, best_score = None, 0.0
        for position, shared in counts.most_common(_MAX_CANDIDATES):
            known = self._known[position]
            if known.story_id is None and known.entry_key is None:
                continue  # a rolled-back or duplicate entry: no item to join
            if abs(known.published_at - published) > self.window:
                continue
            if shared < 2 and hamming(known.simhash, sig) > SIMHASH_NEAR:
                continue
            overlap = len(tokens & known.tokens)
            score = 2 * overlap / (len(tokens) + len(known.tokens))
            if hamming(known.simhash, sig) <= SIMHASH_NEAR:
                score = max(score, 1.0)
            if score >= self.threshold and score > best_score:
                best, best_score = position, score
        return best

    def assign(self, entries: Sequence[EntryIn]) -> list[EntryIn]:
        """Entries with ``simhash`` and their story filled; they become candidates themselves."""
        result = []
        signatures = simhash_many([f"{entry.title} {entry.summary[:300]}" for entry in entries])
        for entry, sig in zip(entries, signatures, strict=True):
            tokens = title_tokens(entry.title)
            match = self._best_match(tokens, sig, entry.published_at) if tokens else None
            story_id = story_of = None
            if match is not None:
                known = self._known[match]
                if known.story_id is not None:
                    story_id = known.story_id
                else:
                    story_of = known.entry_key
            key = entry.entry_key
            # Pending until stored: followers in this batch point at it by entry key.
            self._add(_Known(story_id, key, tokens, sig, entry.published_at))
            result.append(replace(entry, simhash=sig, story_id=story_id, story_of_entry=story_of))
        return result

    def add_stored(self, stories: dict[str, int]) -> None:
        """After a store: ``stories`` maps the stored entries' keys to their story ids.

        Later feeds' entries then join those items' stories by id. Entries that were not
        stored (duplicates) are dropped from the index so nobody points at them.
        """
        for key, position in list(self._by_key.items()):
            known = self._known[position]
            if key in stories:
                known.story_id = stories[key]
            elif known.story_id is None:
                known.tokens = frozenset()  # unreachable: no stored item carries this key
            known.entry_key = None
            del self._by_key[key]

    def forget_pending(self) -> None:
        """Drop entries of a batch that was rolled back."""
        for key, position in list(self._by_key.items()):
            known = self._known[position]
            if known.story_id is None:
                known.tokens = frozenset()
            known.entry_key = None
            del self._by_key[key]
