"""One display row per stored metric: headline value, direction mark and the secondary numbers.

`score_dataset` returns each metric's full result (a number or a dict); a table needs one number
per line and which way is better. Both come from the registered metrics' `MetricInfo`s
(`headline`, `label`, `better`), so the terminal table of `synloom score` and the HTML report
show the same rows and marks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from synloom.quality.info import Direction, MetricInfo
from synloom.quality.registry import get_metric, registered

MARKS: dict[str, str] = {
    "higher": "↑ better",
    "lower": "↓ better",
    "closer_to_reference": "≈ reference",
    "none": "",
}


def headlines() -> dict[str, list[tuple[str, MetricInfo]]]:
    """suite result name -> its table rows (row name, info), from the registered metrics."""
    return {metric.name: metric.rows() for metric in registered() if metric.compute is not None}


# suite result name -> [(row name, MetricInfo name, headline key or None for a scalar result)]
HEADLINES = {
    name: [(row, info.name, info.headline) for row, info in rows]
    for name, rows in headlines().items()
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
    known = headlines()
    rows: list[MetricRow] = []
    for name, result in metrics.items():
        if name in NOT_METRICS:
            continue
        for row_name, info in known.get(name) or [(name, _info(name))]:
            key = info.headline if info else None
            value = _headline(result, key)
            rows.append(
                MetricRow(
                    name=row_name,
                    metric=info.name if info else name,
                    family=info.family if info else "",
                    value=value,
                    better=info.better if info else "none",
                    details=_details(result, key),
                    note="" if value is not None else "no number in the result",
                )
            )
    for name, why in (skipped or {}).items():
        info = known[name][0][1] if name in known else _info(name)
        rows.append(
            MetricRow(
                name,
                info.name if info else name,
                info.family if info else "",
                None,
                info.better if info else "none",
                note=f"skipped: {why}",
            )
        )
    return rows


def _info(name: str) -> MetricInfo | None:
    """The description called `name` when there is one (results the registry does not run)."""
    from synloom.errors import SynloomError

    try:
        return get_metric(name)
    except SynloomError:
        return None


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
