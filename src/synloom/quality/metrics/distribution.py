"""Distances between the length and label distributions of synthetic and real data.

Length: token counts (synloom tokenizer) compared by the 1-Wasserstein distance (Kantorovich
1942; mean absolute shift in tokens) and the two-sample Kolmogorov-Smirnov statistic (Smirnov
1948), both via scipy. Labels: total variation distance and Jensen-Shannon divergence (Lin,
"Divergence measures based on the Shannon entropy", IEEE Trans. Inf. Theory 1991; base 2, in
[0, 1]) between label proportions. 0 = same distribution; lower is closer.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.tokens import tokens_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="length_distance",
        family="fidelity",
        measures="1-Wasserstein distance (tokens) and KS statistic between real and synthetic "
        "text-length distributions",
        range="wasserstein [0, inf) tokens; ks [0, 1]",
        better="lower",
        citation="Kantorovich 1942 (Wasserstein-1); Smirnov 1948 (two-sample KS)",
        function="synloom.quality.metrics.distribution:length_distance",
        inputs=("texts", "reference_texts"),
        headline="wasserstein",
        label="length_distance (W1, tokens)",
    ),
    MetricInfo(
        name="label_distance",
        family="fidelity",
        measures="total variation distance and Jensen-Shannon divergence (base 2) between real "
        "and synthetic label proportions",
        range="[0, 1]",
        better="lower",
        citation="Lin, Divergence measures based on the Shannon entropy, IEEE TIT 1991",
        function="synloom.quality.metrics.distribution:label_distance",
        inputs=("labels", "reference_labels"),
        headline="total_variation",
        label="label_distance (TV)",
    ),
)


@dataclass(frozen=True)
class LengthDistance:
    wasserstein: float
    ks: float
    mean_length: float
    reference_mean_length: float


@dataclass(frozen=True)
class LabelDistance:
    total_variation: float
    jensen_shannon: float
    proportions: dict[str, float]
    reference_proportions: dict[str, float]


def length_distance(
    texts: Sequence[str],
    reference_texts: Sequence[str],
    tokenizer: Callable[[str], list[str]] | None = None,
    tokens: Sequence[Sequence[str]] | None = None,
    reference_tokens: Sequence[Sequence[str]] | None = None,
) -> LengthDistance:
    """Compare token-length distributions of `texts` and `reference_texts` (in tokens, not
    words); `tokens` / `reference_tokens`: their token lists when already computed."""
    from scipy.stats import ks_2samp, wasserstein_distance

    if not texts or not reference_texts:
        raise SynloomError("length distance needs texts on both sides")
    lengths = [len(t) for t in tokens_of(texts, tokenizer, tokens)]
    ref_lengths = [len(t) for t in tokens_of(reference_texts, tokenizer, reference_tokens)]
    return LengthDistance(
        wasserstein=float(wasserstein_distance(lengths, ref_lengths)),
        ks=float(ks_2samp(lengths, ref_lengths).statistic),
        mean_length=sum(lengths) / len(lengths),
        reference_mean_length=sum(ref_lengths) / len(ref_lengths),
    )


def label_distance(labels: Sequence[str], reference_labels: Sequence[str]) -> LabelDistance:
    """Compare label proportions; labels missing on one side count as proportion 0 there."""
    if not labels or not reference_labels:
        raise SynloomError("label distance needs labels on both sides")
    names = sorted(set(labels) | set(reference_labels))
    p = _proportions(labels, names)
    q = _proportions(reference_labels, names)
    m = {k: (p[k] + q[k]) / 2 for k in names}
    js = 0.5 * _kl2(p, m) + 0.5 * _kl2(q, m)
    return LabelDistance(
        total_variation=0.5 * sum(abs(p[k] - q[k]) for k in names),
        jensen_shannon=max(js, 0.0),
        proportions=p,
        reference_proportions=q,
    )


def _proportions(labels: Sequence[str], names: list[str]) -> dict[str, float]:
    counts = Counter(labels)
    return {k: counts[k] / len(labels) for k in names}


def _kl2(p: dict[str, float], q: dict[str, float]) -> float:
    return sum(p[k] * math.log2(p[k] / q[k]) for k in p if p[k] > 0)


def _compute_length(inputs: ScoringInputs) -> LengthDistance:
    return length_distance(
        inputs.texts,
        inputs.reference_texts,
        tokens=inputs.tokens,
        reference_tokens=inputs.reference_tokens,
    )


def _compute_label(inputs: ScoringInputs) -> LabelDistance:
    return label_distance(inputs.labels, inputs.reference_labels)


LENGTH = Metric(
    "length_distance", METRICS[:1], needs=("tokens", "reference_tokens"), compute=_compute_length
)
LABEL = Metric("label_distance", METRICS[1:], needs=("labels", "reference"), compute=_compute_label)
