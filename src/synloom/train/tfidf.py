"""TF-IDF features + logistic regression: the fast, dependency-light task model.

Word n-gram TF-IDF (unigrams by default, sublinear tf) and an L2 logistic regression (scikit-learn). For
sentence pairs both sides share one vocabulary and the features are [a, b, a*b]: the
element-wise product carries the words the two texts share, which single-side features cannot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.train.base import check_trainable
from synloom.train.linear import LogRegTaskModel

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.train.data import LabeledData


class TfidfLogReg(LogRegTaskModel):
    """TF-IDF + logistic regression (scikit-learn)."""

    name = "tfidf"

    def __init__(
        self,
        *,
        ngram_max: int = 1,
        min_df: int = 1,
        max_features: int | None = 50_000,
        C: float = 10.0,
        max_iter: int = 2000,
        class_weight: str | None = None,
    ) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight

    def params(self) -> dict[str, object]:
        return {
            "ngram_max": self.ngram_max,
            "min_df": self.min_df,
            "max_features": self.max_features,
            "C": self.C,
            "class_weight": self.class_weight,
        }

    def fit(self, train: LabeledData, *, seed: int = 0) -> TfidfLogReg:
        from sklearn.feature_extraction.text import TfidfVectorizer

        check_trainable(train, self.name)
        self.is_pair_ = train.is_pair
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, self.ngram_max),
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",  # keep one-character tokens ("i", "a")
        )
        corpus = list(train.texts) + (list(train.texts_b) if train.texts_b is not None else [])
        self.vectorizer_.fit(corpus)
        self._fit_classifier(train, seed)
        return self

    def _features(self, texts: Sequence[str], texts_b: Sequence[str] | None):
        from scipy.sparse import hstack

        a = self.vectorizer_.transform(list(texts))
        if texts_b is None:
            return a
        b = self.vectorizer_.transform(list(texts_b))
        return hstack([a, b, a.multiply(b)]).tocsr()
