from __future__ import annotations

import pytest
from sklearn.metrics import confusion_matrix, precision_score, recall_score

from synloom.errors import SynloomError
from synloom.quality.metrics.confusion import label_confusion


def test_matches_sklearn_on_trec_labels(trec_train):
    intended = [r["label"] for r in trec_train[:600]]
    # a deterministic "judge" that confuses some classes: shift every 7th label
    names = sorted(set(intended))
    judged = [
        names[(names.index(lab) + 1) % len(names)] if i % 7 == 0 else lab
        for i, lab in enumerate(intended)
    ]
    result = label_confusion(intended, judged)
    assert result.labels == names
    assert result.matrix == confusion_matrix(intended, judged, labels=names).tolist()
    recalls = recall_score(intended, judged, labels=names, average=None)
    precisions = precision_score(intended, judged, labels=names, average=None, zero_division=0)
    for k, name in enumerate(names):
        assert result.per_label[name]["agreement"] == pytest.approx(recalls[k])
        assert result.per_label[name]["precision"] == pytest.approx(precisions[k])
    assert result.agreement == pytest.approx(sum(i % 7 != 0 for i in range(600)) / 600)


def test_unknown_labels_rejected():
    with pytest.raises(SynloomError):
        label_confusion(["a"], ["b"], labels=["a"])
    with pytest.raises(SynloomError):
        label_confusion(["a", "b"], ["a"])
