"""Small real data for task-model tests: SST-2 sentences, TREC questions, a pair task."""

from __future__ import annotations

import random

import pytest

from synloom.train import LabeledData


@pytest.fixture(scope="session")
def sst2_train(datasets_dir) -> LabeledData:
    """The first 300 sentence-level SST-2 training sentences (shuffled in the file)."""
    return LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").subset(range(300))


@pytest.fixture(scope="session")
def sst2_test(datasets_dir) -> LabeledData:
    """A 200-sentence slice of the SST-2 test set (96 negative / 104 positive)."""
    return LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(200))


@pytest.fixture(scope="session")
def sst2_few_shot(datasets_dir) -> LabeledData:
    """16 real sentences per class, disjoint from `sst2_train`."""
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl")
    rest = range(300, len(pool))
    neg = [i for i in rest if pool.labels[i] == "negative"][:16]
    pos = [i for i in rest if pool.labels[i] == "positive"][:16]
    return pool.subset(neg + pos)


def _flip_labels(data: LabeledData, rate: float, seed: int = 0) -> LabeledData:
    """Flip a random `rate` fraction of binary labels (simulated noisy synthetic labels)."""
    rng = random.Random(seed)
    names = data.label_names
    flipped = tuple(
        (names[1] if label == names[0] else names[0]) if rng.random() < rate else label
        for label in data.labels
    )
    return LabeledData(data.texts, flipped, data.texts_b, data.weights)


def _which_is_positive(data: LabeledData, n: int, seed: int) -> LabeledData:
    """A pair task on real SST-2 sentences: one positive and one negative sentence in random
    order; the label says which side is the positive one ("first" / "second")."""
    rng = random.Random(seed)
    pos = [t for t, y in zip(data.texts, data.labels, strict=True) if y == "positive"]
    neg = [t for t, y in zip(data.texts, data.labels, strict=True) if y == "negative"]
    rng.shuffle(pos)
    rng.shuffle(neg)
    a, b, labels = [], [], []
    for p, q in list(zip(pos, neg, strict=False))[:n]:
        if rng.random() < 0.5:
            a.append(p), b.append(q), labels.append("first")
        else:
            a.append(q), b.append(p), labels.append("second")
    return LabeledData(tuple(a), tuple(labels), tuple(b))


@pytest.fixture(scope="session")
def sst2_noisy(sst2_train) -> LabeledData:
    """`sst2_train` with about 30% of the labels flipped."""
    return _flip_labels(sst2_train, 0.3, seed=0)


@pytest.fixture(scope="session")
def pair_train(datasets_dir) -> LabeledData:
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/train_sentences.jsonl").subset(range(800))
    return _which_is_positive(pool, 300, seed=0)


@pytest.fixture(scope="session")
def pair_test(datasets_dir) -> LabeledData:
    pool = LabeledData.from_jsonl(datasets_dir / "sst2/test.jsonl").subset(range(200, 700))
    return _which_is_positive(pool, 200, seed=1)


@pytest.fixture(scope="session")
def trec_train(datasets_dir) -> LabeledData:
    return LabeledData.from_jsonl(datasets_dir / "trec/train.jsonl").subset(range(600))


@pytest.fixture(scope="session")
def trec_test(datasets_dir) -> LabeledData:
    return LabeledData.from_jsonl(datasets_dir / "trec/test.jsonl").subset(range(200))
