from __future__ import annotations

import numpy as np
import pytest

from synloom.errors import SynloomError
from synloom.evaluate.metrics import accuracy
from synloom.train.data import LabeledData
from synloom.train.tfidf import TfidfLogReg


def _acc(model, data: LabeledData) -> float:
    return accuracy(data.labels, model.predict(list(data.texts), data.texts_b))


def test_learns_sst2_sentiment(sst2_train, sst2_test):
    model = TfidfLogReg().fit(sst2_train, seed=0)
    assert model.labels_ == ["negative", "positive"]
    assert _acc(model, sst2_test) > 0.58  # chance 0.52; measured 0.635
    proba = model.predict_proba(list(sst2_test.texts))
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_learns_six_trec_classes(trec_train, trec_test):
    model = TfidfLogReg().fit(trec_train, seed=0)
    assert len(model.labels_) == 6
    assert _acc(model, trec_test) > 0.5  # majority class 0.26


def test_zero_weights_drop_noisy_samples(sst2_train, sst2_noisy, sst2_test):
    """Weighting the flipped samples 0 must beat trusting every noisy label."""
    clean_mask = [a == b for a, b in zip(sst2_noisy.labels, sst2_train.labels, strict=True)]
    weighted = sst2_noisy.with_weights([1.0 if ok else 0.0 for ok in clean_mask])
    noisy_acc = _acc(TfidfLogReg().fit(sst2_noisy), sst2_test)
    weighted_acc = _acc(TfidfLogReg().fit(weighted), sst2_test)
    assert weighted_acc > noisy_acc


def test_sentence_pairs(pair_train, pair_test):
    model = TfidfLogReg().fit(pair_train, seed=0)
    assert model.is_pair_
    assert _acc(model, pair_test) > 0.58
    with pytest.raises(SynloomError, match="pass texts_b"):
        model.predict(list(pair_test.texts))


def test_errors_name_the_problem(sst2_train):
    with pytest.raises(SynloomError, match="not trained"):
        TfidfLogReg().predict(["x"])
    one_class = LabeledData(("a", "b"), ("x", "x"))
    with pytest.raises(SynloomError, match="only the label 'x'"):
        TfidfLogReg().fit(one_class)
    model = TfidfLogReg().fit(sst2_train)
    with pytest.raises(SynloomError, match="single texts"):
        model.predict(["a"], ["b"])
    assert model.predict([]) == []
