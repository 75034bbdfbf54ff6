"""A run directory holding real SST-2 sentences as its accepted samples (no generation)."""

from __future__ import annotations

import pytest

from synloom.spec import parse_spec
from synloom.spec.io import spec_to_dict
from synloom.store import PlannedRequest, RunStore
from synloom.train.data import LabeledData

SST2_SPEC = {
    "name": "sst2-eval-test",
    "task": {"kind": "text_classification", "description": "movie review sentiment"},
    "labels": [
        {"name": "negative", "verbalizers": ["negative"]},
        {"name": "positive", "verbalizers": ["positive"]},
    ],
    "recipe": {"type": "zerogen", "prompt": 'The movie review in {verbalizer} sentiment is: "'},
}


def write_run(run_dir, spec_data: dict, samples: LabeledData) -> None:
    """Store `samples` as accepted outputs of one round, through the RunStore API."""
    spec = parse_spec(spec_data)
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


@pytest.fixture()
def sst2_run(tmp_path, datasets_dir):
    """200 real SST-2 training sentences standing in for a run's generated samples."""
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl")
    run_dir = tmp_path / "run"
    write_run(run_dir, SST2_SPEC, pool.subset(range(200)))
    return run_dir
