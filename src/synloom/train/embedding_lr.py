"""Frozen MiniLM sentence embeddings + logistic regression.

The encoder (all-MiniLM-L6-v2, Reimers & Gurevych 2019/2020) is not trained; only a logistic
regression on its normalised embeddings is. For sentence pairs the features are
[u, v, |u - v|, u * v], the pair representation of InferSent (Conneau et al., 2017) and
Sentence-BERT (Reimers & Gurevych, 2019). Texts over the encoder's `max_seq_length` are
truncated by it; `describe()` counts them for the training and the last predicted set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.embeddings import DEFAULT_EMBEDDER
from synloom.train.base import check_trainable
from synloom.train.linear import LogRegTaskModel

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from synloom.batching import Truncation
    from synloom.train.data import LabeledData


class EmbeddingLogReg(LogRegTaskModel):
    """Frozen sentence embeddings + logistic regression (scikit-learn)."""

    name = "embed-lr"

    def __init__(
        self,
        *,
        embedder: str = DEFAULT_EMBEDDER,
        C: float = 4.0,
        max_iter: int = 2000,
        class_weight: str | None = None,
    ) -> None:
        self.embedder = embedder
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight

    def params(self) -> dict[str, object]:
        return {"embedder": self.embedder, "C": self.C, "class_weight": self.class_weight}

    def describe(self) -> dict[str, object]:
        out = super().describe()
        if getattr(self, "truncation_", None):
            out["truncation"] = dict(self.truncation_)
        return out

    def fit(self, train: LabeledData, *, seed: int = 0) -> EmbeddingLogReg:
        check_trainable(train, self.name)
        self.is_pair_ = train.is_pair
        self.truncation_: dict[str, dict] = {}
        self._phase = "train"
        try:
            self._fit_classifier(train, seed)
        finally:
            self._phase = "predict"
        return self

    def _features(self, texts: Sequence[str], texts_b: Sequence[str] | None) -> np.ndarray:
        import numpy as np

        from synloom.batching import Truncation
        from synloom.embeddings import embed_with_truncation

        u, cut = embed_with_truncation(list(texts), name=self.embedder)
        if texts_b is not None:
            v, cut_b = embed_with_truncation(list(texts_b), name=self.embedder)
            both = tuple(sorted(set(cut.indices) | set(cut_b.indices)))
            cut = Truncation(len(both), len(texts), cut.max_tokens, both)
            u = np.hstack([u, v, np.abs(u - v), u * v])
        self._record(cut)
        return u

    def _record(self, cut: Truncation) -> None:
        if not hasattr(self, "truncation_"):
            self.truncation_ = {}
        self.truncation_[getattr(self, "_phase", "predict")] = cut.to_json()
