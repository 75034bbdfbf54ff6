"""Distance to closest record (DCR): how close synthetic samples sit to real training records.

Park et al., "Data Synthesis based on Generative Adversarial Networks", VLDB 2018; the
holdout-relative reading follows Zhao et al., "CTAB-GAN", ACML 2021 and the synthcity / SDV
privacy checks. Distance is the cosine distance (1 − cosine) between sentence embeddings. The
holdout baseline is the DCR of real records the generator never saw: `ratio` = median synthetic
DCR / median holdout DCR. A ratio well below 1 means synthetic samples are closer to the
reference than fresh real data is (memorisation); about 1 is the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.neighbors import nearest_cosine

if TYPE_CHECKING:
    import numpy as np

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="dcr",
        family="privacy",
        measures="cosine distance from each synthetic sample to its closest reference record; "
        "median vs a real holdout's",
        range="distances [0, 2]; ratio [0, inf), target about 1",
        better="higher",
        citation="Park et al., Data Synthesis based on Generative Adversarial Networks, VLDB 2018",
        function="synloom.quality.metrics.dcr:distance_to_closest_record",
        inputs=("embeddings", "reference_embeddings", "holdout_embeddings?"),
        headline="ratio",
        label="dcr (median ratio to holdout)",
    ),
)


@dataclass(frozen=True)
class DcrResult:
    median: float
    mean: float
    p05: float  # 5th percentile
    share_zero: float  # share at distance < 1e-6 (copies)
    holdout_median: float | None
    holdout_p05: float | None
    ratio: float | None  # median / holdout_median
    share_below_holdout_p05: float | None
    n_samples: int


def distance_to_closest_record(
    embeddings: np.ndarray,
    reference_embeddings: np.ndarray,
    holdout_embeddings: np.ndarray | None = None,
) -> DcrResult:
    """DCR statistics of `embeddings` vs `reference_embeddings`, relative to a real holdout."""
    import numpy as np

    if len(embeddings) == 0:
        raise SynloomError("DCR needs at least one sample")
    d = np.maximum(1.0 - nearest_cosine(embeddings, reference_embeddings)[0], 0.0)
    h_median = h_p05 = ratio = below = None
    if holdout_embeddings is not None and len(holdout_embeddings):
        h = np.maximum(1.0 - nearest_cosine(holdout_embeddings, reference_embeddings)[0], 0.0)
        h_median, h_p05 = float(np.median(h)), float(np.percentile(h, 5))
        ratio = float(np.median(d) / h_median) if h_median > 0 else None
        below = float((d < h_p05).mean())
    return DcrResult(
        median=float(np.median(d)),
        mean=float(d.mean()),
        p05=float(np.percentile(d, 5)),
        share_zero=float((d < 1e-6).mean()),
        holdout_median=h_median,
        holdout_p05=h_p05,
        ratio=ratio,
        share_below_holdout_p05=below,
        n_samples=len(d),
    )


def _compute(inputs: ScoringInputs) -> DcrResult:
    ref = inputs.reference_embeddings
    return distance_to_closest_record(
        inputs.embeddings, ref[inputs.train_idx], ref[inputs.hold_idx]
    )


METRIC = Metric(
    "dcr", METRICS, needs=("embeddings", "reference_embeddings", "holdout"), compute=_compute
)
