"""A real noisy pool for curation tests: SST-2 sentences with 20% of their labels flipped.

Each filter's score must separate the flipped samples from the clean ones (AUROC), which a
method that ignores the text cannot do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

from tests.conftest import read_jsonl

PER_LABEL = 150  # pool: 300 sentences
SEEDS_PER_LABEL = 16  # real seed examples, disjoint from the pool
FLIP_SHARE = 0.2


@dataclass(frozen=True)
class FlippedPool:
    data: object  # synloom.curate.data.CurationData with the flipped labels
    flipped: np.ndarray  # (n,) bool: True where the label was flipped
    true_labels: tuple[str, ...]


def auroc(scores: np.ndarray, flipped: np.ndarray) -> float:
    """How well `scores` (higher = more trustworthy) rank clean samples above flipped ones."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(~flipped, scores))


@pytest.fixture(scope="session")
def sst2_spec():
    from synloom.quickstart_data import quickstart_paths
    from synloom.spec import load_spec

    return load_spec(quickstart_paths().spec)


@pytest.fixture(scope="session")
def flipped_pool(datasets_dir, sst2_spec) -> FlippedPool:
    from synloom.curate.data import CurationData
    from synloom.train.data import LabeledData

    rows = read_jsonl(datasets_dir / "sst2" / "train_sentences.jsonl")
    rng = random.Random(20261129)
    rng.shuffle(rows)
    seed_texts = {e.text for e in sst2_spec.seed_examples}
    rows = [r for r in rows if r["text"] not in seed_texts and 4 <= len(r["text"].split()) <= 40]
    pool, seeds = [], []
    for label in sst2_spec.label_names:
        of_label = [r for r in rows if r["label"] == label]
        pool += of_label[:PER_LABEL]
        seeds += of_label[PER_LABEL : PER_LABEL + SEEDS_PER_LABEL]
    rng.shuffle(pool)
    true_labels = tuple(r["label"] for r in pool)
    flip = np.zeros(len(pool), dtype=bool)
    for label in sst2_spec.label_names:
        idx = [i for i, lab in enumerate(true_labels) if lab == label]
        flip[rng.sample(idx, int(len(idx) * FLIP_SHARE))] = True
    other = {"positive": "negative", "negative": "positive"}
    labels = [other[lab] if f else lab for lab, f in zip(true_labels, flip, strict=True)]
    data = CurationData.build(
        sst2_spec,
        [f"s{i:04d}" for i in range(len(pool))],
        labels,
        [r["text"] for r in pool],
        seed=0,
        seed_data=LabeledData.from_records(seeds, source="sst2 seeds"),
    )
    return FlippedPool(data, flip, true_labels)
