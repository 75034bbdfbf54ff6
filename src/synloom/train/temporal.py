"""Temporal ensembling and the confidence filter for noisy synthetic labels (numpy).

Temporal ensembling (Laine & Aila, ICLR 2017): every interval the model predicts the whole
training set and the predictions are averaged with momentum m, Z <- m Z + (1 - m) p, divided by
1 - m^t to remove the start-up bias; a consistency loss pulls the model towards Z with weight
lambda * exp(-5 (1 - r)^2) (r = training progress). The confidence filter (SuperGen, Meng et al.
2022; FewGen, Meng et al. 2023) keeps, for the next interval, only samples whose ensembled
prediction equals their label with confidence > tau, falling back to the more confident half of
a class when fewer than 16 of its samples pass.
"""

from __future__ import annotations

import math

import numpy as np


class TemporalEnsemble:
    """Momentum average of predicted class probabilities with bias correction."""

    def __init__(self, n_samples: int, n_classes: int, momentum: float = 0.9) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = momentum
        self.count = 0
        self._sum = np.zeros((n_samples, n_classes), dtype=np.float64)

    def update(self, probs: np.ndarray) -> np.ndarray:
        """Add one round of predictions; return the bias-corrected ensemble."""
        m = self.momentum
        self._sum = m * self._sum + (1.0 - m) * np.asarray(probs, dtype=np.float64)
        self.count += 1
        return self.probs

    @property
    def probs(self) -> np.ndarray:
        if self.count == 0:
            raise ValueError("the ensemble has no predictions yet")
        return self._sum / (1.0 - self.momentum**self.count)


def ramp_weight(progress: float) -> float:
    """exp(-5 (1 - r)^2) for r in [0, 1] (Laine & Aila, 2017)."""
    r = min(max(progress, 0.0), 1.0)
    return math.exp(-5.0 * (1.0 - r) ** 2)


def confidence_filter(
    probs: np.ndarray, labels: np.ndarray, threshold: float = 0.8, min_per_class: int = 16
) -> np.ndarray:
    """Indices (sorted) of samples to keep: ensembled argmax == label and max prob > threshold;
    for a class with fewer than `min_per_class` kept, keep instead its top half by the
    probability of that class (FewGen's fallback)."""
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    keep = (probs.argmax(axis=1) == labels) & (probs.max(axis=1) > threshold)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if keep[members].sum() >= min_per_class:
            continue
        order = members[np.argsort(-probs[members, c], kind="stable")]
        keep[order[: max(1, math.ceil(len(members) / 2))]] = True
    return np.flatnonzero(keep)
