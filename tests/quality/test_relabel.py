from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from synloom.errors import SynloomError
from synloom.quality.metrics.oracle import tfidf_features
from synloom.quality.metrics.relabel import relabel_agreement, verbalizer_scores

LABELS = ["negative", "positive"]


def test_agreement_is_argmax_accuracy_with_real_classifier_scores(sst2_train_sentences, sst2_test):
    train_x = [r["text"] for r in sst2_train_sentences]
    train_y = [r["label"] for r in sst2_train_sentences]
    test_x, test_y = [r["text"] for r in sst2_test], [r["label"] for r in sst2_test]
    real_f, test_f = tfidf_features(train_x, test_x)
    model = LogisticRegression(max_iter=2000).fit(real_f, train_y)
    scores = model.predict_log_proba(test_f)  # columns in model.classes_ order
    assert list(model.classes_) == LABELS
    result = relabel_agreement(test_y, scores, LABELS)
    assert result.agreement == pytest.approx(model.score(test_f, test_y))
    assert result.judged == list(model.predict(test_f))
    # a calibration offset large enough to favour "positive" everywhere
    biased = relabel_agreement(test_y, scores, LABELS, calibration=np.array([100.0, 0.0]))
    assert biased.agreement == pytest.approx(test_y.count("positive") / len(test_y))
    with pytest.raises(SynloomError):
        relabel_agreement(test_y, scores[:, :1], LABELS)


@pytest.mark.heavy  # heavy lane: keeps the default run under 20 min on a float32 CPU
@pytest.mark.slow
def test_embedded_model_verbalizer_scores(sst2_test):
    import torch

    from synloom.backends.local import LocalBackend

    backend = LocalBackend(dtype="float32")
    rows = sst2_test[:40]
    texts, labels = [r["text"] for r in rows], [r["label"] for r in rows]
    template = "Review: {text}\nSentiment:"
    verbalizers = {"negative": ["negative"], "positive": ["positive", "good"]}
    scores = verbalizer_scores(backend.score, texts, verbalizers, template, batch_size=16)
    assert scores.shape == (40, 2)
    # cross-check two texts against a direct forward pass (log-sum-exp over verbalizers)
    tok, model = backend.tokenizer, backend.model
    for i in (0, 7):
        p_ids = tok(template.replace("{text}", texts[i]))["input_ids"]
        per_label = []
        for words in verbalizers.values():
            logps = []
            for word in words:
                c_ids = tok(" " + word, add_special_tokens=False)["input_ids"]
                ids = torch.tensor([p_ids + c_ids], device=model.device)
                with torch.inference_mode():
                    lp = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
                logps.append(sum(float(lp[len(p_ids) - 1 + k, t]) for k, t in enumerate(c_ids)))
            per_label.append(float(np.logaddexp.reduce(logps)))
        assert scores[i] == pytest.approx(per_label, abs=1e-3)
    # SmolLM2-135M reads SST-2 sentiment above chance (0.84 on the first 200 test sentences)
    result = relabel_agreement(labels, scores, LABELS)
    assert result.agreement > 0.6
