from __future__ import annotations

import random

import pytest
from sklearn.linear_model import LogisticRegression

from synloom.quality.metrics.oracle import oracle_agreement, tfidf_features


def _split(rows):
    return [r["text"] for r in rows], [r["label"] for r in rows]


@pytest.mark.slow
def test_real_labels_agree_far_above_chance_and_shuffled_near_half(sst2_train_sentences, sst2_test):
    train_x, train_y = _split(sst2_train_sentences)
    test_x, test_y = _split(sst2_test)
    real_f, test_f = tfidf_features(train_x, test_x)
    result = oracle_agreement(real_f, train_y, test_f, test_y)
    assert result.agreement > 0.75
    shuffled = list(test_y)
    random.Random(0).shuffle(shuffled)
    noise = oracle_agreement(real_f, train_y, test_f, shuffled)
    assert 0.45 < noise.agreement < 0.55
    # agreement is the accuracy of the same classifier, cross-checked with sklearn directly
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=0).fit(real_f, train_y)
    assert result.agreement == pytest.approx(model.score(test_f, test_y))
    assert result.confusion.n == len(test_y)
    assert set(result.confusion.per_label) == {"negative", "positive"}


def test_heldout_accuracy_and_unknown_labels(trec_train):
    rows = trec_train[:3000]
    train_x, train_y = _split(rows[:2500])
    held_x, held_y = _split(rows[2500:])
    real_f, held_f = tfidf_features(train_x, held_x)
    # samples carrying a label the oracle never saw can never agree
    labels = ["number" if i % 2 else "not-a-trec-class" for i in range(len(held_y))]
    result = oracle_agreement(real_f, train_y, held_f, labels, held_f, held_y)
    assert 0.6 < result.oracle_accuracy < 1.0
    assert result.confusion.per_label["not-a-trec-class"]["agreement"] == 0.0
    assert result.agreement <= 0.5


@pytest.mark.slow
def test_embedding_oracle(embedded_sets):
    rt, sst = embedded_sets["rt"], embedded_sets["sst2_test"]
    result = oracle_agreement(rt["emb"], rt["labels"], sst["emb"], sst["labels"])
    assert result.agreement > 0.7
