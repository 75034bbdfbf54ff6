"""Shared logistic-regression head of the feature-based task models (tfidf, embed-lr)."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any

from synloom.train.base import TaskModel

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from synloom.train.data import LabeledData


class LogRegTaskModel(TaskModel):
    """Features from `_features`, an L2 logistic regression (scikit-learn) on top."""

    C: float
    max_iter: int
    class_weight: str | None

    @abstractmethod
    def _features(self, texts: Sequence[str], texts_b: Sequence[str] | None) -> Any: ...

    def _fit_classifier(self, train: LabeledData, seed: int) -> None:
        from sklearn.linear_model import LogisticRegression

        features = self._features(train.texts, train.texts_b)
        self.classifier_ = LogisticRegression(
            C=self.C, max_iter=self.max_iter, class_weight=self.class_weight, random_state=seed
        )
        self.classifier_.fit(features, list(train.labels), sample_weight=train.weights)
        self.labels_ = [str(c) for c in self.classifier_.classes_]

    def predict_proba(
        self, texts: Sequence[str], texts_b: Sequence[str] | None = None
    ) -> np.ndarray:
        import numpy as np

        self._check_fitted(texts, texts_b)
        if len(texts) == 0:
            return np.zeros((0, len(self.labels_)))
        return self.classifier_.predict_proba(self._features(texts, texts_b))
