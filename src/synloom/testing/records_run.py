"""A run directory whose accepted samples are given records (real data standing in for generated
samples): what tests and benchmarks curate, score and evaluate without generating."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synloom.spec import TaskSpec
    from synloom.train.data import LabeledData


def write_records_run(
    run_dir: str | Path,
    spec: TaskSpec | dict[str, Any],
    samples: LabeledData,
    metas: Sequence[dict[str, Any]] | None = None,
) -> Path:
    """Store `samples` as the accepted outputs of one finalized round, through the RunStore API
    (request ids r0, r1, ... in the samples' order); `metas`: each request's metadata (e.g. the
    `attributes` a recipe drew), else none."""
    from synloom.spec import TaskSpec, parse_spec
    from synloom.spec.io import spec_to_dict
    from synloom.store import PlannedRequest, RunStore

    if not isinstance(spec, TaskSpec):
        spec = parse_spec(spec)
    if metas is not None and len(metas) != len(samples.labels):
        raise ValueError(f"{len(metas)} metas for {len(samples.labels)} samples")
    with RunStore(run_dir, create=True) as store:
        store.write_manifest({"spec": spec_to_dict(spec), "seed": spec.seed})
        requests = [
            PlannedRequest(
                id=f"r{i}",
                stage="sample",
                round=0,
                idx=i,
                batch=i // 32,
                label=label,
                prompt="p",
                context=None,
                seed=i,
                params={},
                meta=dict(metas[i]) if metas is not None else {},
            )
            for i, label in enumerate(samples.labels)
        ]
        store.add_round("sample", 0, requests)
        with store.transaction():
            for i, text in enumerate(samples.texts):
                store.record_output(
                    f"r{i}",
                    {
                        "raw_text": text,
                        "completion": text,
                        "finish_reason": "stop",
                        "n_tokens": 1,
                        "status": "accepted",
                        "text": text,
                        "text_b": None if samples.texts_b is None else samples.texts_b[i],
                    },
                )
        store.finalize_round("sample", 0)
    return Path(run_dir)
