"""Fine-tuned MiniLM on real SST-2 sentences, with each noisy-label strategy.

Each strategy run is 2 epochs over 300 sentences (20 steps of 32) so that the file stays
CPU-sized; checks that need less get less (192 pairs, 4 few-shot epochs, 128 weighted sentences).
"""

from __future__ import annotations

import numpy as np
import pytest

from synloom.errors import SynloomError
from synloom.evaluate.metrics import accuracy
from synloom.train.data import LabeledData
from synloom.train.finetune import FineTuneClassifier
from synloom.train.registry import create_task_model

pytestmark = pytest.mark.slow

FAST = {"epochs": 2}


def _acc(model, data: LabeledData) -> float:
    return accuracy(data.labels, model.predict(list(data.texts), data.texts_b))


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
def test_learns_sst2_sentiment(sst2_train, sst2_test):
    model = FineTuneClassifier(**FAST).fit(sst2_train, seed=0)
    assert model.labels_ == ["negative", "positive"]
    acc = _acc(model, sst2_test)
    print(f"finetune on clean SST-2: accuracy {acc:.3f}")
    assert acc > 0.62  # chance 0.52
    proba = model.predict_proba(list(sst2_test.texts[:8]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.history_[-1]["step"] == 20


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
def test_sentence_pairs_are_encoded_together(pair_train, pair_test):
    # pairs are twice as long as sentences: 192 of them (12 steps), tested on 100
    pair_train, pair_test = pair_train.subset(range(192)), pair_test.subset(range(100))
    model = FineTuneClassifier(**FAST).fit(pair_train, seed=0)
    batch = model.encode(["first side"], ["second side"])
    assert (batch["input_ids"] == model.tokenizer_.sep_token_id).sum() == 2
    acc = _acc(model, pair_test)
    print(f"finetune on the which-is-positive pair task: accuracy {acc:.3f}")
    assert acc > 0.6  # chance 0.5


@pytest.mark.heavy  # training strategies on noisy real labels: minutes together, heavy lane
@pytest.mark.parametrize("strategy", ["label-smoothing", "rce"])
def test_loss_strategies_learn_from_noisy_labels(strategy, sst2_noisy, sst2_test):
    model = create_task_model("finetune", strategies=[strategy], **FAST).fit(sst2_noisy, seed=0)
    acc = _acc(model, sst2_test)
    print(f"finetune+{strategy} on 30%-noisy SST-2: accuracy {acc:.3f}")
    # RCE alone is bounded (MAE-like) and fits slowly in 20 steps: measured 0.62, ls 0.725
    assert acc > (0.58 if strategy == "rce" else 0.62), model.history_


@pytest.mark.heavy
def test_temporal_ensembling_with_confidence_filter(sst2_train, sst2_noisy, sst2_test):
    """The consistency loss and the filter run after the first epoch; the filter keeps a
    subset that holds fewer flipped labels than the whole set, and the model still learns."""
    model = create_task_model(
        "finetune", strategies=["temporal-ensembling", "confidence-filter"], **FAST
    ).fit(sst2_noisy, seed=0)
    assert [row["step"] for row in model.history_] == [10, 20]  # one ensemble update
    flipped = np.array([a != b for a, b in zip(sst2_noisy.labels, sst2_train.labels, strict=True)])
    kept = model.kept_indices_
    assert 0 < len(kept) < len(sst2_noisy)
    assert flipped[kept].mean() < flipped.mean()
    acc = _acc(model, sst2_test)
    print(
        f"finetune+TE+filter: kept {len(kept)}, flipped {flipped[kept].mean():.3f} "
        f"vs {flipped.mean():.3f}; accuracy {acc:.3f}"
    )
    # trained on the ~90 kept samples in epoch 2: measured 0.595 (plain CE on the same noisy
    # data: see docs/task-models.md); the filter needs a model that is already confident
    assert acc > 0.56


@pytest.mark.heavy
def test_few_shot_first_then_synthetic(sst2_noisy, sst2_few_shot, sst2_test):
    model = create_task_model("finetune", strategies=["few-shot-first"], few_shot_epochs=4, **FAST)
    model.fit(sst2_noisy, seed=0, few_shot=sst2_few_shot)
    assert [row["stage"] for row in model.history_] == ["few-shot", "train"]
    assert model.history_[0]["step"] == 4  # 4 epochs of one 32-example batch
    acc = _acc(model, sst2_test)
    print(f"finetune few-shot-first (32 real + 30%-noisy 300): accuracy {acc:.3f}")
    assert acc > 0.6


def test_sample_weights_steer_training(sst2_train, sst2_test):
    """With every positive sentence but one weighted 0, the model leans negative (4 steps)."""
    train = sst2_train.subset(range(128))
    positives = [i for i, y in enumerate(train.labels) if y == "positive"]
    weights = [0.0 if i in positives[1:] else 1.0 for i in range(len(train))]
    model = FineTuneClassifier(epochs=1).fit(train.with_weights(weights), seed=0)
    predicted = model.predict(list(sst2_test.texts[:100]))
    assert predicted.count("negative") > 0.8 * len(predicted)


def test_same_seed_same_model(sst2_train, sst2_test):
    tiny = sst2_train.subset(range(40))
    runs = [FineTuneClassifier(epochs=1).fit(tiny, seed=3) for _ in range(2)]
    texts = list(sst2_test.texts[:16])
    np.testing.assert_allclose(runs[0].predict_proba(texts), runs[1].predict_proba(texts))


def test_bad_options_and_inputs_raise(sst2_train, sst2_few_shot):
    with pytest.raises(SynloomError, match="unknown loss"):
        FineTuneClassifier(loss="focal")
    other = LabeledData(("a", "b"), ("yes", "no"))
    with pytest.raises(SynloomError, match="few-shot labels not in"):
        FineTuneClassifier(epochs=1).fit(sst2_few_shot, few_shot=other)
