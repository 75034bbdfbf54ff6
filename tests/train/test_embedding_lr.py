from __future__ import annotations

import numpy as np
import pytest

from synloom.evaluate.metrics import accuracy
from synloom.train.embedding_lr import EmbeddingLogReg


@pytest.mark.slow
def test_learns_sst2_sentiment(sst2_train, sst2_test):
    model = EmbeddingLogReg().fit(sst2_train, seed=0)
    predicted = model.predict(list(sst2_test.texts))
    assert accuracy(sst2_test.labels, predicted) > 0.65  # chance 0.52
    proba = model.predict_proba(list(sst2_test.texts[:5]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert [model.labels_[i] for i in proba.argmax(axis=1)] == predicted[:5]


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_sentence_pairs(pair_train, pair_test):
    model = EmbeddingLogReg().fit(pair_train, seed=0)
    predicted = model.predict(list(pair_test.texts), list(pair_test.texts_b))
    assert accuracy(pair_test.labels, predicted) > 0.65
