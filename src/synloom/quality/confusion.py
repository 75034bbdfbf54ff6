"""Per-label confusion between the labels samples were generated for and labels a judge gives.

Shared by oracle agreement (judge: a classifier trained on real data; Ye et al., ZeroGen, EMNLP
2022) and relabel agreement (judge: an LLM scoring verbalizers). Rows are intended labels,
columns the judge's; per label: n, agreement (= recall of the intended label) and precision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from synloom.errors import SynloomError
from synloom.quality.info import MetricInfo

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
        function="synloom.quality.confusion:label_confusion",
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

    def to_json(self) -> dict:
        return asdict(self)


def label_confusion(
    intended: Sequence[str], judged: Sequence[str], labels: Sequence[str] | None = None
) -> LabelConfusion:
    """Confusion counts and agreement; `labels` fixes the order (default: sorted union)."""
    if len(intended) != len(judged):
        raise SynloomError(f"got {len(intended)} intended labels but {len(judged)} judged ones")
    if not intended:
        raise SynloomError("label agreement needs at least one sample")
    order = list(labels) if labels is not None else sorted(set(intended) | set(judged))
    index = {name: i for i, name in enumerate(order)}
    missing = (set(intended) | set(judged)) - set(index)
    if missing:
        raise SynloomError(f"labels not in the given label list: {sorted(missing)}")
    matrix = [[0] * len(order) for _ in order]
    for a, b in zip(intended, judged, strict=True):
        matrix[index[a]][index[b]] += 1
    per_label = {}
    for name, i in index.items():
        row = sum(matrix[i])
        col = sum(r[i] for r in matrix)
        per_label[name] = {
            "n": row,
            "agreement": matrix[i][i] / row if row else float("nan"),
            "precision": matrix[i][i] / col if col else float("nan"),
        }
    hits = sum(matrix[i][i] for i in range(len(order)))
    return LabelConfusion(order, matrix, hits / len(intended), per_label, len(intended))
