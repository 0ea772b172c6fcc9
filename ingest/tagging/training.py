"""Train the learned layer (`learned.py`) on labelled sets, with scikit-learn.

scikit-learn is needed only here, so it is an optional extra (`pip install 'jkwatch[learn]'`,
part of the test extra): tagging reads the stored weights in plain Python. The recipe is fixed and
small on purpose: tf-idf over `learned.features`, one class-balanced logistic regression per theme.
Only relevant items with their themes are positives; irrelevant items count as negatives for every
theme, so the model learns what an item that is *not* about a theme looks like too.
"""

from __future__ import annotations

from collections.abc import Sequence

from jkwatch.ingest.tagging.evaluation import LabelledItem
from jkwatch.ingest.tagging.learned import (
    LearnedModel,
    ThemeWeights,
    document_features,
    model_text,
)
from jkwatch.ingest.tagging.schema import TaggingError
from jkwatch.ingest.tagging.text import normalize

__all__ = ["DEFAULT_C", "DEFAULT_THRESHOLD", "MIN_POSITIVES", "train_model"]

DEFAULT_C = 3.0  # inverse regularisation; chosen on the held-out set, not on the blind ones
DEFAULT_THRESHOLD = 0.6
MIN_POSITIVES = 5  # a theme with fewer labelled examples gets no model


def item_text(item: LabelledItem) -> str:
    """The model's reading of a labelled item, exactly as the tagger builds it."""
    return model_text(normalize(item.title), normalize(item.summary) if item.summary else "")


def train_model(
    items: Sequence[LabelledItem],
    theme_ids: Sequence[str],
    *,
    c: float = DEFAULT_C,
    threshold: float = DEFAULT_THRESHOLD,
    min_df: int = 2,
    sources: Sequence[str] = (),
) -> LearnedModel:
    """Fit one logistic regression per theme; raises TaggingError when scikit-learn is missing
    or the sets are too small to learn anything."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as err:
        raise TaggingError("training needs scikit-learn: pip install 'jkwatch[learn]'") from err
    if len(items) < 20:
        raise TaggingError(f"need at least 20 labelled items to train, got {len(items)}")
    vectorizer = TfidfVectorizer(
        analyzer=document_features, min_df=min_df, sublinear_tf=True, lowercase=False
    )
    matrix = vectorizer.fit_transform([item_text(item) for item in items])
    vocabulary = vectorizer.get_feature_names_out()
    themes = {}
    for theme_id in theme_ids:
        labels = [item.relevant and theme_id in item.themes for item in items]
        if sum(labels) < MIN_POSITIVES:
            continue
        fitted = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
        fitted.fit(matrix, labels)
        weights = {
            str(gram): float(weight)
            for gram, weight in zip(vocabulary, fitted.coef_[0], strict=True)
            if abs(weight) >= 1e-6
        }
        themes[theme_id] = ThemeWeights(float(fitted.intercept_[0]), weights)
    if not themes:
        raise TaggingError(f"no theme has {MIN_POSITIVES} or more labelled examples")
    idf = {str(gram): float(value) for gram, value in zip(vocabulary, vectorizer.idf_, strict=True)}
    return LearnedModel(threshold, idf, themes, tuple(sources))
