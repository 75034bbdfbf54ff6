"""Vendi score: the effective number of distinct samples under a similarity kernel.

Friedman & Dieng, "The Vendi Score: A Diversity Evaluation Metric for Machine Learning", TMLR
2023. VS = exp(−Σ λ_i log λ_i), λ the eigenvalues of K/n for an n×n kernel with K_ii = 1.
Ranges from 1 (all samples identical) to n (all orthogonal); higher is more diverse.

Two kernels, as in the `vendi-score` package:
- embedding: cosine of (L2-normalised) sentence embeddings. Computed exactly through the d×d
  dual X^T X / n when n > d, so it scales to any n.
- n-gram: the mean over n = 1..4 of cosine kernels of n-gram count vectors
  (`vendi_score.text_utils.ngram_vendi_score`). This needs the n×n kernel, so above
  `max_samples` (default 2,000) it is computed on a seeded uniform subsample of that size and
  the result says so: the score is then the effective number among those samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.tokens import tokenize, tokens_of
from synloom.sampling import subsample_indices

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import numpy as np

    from synloom.quality.inputs import ScoringInputs

_CITATION = (
    "Friedman & Dieng, The Vendi Score: A Diversity Evaluation Metric for Machine Learning, "
    "TMLR 2023"
)
METRICS = (
    MetricInfo(
        name="vendi_embedding",
        family="diversity",
        measures="effective number of distinct samples under the cosine kernel of sentence "
        "embeddings",
        range="[1, n]",
        better="higher",
        citation=_CITATION,
        function="synloom.quality.metrics.vendi:vendi_embedding",
        inputs=("embeddings",),
        headline="score",
    ),
    MetricInfo(
        name="vendi_ngram",
        family="diversity",
        measures="effective number of distinct samples under the mean cosine kernel of "
        "1..4-gram count vectors",
        range="[1, n]",
        better="higher",
        citation=_CITATION,
        function="synloom.quality.metrics.vendi:vendi_ngram",
        inputs=("texts",),
        headline="score",
    ),
)


@dataclass(frozen=True)
class VendiResult:
    score: float
    n_samples: int  # samples the kernel was built on
    n_total: int  # samples given


def vendi_from_kernel(kernel: np.ndarray) -> float:
    """exp(entropy) of the eigenvalues of K/n (K symmetric PSD with unit diagonal)."""
    import numpy as np
    from scipy.linalg import eigvalsh

    k = np.asarray(kernel, dtype=np.float64)
    return _exp_entropy(eigvalsh(k / k.shape[0]))


def vendi_embedding(embeddings: np.ndarray) -> VendiResult:
    """Vendi score with the cosine kernel on embeddings; exact for any n."""
    import numpy as np
    from scipy.linalg import eigvalsh

    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise SynloomError(f"Vendi needs a non-empty 2-D embedding array, got shape {x.shape}")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if (norms == 0).any():
        raise SynloomError("embeddings contain an all-zero row; cosine is undefined")
    x = x / norms
    n, d = x.shape
    gram = (x @ x.T) if n <= d else (x.T @ x)  # same non-zero spectrum
    return VendiResult(_exp_entropy(eigvalsh(gram / n)), n, n)


def vendi_ngram(
    texts: Sequence[str],
    ns: Sequence[int] = (1, 2, 3, 4),
    max_samples: int | None = 2000,
    seed: int = 0,
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
) -> VendiResult:
    """Vendi score with the averaged n-gram cosine kernel (subsampled above `max_samples`).

    `tokens`: the texts' token lists when already computed (then `tokenizer` is unused)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    if len(texts) == 0:
        raise SynloomError("Vendi needs at least one text")
    chosen = list(texts) if tokens is None else list(tokens_of(texts, tokens=tokens))
    chosen = [chosen[i] for i in subsample_indices(len(chosen), max_samples, seed)]
    kernel = np.zeros((len(chosen), len(chosen)), dtype=np.float64)
    for n in ns:
        vectorizer = CountVectorizer(
            tokenizer=(tokenizer or tokenize) if tokens is None else list,
            lowercase=False,
            token_pattern=None,
            ngram_range=(n, n),
        )
        try:
            counts = vectorizer.fit_transform(chosen)
        except ValueError:  # no text has an n-gram of this order: all-zero kernel
            continue
        x = normalize(counts)
        kernel += (x @ x.T).toarray()
    kernel /= len(ns)
    return VendiResult(vendi_from_kernel(kernel), len(chosen), len(texts))


def _exp_entropy(eigenvalues: np.ndarray) -> float:
    import numpy as np

    p = eigenvalues[eigenvalues > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def _compute_ngram(inputs: ScoringInputs) -> VendiResult:
    return vendi_ngram(inputs.texts, seed=inputs.seed, tokens=inputs.tokens)


def _compute_embedding(inputs: ScoringInputs) -> VendiResult:
    return vendi_embedding(inputs.embeddings)


NGRAM = Metric("vendi_ngram", METRICS[1:], needs=("tokens",), compute=_compute_ngram)
EMBEDDING = Metric(
    "vendi_embedding", METRICS[:1], needs=("embeddings",), compute=_compute_embedding
)
