"""The one interface every task model (TAM) implements, plus shared helpers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from synloom.errors import SynloomError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from synloom.train.data import LabeledData


class TaskModel(ABC):
    """A classifier trained on (synthetic or real) labeled data.

    `fit` returns self; `predict` returns label names (strings); `predict_proba` returns one
    column per entry of `labels_` (sorted label names seen in training).
    """

    name: ClassVar[str]
    labels_: list[str]
    is_pair_: bool

    @abstractmethod
    def fit(self, train: LabeledData, *, seed: int = 0) -> TaskModel: ...

    @abstractmethod
    def predict_proba(
        self, texts: Sequence[str], texts_b: Sequence[str] | None = None
    ) -> np.ndarray: ...

    def predict(self, texts: Sequence[str], texts_b: Sequence[str] | None = None) -> list[str]:
        """The most probable label name for each input."""
        proba = self.predict_proba(texts, texts_b)
        return [self.labels_[i] for i in proba.argmax(axis=1)] if len(proba) else []

    def describe(self) -> dict[str, object]:
        """Name and hyper-parameters, for run manifests and evaluation tables."""
        return {"name": self.name, **self.params()}

    def params(self) -> dict[str, object]:
        return {}

    def _check_fitted(self, texts: Sequence[str], texts_b: Sequence[str] | None) -> None:
        if not hasattr(self, "labels_"):
            raise SynloomError(f"task model {self.name!r} is not trained yet; call fit() first")
        if isinstance(texts, str):
            raise SynloomError("pass a list of texts, not a single string")
        if self.is_pair_ and texts_b is None:
            raise SynloomError(
                f"task model {self.name!r} was trained on sentence pairs; pass texts_b"
            )
        if not self.is_pair_ and texts_b is not None:
            raise SynloomError(
                f"task model {self.name!r} was trained on single texts; texts_b given"
            )
        if texts_b is not None and len(texts_b) != len(texts):
            raise SynloomError(f"{len(texts)} texts but {len(texts_b)} second texts")


def check_trainable(train: LabeledData, name: str) -> None:
    """At least two classes, otherwise no classifier can be trained."""
    if len(train) == 0:
        raise SynloomError(f"{name}: no training data")
    if len(set(train.labels)) < 2:
        raise SynloomError(
            f"{name}: training data has only the label {train.labels[0]!r}; need at least two"
        )
    if train.weights is not None and sum(train.weights) <= 0:
        raise SynloomError(f"{name}: all sample weights are zero")
