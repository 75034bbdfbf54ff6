"""Per-label confusion between the labels samples were generated for and labels a judge gives.

Shared by oracle agreement (judge: a classifier trained on real data; Ye et al., ZeroGen, EMNLP
2022) and relabel agreement (judge: an LLM scoring verbalizers). Rows are intended labels,
columns the judge's; per label: n, agreement (= recall of the intended label) and precision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.classification import accuracy, confusion_counts
from synloom.quality.info import Metric, MetricInfo

if TYPE_CHECKING:
    from collections.abc import Sequence

METRICS = (
    MetricInfo(
        name="label_confusion",
        family="correctness",
        measures="confusion matrix of intended vs judged labels, with per-label agreement "
        "(recall) and precision",
        range="counts; per-label rates in [0, 1]",
        better="none",
        citation="Ye et al., ZeroGen: Efficient Zero-shot Learning via Dataset Generation, "
        "EMNLP 2022",
        function="synloom.quality.metrics.confusion:label_confusion",
        inputs=("labels", "judged_labels"),
    ),
)


@dataclass(frozen=True)
class LabelConfusion:
    labels: list[str]  # row/column order
    matrix: list[list[int]]  # matrix[i][j]: intended labels[i], judged labels[j]
    agreement: float  # share of samples whose judged label equals the intended one
    per_label: dict[str, dict[str, float]]  # label -> n, agreement, precision
    n: int


def label_confusion(
    intended: Sequence[str], judged: Sequence[str], labels: Sequence[str] | None = None
) -> LabelConfusion:
    """Confusion counts and agreement; `labels` fixes the order (default: sorted union)."""
    if len(intended) != len(judged):
        raise SynloomError(f"got {len(intended)} intended labels but {len(judged)} judged ones")
    if not intended:
        raise SynloomError("label agreement needs at least one sample")
    order = list(labels) if labels is not None else sorted(set(intended) | set(judged))
    missing = (set(intended) | set(judged)) - set(order)
    if missing:
        raise SynloomError(f"labels not in the given label list: {sorted(missing)}")
    matrix = confusion_counts(intended, judged, order)
    per_label = {}
    for i, name in enumerate(order):
        row = sum(matrix[i])
        col = sum(r[i] for r in matrix)
        per_label[name] = {
            "n": row,
            "agreement": matrix[i][i] / row if row else float("nan"),
            "precision": matrix[i][i] / col if col else float("nan"),
        }
    return LabelConfusion(order, matrix, accuracy(intended, judged), per_label, len(intended))


# Reported inside oracle and relabel agreement, not computed on its own.
METRIC = Metric("label_confusion", METRICS)
