"""A run directory holding real SST-2 sentences as its accepted samples (no generation)."""

from __future__ import annotations

import pytest

from synloom.testing.records_run import write_records_run
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
    write_records_run(run_dir, spec_data, samples)


@pytest.fixture()
def sst2_run(tmp_path, datasets_dir):
    """200 real SST-2 training sentences standing in for a run's generated samples."""
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl")
    run_dir = tmp_path / "run"
    write_run(run_dir, SST2_SPEC, pool.subset(range(200)))
    return run_dir
