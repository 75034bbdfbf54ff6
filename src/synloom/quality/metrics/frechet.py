"""Fréchet distance between Gaussian fits of real and synthetic embedding distributions.

Fréchet, 1957 / Dowson & Landau, 1982 for Gaussians; popularised as FID by Heusel et al., "GANs
Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017.
FD = ||μ1 − μ2||² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^{1/2}), computed as in pytorch-fid (scipy sqrtm,
ε-regularised when the product is singular). 0 for identical Gaussians; lower is closer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo

if TYPE_CHECKING:
    import numpy as np

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="frechet_distance",
        family="fidelity",
        measures="Fréchet distance between Gaussians fitted to real and synthetic embeddings",
        range="[0, inf)",
        better="lower",
        citation="Heusel et al., GANs Trained by a Two Time-Scale Update Rule Converge to a Local "
        "Nash Equilibrium, NeurIPS 2017; Dowson & Landau, J. Multivariate Anal. 1982",
        function="synloom.quality.metrics.frechet:frechet_distance",
        inputs=("embeddings", "reference_embeddings"),
    ),
)


def frechet_distance(reference: np.ndarray, samples: np.ndarray) -> float:
    """FD between Gaussian fits (mean, unbiased covariance) of two embedding sets."""
    import numpy as np

    a = np.asarray(reference, dtype=np.float64)
    b = np.asarray(samples, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise SynloomError(
            f"Fréchet distance needs 2-D arrays of equal width, got {a.shape}, {b.shape}"
        )
    if len(a) < 2 or len(b) < 2:
        raise SynloomError("Fréchet distance needs at least 2 rows on each side")
    return gaussian_frechet_distance(
        a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False)
    )


def gaussian_frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6
) -> float:
    """Closed-form Fréchet (2-Wasserstein²) distance between N(mu1, sigma1) and N(mu2, sigma2)."""
    import numpy as np
    from scipy.linalg import sqrtm

    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = np.asarray(mu1) - np.asarray(mu2)
    covmean = sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise SynloomError("Fréchet distance: sqrtm returned a large imaginary component")
        covmean = covmean.real
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
    return float(max(value, 0.0))


def _compute(inputs: ScoringInputs) -> float:
    return frechet_distance(inputs.reference_embeddings, inputs.embeddings)


METRIC = Metric(
    "frechet_distance",
    METRICS,
    needs=("embeddings", "reference_embeddings"),
    compute=_compute,
)
