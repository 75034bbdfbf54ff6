"""Consistency filter: classifiers trained on the real seed examples must agree with the label.

A generated sample is kept when classifiers that never saw synthetic data prefer its label:
the filter of LAMBADA (Anaby-Tavor et al., "Do Not Have Enough Data? Deep Learning to the
Rescue!", AAAI 2020), which keeps generated sentences a classifier trained on the real data
labels as intended, and the round-trip consistency check of synthetic QA data (Alberti et al.,
ACL 2019). Its second voter is the k-nearest-neighbour label-noise rule (edited nearest
neighbours, Wilson, 1972; "Deep k-NN for Noisy Labels", Bahri et al., ICML 2020), here with the
real seeds as the neighbours.

Both voters work on frozen MiniLM embeddings: an L2 logistic regression (scikit-learn,
balanced class weights) and the label shares among the k most cosine-similar seeds. The score
is the margin of their mean distribution p: p[own label] - max over other labels p, in
[-1, 1]; the filter drops samples with a negative margin (the classifiers prefer another label).
The classifiers see only the seeds, so each sample is scored on its own (`per_sample`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from synloom.curate.base import Method, MethodInfo, MethodOptions, MethodScores
from synloom.curate.heads import seed_features

if TYPE_CHECKING:
    from synloom.curate.data import CurationData

DEFAULT_K = 5


class ConsistencyOptions(MethodOptions):
    """k: neighbours among the seeds (None: min(5, the fewest seeds of a label)); C: the
    logistic regression's inverse L2 strength (scikit-learn's default); threshold: the margin
    below which a sample is dropped."""

    k: int | None = Field(default=None, ge=1)
    C: float = Field(default=1.0, gt=0)
    threshold: float = Field(default=0.0, ge=-1, le=1)


def margin(probs: np.ndarray, own: np.ndarray) -> np.ndarray:
    """(n,) p[own] - max over the other labels of p, for (n, K) distributions."""
    rows = np.arange(len(own))
    others = probs.copy()
    others[rows, own] = -np.inf
    return probs[rows, own] - others.max(axis=1)


def knn_probs(x: np.ndarray, seeds: np.ndarray, seed_labels: np.ndarray, k: int, n_labels: int):
    """(n, K) label shares among each row's k most cosine-similar seeds (ties: first seed)."""
    sims = x @ seeds.T
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    votes = np.zeros((len(x), n_labels))
    for column in nearest.T:
        votes[np.arange(len(x)), seed_labels[column]] += 1.0
    return votes / k


def lr_probs(x: np.ndarray, seeds: np.ndarray, seed_labels: np.ndarray, c: float, seed: int):
    """(n, K) probabilities of a logistic regression fitted on the seeds (labels 0..K-1);
    lbfgs is deterministic, so every chunk of a curation refits the same model."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)
    model.fit(seeds, seed_labels)
    probs = np.zeros((len(x), int(seed_labels.max()) + 1))
    probs[:, model.classes_] = model.predict_proba(x)
    return probs


INFO = MethodInfo(
    name="consistency",
    kind="filter",
    measures="margin of seed-trained classifiers (LR + kNN on MiniLM) for the sample's label",
    citation=(
        "Anaby-Tavor et al., AAAI 2020 (LAMBADA filter); Alberti et al., ACL 2019; "
        "Wilson 1972 / Bahri et al., ICML 2020 (kNN label-noise filter)"
    ),
    needs=("seeds", "embeddings"),
    per_sample=True,
)


class Consistency(Method):
    info = INFO
    options = ConsistencyOptions

    def score(self, data: CurationData, options: ConsistencyOptions) -> MethodScores:
        seeds, seed_labels = seed_features(data, INFO.name)
        n_labels = len(data.label_names)
        fewest = int(np.bincount(seed_labels, minlength=n_labels).min())
        k = min(options.k or min(DEFAULT_K, fewest), len(seed_labels))
        summary = {"k": k, "C": options.C, "seeds": len(seed_labels), "fewest_seeds": fewest}
        if len(data) == 0:
            return MethodScores(np.zeros(0), summary=summary)
        x = data.embeddings()
        own = data.label_index
        p_lr = lr_probs(x, seeds, seed_labels, options.C, data.seed)
        p_knn = knn_probs(x, seeds, seed_labels, k, n_labels)
        p = (p_lr + p_knn) / 2
        rows = np.arange(len(own))
        details = {
            "lr_prob": p_lr[rows, own],
            "knn_prob": p_knn[rows, own],
            "lr_margin": margin(p_lr, own),
            "knn_margin": margin(p_knn, own),
        }
        return MethodScores(margin(p, own), details=details, summary=summary)


METHOD = Consistency()
