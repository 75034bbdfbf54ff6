"""Compression ratio: how much gzip shrinks the corpus; repetitive corpora compress more.

Shaib et al., "Standardizing the Measurement of Text Diversity: A Tool and a Comparative
Analysis of Scores", 2024 (the `diversity` package). Ratio = size of the UTF-8 corpus (texts
joined by single spaces) / size of its gzip (level 9, no timestamp). The `diversity` package
gzips the already-gzipped bytes a second time; we compress once, so our values are the
textbook ratio, not identical to its output.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

from synloom.quality.info import Metric, MetricInfo

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="compression_ratio",
        family="diversity",
        measures="UTF-8 bytes of the joined corpus / bytes of its gzip",
        range="(0, inf), about 2-4 for varied English sentences",
        better="lower",
        citation="Shaib et al., Standardizing the Measurement of Text Diversity, 2024",
        function="synloom.quality.metrics.compression:compression_ratio",
        inputs=("texts",),
    ),
)


def compression_ratio(texts: Sequence[str], level: int = 9) -> float:
    """Original / gzip-compressed size of the space-joined corpus; 0.0 for an empty corpus."""
    raw = " ".join(texts).encode("utf-8")
    if not raw:
        return 0.0
    return len(raw) / len(gzip.compress(raw, compresslevel=level, mtime=0))


def _compute(inputs: ScoringInputs) -> float:
    return compression_ratio(inputs.texts)


METRIC = Metric("compression_ratio", METRICS, needs=("texts",), compute=_compute)
