"""Score a synthetic dataset with every registered metric whose inputs are available.

What `synloom score` calls. Returns a JSON-serialisable dict: `metrics` (name -> result),
`skipped` (name -> why), `timings_s` (name -> seconds), `settings` and, when a metric kept values
per sample (perplexity, relabel margin and label of the LM-scored samples), `per_sample` (column
-> {"index": sample indices, "values": one value each}). The shared inputs
(`synloom.quality.inputs`: tokens, embeddings, the reference split) are computed once; the
embeddings (MiniLM by default) appear as the bookkeeping entries `embed` / `embed_reference`.
Model-based metrics (perplexity, relabel agreement) run on at most `max_model_samples` seeded
samples because they cost an LM forward pass each; MAUVE runs on at most `mauve_max_samples` per
side (its k-means is super-linear); the n-gram Vendi kernel on at most 2,000. Every subsample
is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from synloom.errors import SynloomError
from synloom.progress import step
from synloom.quality.info import Metric
from synloom.quality.inputs import ScoringInputs
from synloom.quality.logprobs import ScoreFn
from synloom.quality.metrics.relabel import DEFAULT_TEMPLATE
from synloom.quality.registry import registered


def score_dataset(
    texts: Sequence[str],
    labels: Sequence[str],
    reference: Sequence[Mapping[str, str]] | None = None,
    seed_texts: Sequence[str] | None = None,
    scorer: ScoreFn | None = None,
    verbalizers: Mapping[str, Sequence[str]] | None = None,
    relabel_template: str = DEFAULT_TEMPLATE,
    embed: Callable[[Sequence[str]], Any] | None = None,
    max_model_samples: int = 1000,
    mauve_max_samples: int = 2000,
    seed: int = 0,
    attributes: Sequence[Mapping[str, str] | None] | None = None,
) -> dict:
    """Every metric for (texts, labels); `reference` rows carry real `text` and `label`;
    `attributes[i]` the attribute values sample i was drawn with (None or {} for none)."""
    if len(texts) != len(labels):
        raise SynloomError(f"got {len(texts)} texts but {len(labels)} labels")
    if len(texts) < 2:
        raise SynloomError("scoring needs at least 2 samples")
    if embed is None:
        from synloom.embeddings import embed_texts as embed
    out: dict = {"n_samples": len(texts), "metrics": {}, "skipped": {}, "timings_s": {}}
    out["settings"] = {
        "max_model_samples": max_model_samples,
        "mauve_max_samples": mauve_max_samples,
        "seed": seed,
    }

    def record(name: str, summary: dict, seconds: float) -> None:
        out["timings_s"][name] = round(seconds, 4)
        out["metrics"][name] = summary

    inputs = ScoringInputs(
        texts=list(texts),
        labels=list(labels),
        embed=embed,
        reference_texts=[r["text"] for r in reference] if reference else [],
        reference_labels=[r["label"] for r in reference] if reference else [],
        seed_texts=list(seed_texts or []),
        scorer=scorer,
        verbalizers=verbalizers,
        relabel_template=relabel_template,
        attributes=[dict(a or {}) for a in attributes or []],
        max_model_samples=max_model_samples,
        mauve_max_samples=mauve_max_samples,
        seed=seed,
        record=record,
    )
    metrics = [metric for metric in registered() if metric.compute is not None]
    with step("quality metrics", len(metrics), "metrics") as progress:
        for metric in metrics:
            with step(metric.name):  # the embeddings and LM scoring it needs show inside
                _run_metric(metric, inputs, out, record)
            progress.advance()
    if inputs.per_sample:
        out["per_sample"] = {
            column: {"index": list(values), "values": [_jsonable(v) for v in values.values()]}
            for column, values in inputs.per_sample.items()
        }
    return out


def _run_metric(metric: Metric, inputs: ScoringInputs, out: dict, record: Callable) -> None:
    why = next(filter(None, map(inputs.why_missing, metric.needs)), None)
    if why is None:
        inputs.prepare(metric.needs)
        why = metric.skip(inputs) if metric.skip else None
    if why is not None:
        out["skipped"][metric.name] = why
        return
    start = time.perf_counter()
    value = metric.compute(inputs)
    seconds = time.perf_counter() - start
    record(metric.name, _jsonable(value), seconds)


def _jsonable(value: Any) -> Any:
    import numpy as np

    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return None  # raw arrays (embeddings) are not results
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value
