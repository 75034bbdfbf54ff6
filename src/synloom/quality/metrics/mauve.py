"""MAUVE: area under the divergence frontier between real and synthetic embedding distributions.

Pillutla et al., "MAUVE: Measuring the Gap Between Neural Text and Human Text using Divergence
Frontiers", NeurIPS 2021; MAUVE* / frontier integral: Pillutla et al., JMLR 2023. Mirrors
`mauve-text` 0.4 `compute_mauve(p_features=..., q_features=...)` step by step: stack [q; p],
L2-normalise, PCA keeping 90% of variance, k-means into max(2, round(min(n_p, n_q)/10))
buckets (5 restarts, 500 iterations), histograms, divergence curve at 25 mixture weights with
scaling c = 5, mean of the two areas. Only the k-means differs by default: `mauve-text` uses
faiss, we use scikit-learn (no extra dependency), so the buckets and hence the score differ a
little on the same features and seed (bounded in docs/quality.md); `kmeans="faiss"` (needs
faiss-cpu) reproduces mauve-text exactly. Given the same histograms, every later step is identical.
Range (0, 1]; higher = the synthetic distribution is closer to the real one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo

if TYPE_CHECKING:
    import numpy as np

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="mauve",
        family="fidelity",
        measures="area under the divergence frontier of k-means-quantised real vs synthetic "
        "embedding distributions",
        range="(0, 1]",
        better="higher",
        citation="Pillutla et al., MAUVE: Measuring the Gap Between Neural Text and Human Text "
        "using Divergence Frontiers, NeurIPS 2021",
        function="synloom.quality.metrics.mauve:mauve",
        inputs=("embeddings", "reference_embeddings"),
        headline="mauve",
    ),
)


@dataclass(frozen=True)
class MauveResult:
    mauve: float
    mauve_star: float  # with Krichevsky-Trofimov smoothed histograms (JMLR 2023)
    frontier_integral: float  # lower = closer
    num_buckets: int
    p_hist: list[float]
    q_hist: list[float]


def mauve(
    reference_features: np.ndarray,
    features: np.ndarray,
    num_buckets: int | str = "auto",
    explained_variance: float = 0.9,
    num_redo: int = 5,
    max_iter: int = 500,
    scaling_factor: float = 5.0,
    discretization: int = 25,
    seed: int = 25,
    kmeans: str = "sklearn",
) -> MauveResult:
    """MAUVE of synthetic `features` (q) against `reference_features` (p), mauve-text defaults."""
    import numpy as np

    p_feat = np.asarray(reference_features)  # dtype kept, as mauve-text does (float32 PCA)
    q_feat = np.asarray(features)
    if p_feat.ndim != 2 or q_feat.ndim != 2 or not len(p_feat) or not len(q_feat):
        raise SynloomError("MAUVE needs two non-empty 2-D feature arrays")
    if num_buckets == "auto":
        num_buckets = max(2, round(min(len(p_feat), len(q_feat)) / 10))
    if not isinstance(num_buckets, int):
        raise SynloomError(f"num_buckets must be an int or 'auto', got {num_buckets!r}")
    p_counts, q_counts = quantize(
        p_feat, q_feat, num_buckets, explained_variance, num_redo, max_iter, seed, kmeans
    )
    p_hist, q_hist = p_counts / p_counts.sum(), q_counts / q_counts.sum()
    p_smooth = (p_counts + 0.5) / (p_counts + 0.5).sum()
    q_smooth = (q_counts + 0.5) / (q_counts + 0.5).sum()
    return MauveResult(
        mauve=mauve_from_histograms(p_hist, q_hist, scaling_factor, discretization),
        mauve_star=mauve_from_histograms(p_smooth, q_smooth, scaling_factor, discretization),
        frontier_integral=frontier_integral(p_hist, q_hist),
        num_buckets=num_buckets,
        p_hist=p_hist.tolist(),
        q_hist=q_hist.tolist(),
    )


def quantize(
    p_feat, q_feat, num_buckets, explained_variance, num_redo, max_iter, seed, kmeans="sklearn"
):
    """Bucket counts of p and q after joint normalisation, PCA and k-means (as mauve-text)."""
    import numpy as np
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import normalize

    data = normalize(np.vstack([q_feat, p_feat]), norm="l2", axis=1)
    pca = PCA(n_components=None, whiten=False, random_state=seed + 1).fit(data)
    keep = int(np.argmax(np.cumsum(pca.explained_variance_ratio_) >= explained_variance)) + 1
    data = pca.transform(data)[:, :keep].astype(np.float32)
    if kmeans == "sklearn":
        from sklearn.cluster import KMeans

        labels = KMeans(
            n_clusters=num_buckets, n_init=num_redo, max_iter=max_iter, random_state=seed + 2
        ).fit_predict(data)
    elif kmeans == "faiss":
        labels = _faiss_labels(data, num_buckets, num_redo, max_iter, seed)
    else:
        raise SynloomError(f"MAUVE kmeans must be 'sklearn' or 'faiss', not {kmeans!r}")
    q_counts = np.bincount(labels[: len(q_feat)], minlength=num_buckets).astype(np.float64)
    p_counts = np.bincount(labels[len(q_feat) :], minlength=num_buckets).astype(np.float64)
    return p_counts, q_counts


def _faiss_labels(data, num_buckets, num_redo, max_iter, seed):
    try:
        import faiss
    except ImportError as exc:
        raise SynloomError("MAUVE kmeans='faiss' needs faiss: pip install faiss-cpu") from exc
    km = faiss.Kmeans(
        data.shape[1],
        num_buckets,
        niter=max_iter,
        nredo=num_redo,
        update_index=True,
        seed=seed + 2,
        verbose=False,
    )
    km.train(data)
    return km.index.search(data, 1)[1].reshape(-1)


def mauve_from_histograms(
    p: np.ndarray, q: np.ndarray, scaling_factor: float = 5.0, discretization: int = 25
) -> float:
    """Area under the divergence curve of two histograms (mean of both orientations)."""
    import numpy as np
    from sklearn.metrics import auc

    curve = [[0.0, np.inf]]
    for w in np.linspace(1e-6, 1 - 1e-6, discretization):
        r = w * p + (1 - w) * q
        curve.append([_kl(q, r), _kl(p, r)])
    curve.append([np.inf, 0.0])
    x, y = np.exp(-scaling_factor * np.asarray(curve)).T
    i1, i2 = np.argsort(x), np.argsort(y)
    return float(0.5 * (auc(x[i1], y[i1]) + auc(y[i2], x[i2])))


def frontier_integral(p: np.ndarray, q: np.ndarray, scaling_factor: float = 2.0) -> float:
    """Frontier integral of two histograms (Pillutla et al., JMLR 2023); 0 when p == q."""
    total = 0.0
    for p1, q1 in zip(p.tolist(), q.tolist(), strict=True):
        if p1 == 0 and q1 == 0:
            continue
        if p1 == 0 or q1 == 0:
            total += (p1 + q1) / 4
        elif abs(p1 - q1) > 1e-8:
            t2 = p1 * q1 * (math.log(p1) - math.log(q1)) / (p1 - q1)
            total += 0.25 * (p1 + q1) - 0.5 * t2
    return total * scaling_factor


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    import numpy as np

    if np.logical_and(p != 0, q == 0).any():
        return float("inf")
    idx = np.logical_and(p != 0, q != 0)
    return float(np.sum(p[idx] * np.log(p[idx] / q[idx])))


def _compute(inputs: ScoringInputs) -> dict:
    """MAUVE on the suite's subsamples (at most `mauve_max_samples` per side), with their sizes."""
    p_idx, q_idx = inputs.mauve_reference_idx, inputs.mauve_idx
    result = mauve(inputs.reference_embeddings[p_idx], inputs.embeddings[q_idx])
    return asdict(result) | {"n_reference": len(p_idx), "n_samples": len(q_idx)}


METRIC = Metric("mauve", METRICS, needs=("embeddings", "reference_embeddings"), compute=_compute)
