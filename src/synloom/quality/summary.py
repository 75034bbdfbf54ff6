"""One display row per stored metric: headline value, direction mark and the secondary numbers.

`score_dataset` returns each metric's full result (a number or a dict); a table needs one number
per line and which way is better. The direction comes from the metric's `MetricInfo`, so the
terminal table of `synloom score` and the HTML report show the same marks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from synloom.quality.info import Direction, get_metric

MARKS: dict[str, str] = {
    "higher": "↑ better",
    "lower": "↓ better",
    "closer_to_reference": "≈ reference",
    "none": "",
}

# suite result name -> [(row name, MetricInfo name, headline key or None for a scalar result)]
HEADLINES: dict[str, list[tuple[str, str, str | None]]] = {
    "distinct_n": [("distinct_n (mean of n=1..4)", "distinct_n", "mean")],
    "self_bleu": [("self_bleu (BLEU-4)", "self_bleu", "self_bleu_4")],
    "ingf": [("ingf (n=1)", "ingf", "ingf_1")],
    "vocabulary_size": [("vocabulary_size", "vocabulary_size", None)],
    "compression_ratio": [("compression_ratio", "compression_ratio", None)],
    "vendi_ngram": [("vendi_ngram", "vendi_ngram", "score")],
    "vendi_embedding": [("vendi_embedding", "vendi_embedding", "score")],
    "aps": [("aps_intra", "aps_intra", "intra"), ("aps_inter", "aps_inter", "inter")],
    "oracle_agreement": [("oracle_agreement", "oracle_agreement", "agreement")],
    "relabel_agreement": [("relabel_agreement", "relabel_agreement", "agreement")],
    "perplexity": [("perplexity (mean)", "perplexity", "mean")],
    "mauve": [("mauve", "mauve", "mauve")],
    "frechet_distance": [("frechet_distance", "frechet_distance", None)],
    "length_distance": [("length_distance (W1, words)", "length_distance", "wasserstein")],
    "label_distance": [("label_distance (TV)", "label_distance", "total_variation")],
    "leakage_seed": [("leakage vs seed examples", "leakage", "leak_rate")],
    "leakage_reference": [("leakage vs reference", "leakage", "leak_rate")],
    "dcr": [("dcr (median ratio to holdout)", "dcr", "ratio")],
}
# Bookkeeping entries of the suite, not metrics.
NOT_METRICS = frozenset({"embed", "embed_reference"})
# Sizes and settings inside results: true but not worth a table cell.
BOOKKEEPING = frozenset(
    {"n", "n_samples", "n_total", "n_reference", "ngram", "cosine_threshold", "num_buckets", "dim"}
)
MAX_DETAILS = 4


@dataclass(frozen=True)
class MetricRow:
    """A line of a metric table; `value` is None for a skipped metric (then `note` says why)."""

    name: str
    metric: str  # the MetricInfo name ("" when the suite entry has none)
    family: str
    value: float | None
    better: Direction
    details: str = ""
    note: str = ""

    @property
    def mark(self) -> str:
        return MARKS[self.better]

    @property
    def skipped(self) -> bool:
        return self.value is None


def format_number(value: float | None) -> str:
    """Four significant digits; integers as integers."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1):
        return f"{int(value):,}"
    return f"{value:.4g}"


def summarize(
    metrics: Mapping[str, Any], skipped: Mapping[str, str] | None = None
) -> list[MetricRow]:
    """Rows for every metric result (in suite order), then one per skipped metric."""
    rows: list[MetricRow] = []
    for name, result in metrics.items():
        if name in NOT_METRICS:
            continue
        for row_name, info_name, key in HEADLINES.get(name, [(name, name, None)]):
            better, family = _direction(info_name)
            value = _headline(result, key)
            rows.append(
                MetricRow(
                    name=row_name,
                    metric=info_name,
                    family=family,
                    value=value,
                    better=better,
                    details=_details(result, key),
                    note="" if value is not None else "no number in the result",
                )
            )
    for name, why in (skipped or {}).items():
        info_name = HEADLINES.get(name, [(name, name, None)])[0][1]
        better, family = _direction(info_name)
        rows.append(MetricRow(name, info_name, family, None, better, note=f"skipped: {why}"))
    return rows


def _direction(info_name: str) -> tuple[Direction, str]:
    from synloom.errors import SynloomError

    try:
        info = get_metric(info_name)
    except SynloomError:
        return "none", ""
    return info.better, info.family


def _headline(result: Any, key: str | None) -> float | None:
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return result
    if isinstance(result, Mapping):
        value = result.get(key) if key else next(iter(_scalars(result).values()), None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return None


def _scalars(result: Mapping[str, Any]) -> dict[str, float]:
    return {
        k: v for k, v in result.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _details(result: Any, key: str | None) -> str:
    if not isinstance(result, Mapping):
        return ""
    items = [(k, v) for k, v in _scalars(result).items() if k != key and k not in BOOKKEEPING]
    return ", ".join(f"{k}={format_number(v)}" for k, v in items[:MAX_DETAILS])
