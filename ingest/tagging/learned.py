"""The learned layer: a linear model per theme that adds secondary themes the keywords half-saw.

Why: the keyword taxonomy is precise but learns its authors' phrasing; on text by other writers it
misses secondary themes (a trilateral radar link aimed at Pyongyang is also about North Korea's
weapons). A logistic regression per theme over character n-grams of the headline and lede, trained
on the labelled sets (`jkwatch model train`), recognises phrasings nobody listed.

How it is combined, so every tag still shows why:
- it runs only on items the keywords found relevant, and only for themes the keywords did not
  assign but found *some* evidence for (a matched term, however weak);
- such a theme is added when the model's probability reaches `threshold` (or, for a relevant
  item the keywords left with no theme at all, when it is the best one at `ORPHAN_THRESHOLD`);
  its evidence is the matched keyword terms plus one `model` entry naming the probability and
  the n-grams that pushed hardest, e.g. ``learned 0.71: 레이더, 경보``.
So the model can only confirm a theme the text already points at, and never decides relevance.

The stored model (`LearnedModel`: vocabulary, idf, one weight vector per theme) is compiled once
into arrays (`CompiledModel`); one document is then one count of its n-grams and a few numpy
operations that score every theme, with no scikit-learn at run time. `document_features` is the
one definition of what the model reads, used by training too, and the arithmetic reproduces
scikit-learn's TfidfVectorizer (sublinear tf, smooth idf, l2 norm) followed by
LogisticRegression's decision function; a test pins the two together.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jkwatch.ingest.tagging.schema import TaxonomyError

__all__ = [
    "FORMAT",
    "ORPHAN_THRESHOLD",
    "LearnedModel",
    "document_features",
    "features",
    "load_model",
    "model_text",
]

FORMAT = "jkwatch-theme-model/1"
# A relevant item the keywords left without any theme takes the model's best theme (one with
# keyword evidence) from this probability on, below the usual threshold.
ORPHAN_THRESHOLD = 0.4
_TOP_FEATURES = 3


def model_text(title: str, summary: str) -> str:
    """A labelled item as the model's training document: normalised title and summary on two
    lines (normalised text has no newline). See `document_features` for what is read."""
    return f"{title}\n{summary}"


def document_features(document: str) -> list[str]:
    """What the model reads of a `model_text` document: the title's n-grams twice (headlines
    carry the subject), then the summary's. Bodies are left out: the model was trained on
    headline and lede. The title is cut into n-grams once and its list doubled."""
    title, _, summary = document.partition("\n")
    grams = features(title)
    grams += grams
    if summary:
        grams += features(summary)
    return grams


def features(text: str) -> list[str]:
    """Character 2–4-grams inside each word, the word padded with a space on both sides (so
    " 北" and "ン " mark a word's edges). `text` is normalised (see `text.normalize`)."""
    grams: list[str] = []
    append = grams.append
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in (2, 3, 4):
            if n > size:
                break
            for start in range(size - n + 1):
                append(padded[start : start + n])
    return grams


@dataclass(frozen=True, slots=True)
class ThemeWeights:
    intercept: float
    weights: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """A trained model: idf per n-gram, and per theme an intercept and n-gram weights."""

    threshold: float
    idf: Mapping[str, float]
    themes: Mapping[str, ThemeWeights]
    trained_on: tuple[str, ...] = ()

    def compile(self, theme_ids: Sequence[str]) -> CompiledModel:
        """The arrays inference runs on, with one column per theme of `theme_ids`."""
        return CompiledModel(self, theme_ids)

    def to_json(self) -> dict[str, Any]:
        """The stored form: one vocabulary list, and weights aligned with it per theme."""
        vocab = sorted(self.idf)
        return {
            "format": FORMAT,
            "threshold": self.threshold,
            "trained_on": list(self.trained_on),
            "vocabulary": vocab,
            "idf": [round(self.idf[gram], 6) for gram in vocab],
            "themes": {
                theme_id: {
                    "intercept": round(theme.intercept, 6),
                    "weights": [round(theme.weights.get(gram, 0.0), 6) for gram in vocab],
                }
                for theme_id, theme in sorted(self.themes.items())
            },
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """What the model made of one document: P(theme) per column, and the known n-grams' rows
    and tf-idf values (to name the strongest n-grams of a theme it adds)."""

    probabilities: np.ndarray
    rows: np.ndarray
    values: np.ndarray


class CompiledModel:
    """A `LearnedModel` as arrays: n-gram -> row, idf per row, a (rows x themes) weight matrix.

    One document costs its n-grams (Python), one count (C), one dictionary lookup per distinct
    n-gram, then a handful of numpy operations that score every theme at once. Themes the model
    was not trained on get probability 0.
    """

    def __init__(self, model: LearnedModel, theme_ids: Sequence[str]) -> None:
        vocabulary = sorted(model.idf)
        self.threshold = model.threshold
        self.theme_ids = tuple(theme_ids)
        self._vocabulary = vocabulary
        self._row = {gram: row for row, gram in enumerate(vocabulary)}
        self._idf = np.array([model.idf[gram] for gram in vocabulary], dtype=np.float64)
        self._weights = np.zeros((len(vocabulary), len(theme_ids)), dtype=np.float64)
        self._intercepts = np.zeros(len(theme_ids), dtype=np.float64)
        self._known = np.zeros(len(theme_ids), dtype=bool)
        row = self._row
        for column, theme_id in enumerate(theme_ids):
            theme = model.themes.get(theme_id)
            if theme is None:
                continue
            self._known[column] = True
            self._intercepts[column] = theme.intercept
            for gram, weight in theme.weights.items():
                self._weights[row[gram], column] = weight

    def read(self, document: str) -> Reading:
        """Score a `model_text` document against every theme."""
        get = self._row.get
        rows = []
        counts = []
        for gram, count in Counter(document_features(document)).items():
            index = get(gram)
            if index is not None:
                rows.append(index)
                counts.append(count)
        picked = np.array(rows, dtype=np.intp)
        values = (1.0 + np.log(np.array(counts, dtype=np.float64))) * self._idf[picked]
        norm = math.sqrt(float(values @ values))
        if norm:
            values /= norm
        z = values @ self._weights[picked] + self._intercepts
        probabilities = np.where(self._known, 1.0 / (1.0 + np.exp(-z)), 0.0)
        return Reading(probabilities, picked, values)

    def strongest(self, column: int, reading: Reading) -> list[str]:
        """The n-grams that pushed theme `column` up the most, for the evidence line."""
        pushes = reading.values * self._weights[reading.rows, column]
        order = np.argsort(-pushes, kind="stable")[:_TOP_FEATURES]
        return [self._vocabulary[reading.rows[i]].strip() for i in order if pushes[i] > 0]


def parse_model(doc: Any, source: str, known_themes: Iterable[str]) -> LearnedModel:
    """Validate a stored model; problems name the file and the field."""

    def fail(problem: str) -> TaxonomyError:
        return TaxonomyError(f"{source}: {problem}")

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise fail(f"not a theme model (expected format '{FORMAT}')")
    vocab, idf = doc.get("vocabulary"), doc.get("idf")
    if not isinstance(vocab, list) or not isinstance(idf, list) or len(vocab) != len(idf):
        raise fail("vocabulary and idf must be lists of the same length")
    threshold = doc.get("threshold")
    if not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise fail("threshold must be a number between 0 and 1")
    known = set(known_themes)
    themes = {}
    for theme_id, table in (doc.get("themes") or {}).items():
        if theme_id not in known:
            continue  # a theme removed from the taxonomy since training: ignored
        weights = table.get("weights") if isinstance(table, dict) else None
        if not isinstance(weights, list) or len(weights) != len(vocab):
            raise fail(f"themes.{theme_id}: weights must align with the vocabulary")
        themes[theme_id] = ThemeWeights(
            float(table.get("intercept", 0.0)),
            {gram: float(w) for gram, w in zip(vocab, weights, strict=True) if w},
        )
    return LearnedModel(
        float(threshold),
        {str(gram): float(value) for gram, value in zip(vocab, idf, strict=True)},
        themes,
        tuple(str(name) for name in doc.get("trained_on") or ()),
    )


def load_model(path: Path, known_themes: Iterable[str]) -> tuple[LearnedModel, bytes]:
    """Read a model file (JSON, gzipped when it ends in .gz) and its bytes (for the taxonomy's
    fingerprint, so `retag` notices a retrained model)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TaxonomyError(f"{path}: cannot read theme model: {err.strerror or err}") from err
    try:
        raw = gzip.decompress(data) if path.suffix == ".gz" else data
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise TaxonomyError(f"{path.name}: unreadable theme model: {err}") from err
    return parse_model(doc, path.name, known_themes), data
