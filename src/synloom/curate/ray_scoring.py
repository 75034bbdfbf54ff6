"""A per-sample curation method's chunks scored on Ray Data (`synloom curate --executor ray`).

The runner (`curate/runner.py`) scores a per-sample method in fixed chunks and stores each as it
comes, so a killed curation resumes mid-method. Here the chunks still to score become a Ray
dataset (one block per chunk: the samples' positions, ids, labels, texts, contexts, attribute
values and, for a method that needs them, their embeddings, computed once for the pool by the
driver, on Ray too), `map_batches` runs `ScoreChunks` (the method and its options loaded once per
worker; the real seed examples embedded once per worker) on `workers` workers, and the driver
stores each chunk's scores as it comes back, in input order: it stays the store's only writer.

Which methods: the per-sample ones that need nothing but the samples, their embeddings and the
real seeds (`consistency`, `random`). The generator's and the judge's (`likelihood`, `margin`,
`judge`) score through the run's backend and stay in the driver, as do the methods that see the
whole pool at once (`cartography`, `sungen`, `msp-denoise`; their embeddings still come from Ray).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from synloom.curate.base import MethodScores
from synloom.quality.ray_data import arrow_blocks, worker_options

if TYPE_CHECKING:
    from synloom.curate.base import CurationMethod, MethodInfo, MethodOptions
    from synloom.curate.data import CurationData

RAY_NEEDS = frozenset({"seeds", "embeddings"})  # what a worker can have


def runs_on_ray(info: MethodInfo) -> bool:
    """Whether the Ray path scores this method's chunks on workers (see the module docstring)."""
    return info.per_sample and set(info.needs) <= RAY_NEEDS


class ScoreChunks:
    """The map_batches worker: one chunk of samples in, the method's scores of it out."""

    def __init__(self) -> None:
        self.method: Any = None
        self.cache: dict[str, Any] = {}  # what every chunk shares (the seeds' embeddings)

    def __call__(self, batch: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
        from synloom.curate.data import CurationData
        from synloom.curate.registry import load_method

        if self.method is None:
            self.method = load_method(job["method"])
            self.options = self.method.options.model_validate(job["options"])
        pair = "text_a" in batch
        data = CurationData.build(
            job["spec"],
            [str(x) for x in batch["id"]],
            [str(x) for x in batch["label"]],
            [str(x) for x in batch["text"]],
            texts_a=[str(x) for x in batch["text_a"]] if pair else None,
            contexts=[None if x is None else str(x) for x in batch["context"]],
            attributes=[json.loads(x) for x in batch["attributes"]],
            seed=job["seed"],
            seed_data=job["seed_data"],
        )
        data.shared.cache.update(self.cache)
        if "embedding" in batch:
            data.shared.cache["embeddings"] = np.asarray(batch["embedding"], dtype=np.float32)
        scored = self.method.score(data, self.options)
        self.cache.update({k: v for k, v in data.shared.cache.items() if k != "embeddings"})
        n = len(data)
        out = {
            "pos": batch["pos"],
            "score": np.asarray(scored.scores, dtype=np.float64),
            "weight": np.full(n, np.nan) if scored.weights is None else scored.weights,
            "summary": np.asarray([json.dumps(scored.summary)] * n, dtype=object),
        }
        for key, values in scored.details.items():
            out[f"detail:{key}"] = np.asarray(values)
        return out


def score_chunks_on_ray(
    ray: Any,
    method: CurationMethod,
    options: MethodOptions,
    sub: CurationData,
    chunks: Sequence[list[int]],
    record: Callable[[CurationData, MethodScores], None],
    advance: Callable[[int], None],
    workers: int,
) -> dict[str, Any]:
    """Score `chunks` (lists of positions in `sub`) on Ray Data and `record` each chunk's scores
    (the chunk's samples and their `MethodScores`) as it comes back; the last summary."""
    positions = [p for chunk in chunks for p in chunk]
    if not positions:
        return {}
    part = sub.subset(positions)
    columns: dict[str, Any] = {
        "pos": np.asarray(positions, dtype=np.int64),
        "id": list(part.ids),
        "label": list(part.labels),
        "text": list(part.texts),
        "context": list(part.contexts),
        "attributes": [json.dumps(a) for a in part.attributes],
    }
    if part.texts_a is not None:
        columns["text_a"] = list(part.texts_a)
    if "embeddings" in method.info.needs:
        columns["embedding"] = part.embeddings()  # the pool's, computed once (on Ray)
    size = max(len(c) for c in chunks)
    job = {
        "method": method.info.name,
        "options": options.model_dump(),
        "spec": sub.spec,
        "seed": sub.seed,
        "seed_data": sub.seed_data,
    }
    ds = ray.data.from_arrow(arrow_blocks(columns, size)).map_batches(
        ScoreChunks,
        fn_kwargs={"job": job},
        batch_size=size,
        batch_format="numpy",
        **worker_options(ray, workers),
    )
    summary: dict[str, Any] = {}
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        chunk = sub.subset(batch["pos"])
        weights = np.asarray(batch["weight"], dtype=np.float64)
        details = {k.partition(":")[2]: v for k, v in batch.items() if k.startswith("detail:")}
        scores = MethodScores(
            np.asarray(batch["score"], dtype=np.float64),
            None if np.isnan(weights).all() else weights,
            details,
        )
        record(chunk, scores)
        summary = json.loads(batch["summary"][0])
        advance(len(chunk))
    return summary
