"""Diversity broken down by attribute: for each dimension the samples' requests drew a value of
(their `meta["attributes"]`, AttrPrompt's attributed prompts: Yu et al., "Large Language Model
as Attributed Training Data Generator: A Tale of Diversity and Bias", NeurIPS 2023), and each of
its values, how many samples carry it, their distinct-2 (Li et al., NAACL 2016: distinct bigrams
/ all bigrams) and their APS (mean cosine of the sentence embeddings over pairs of distinct
samples, Yu et al.'s measure).

A value whose samples have a high APS and a low distinct-2 did not steer the generator into
different text; a dimension whose values differ little did not matter. Distinct-2 falls as a set
grows, so compare values of similar counts. The headline is the mean distinct-2 over every
(dimension, value) with at least 2 samples; `distinct_2_all` is that of all attributed samples
together, for scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synloom.errors import SynloomError
from synloom.quality.info import Metric, MetricInfo
from synloom.quality.tokens import ngrams

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np

    from synloom.quality.inputs import ScoringInputs

METRICS = (
    MetricInfo(
        name="attribute_diversity",
        family="diversity",
        measures="per attribute dimension and value: samples drawn with it, their distinct-2 and "
        "APS (mean pairwise embedding cosine); headline: mean distinct-2 within a value",
        range="[0, 1] (APS [-1, 1])",
        better="higher",
        citation="Yu et al., Large Language Model as Attributed Training Data Generator: A Tale "
        "of Diversity and Bias, NeurIPS 2023",
        function="synloom.quality.metrics.attribute_diversity:attribute_diversity",
        inputs=("attributes", "tokens", "embeddings"),
        headline="distinct_2_within_value",
        label="attribute_diversity (distinct-2 within a value)",
    ),
)


def _distinct_2(token_lists: Sequence[Sequence[str]]) -> float | None:
    grams = [g for toks in token_lists for g in ngrams(toks, 2)]
    return len(set(grams)) / len(grams) if grams else None


def _aps(rows: np.ndarray) -> float | None:
    """Mean cosine over pairs of distinct rows (unit-norm rows: (||Σv||² − n) / n(n − 1))."""
    n = rows.shape[0]
    if n < 2:
        return None
    total = rows.sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def attribute_diversity(
    attributes: Sequence[Mapping[str, str] | None],
    tokens: Sequence[Sequence[str]],
    embeddings: np.ndarray | None = None,
) -> dict[str, Any]:
    """Per dimension and value: `count`, `distinct_2` and `aps` (None below 2 samples, or
    without embeddings) of the samples drawn with it; the means over values per dimension and
    over all (dimension, value) groups; the same two numbers for all attributed samples."""
    if len(attributes) != len(tokens):
        raise SynloomError(f"got attributes for {len(attributes)} samples but {len(tokens)} texts")
    unit = None
    if embeddings is not None:
        from synloom.quality.neighbors import unit_rows

        unit = unit_rows(embeddings, dtype="float64")
    groups: dict[str, dict[str, list[int]]] = {}
    for i, attrs in enumerate(attributes):
        for dim, value in (attrs or {}).items():
            groups.setdefault(dim, {}).setdefault(str(value), []).append(i)
    attributed = sorted({i for values in groups.values() for idx in values.values() for i in idx})
    dims: dict[str, Any] = {}
    within: list[tuple[float | None, float | None]] = []
    for dim in sorted(groups):
        values = {}
        for value, idx in sorted(groups[dim].items(), key=lambda kv: (-len(kv[1]), kv[0])):
            big = len(idx) >= 2
            d2 = _distinct_2([tokens[i] for i in idx]) if big else None
            aps = _aps(unit[idx]) if unit is not None and big else None
            values[value] = {"count": len(idx), "distinct_2": d2, "aps": aps}
            if big:
                within.append((d2, aps))
        dims[dim] = {
            "n_values": len(values),
            "distinct_2": _mean([v["distinct_2"] for v in values.values()]),
            "aps": _mean([v["aps"] for v in values.values()]),
            "values": values,
        }
    return {
        "distinct_2_within_value": _mean([d for d, _ in within]),
        "aps_within_value": _mean([a for _, a in within]),
        "distinct_2_all": _distinct_2([tokens[i] for i in attributed]),
        "aps_all": _aps(unit[attributed]) if unit is not None else None,
        "n_attributed": len(attributed),
        "dimensions": dims,
    }


def _compute(inputs: ScoringInputs) -> dict[str, Any]:
    return attribute_diversity(inputs.attributes, inputs.tokens, inputs.embeddings)


METRIC = Metric(
    "attribute_diversity",
    METRICS,
    needs=("attributes", "tokens", "embeddings"),
    compute=_compute,
)
